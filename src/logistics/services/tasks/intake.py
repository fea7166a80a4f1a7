"""What creating a task takes, one at a time or in a batch: its one-time codes made and hashed,
and the content its ``request_id`` stands for."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from logistics.domain.tasks import ProofKind, Task, TaskState
from logistics.services.codes import hash_code, new_code
from logistics.store.task_view import public_view, view_fingerprint

# Idempotency keys of creates, one space for CreateTask and BatchCreateTasks: a batch retried
# as single creates (or the other way round) still makes each task once.
CREATE_METHOD = "CreateTask"


@dataclass(frozen=True)
class CreatedTask:
    task: Task
    issued_codes: dict[str, str]  # step id -> one-time code the service made (first create only)


def with_codes(task: Task, codes: dict[str, str]) -> tuple[Task, dict[str, str]]:
    """The task as stored (CREATED, each required code's hash) and the codes made here.
    ``codes``: the ones the caller gave, by step id."""
    issued: dict[str, str] = {}
    steps = []
    for step in task.steps:
        if ProofKind.ONE_TIME_CODE in step.required_proofs:
            code = codes.get(step.id) or new_code()
            if step.id not in codes:
                issued[step.id] = code
            step = dataclasses.replace(step, code_hash=hash_code(code))
        steps.append(step)
    return dataclasses.replace(task, steps=tuple(steps), state=TaskState.CREATED), issued


def task_fingerprint(task: Task) -> str:
    """What a create's request_id stands for (CreateTask, BatchCreateTasks and the import
    alike): the fingerprint of the task's public view as sent."""
    return view_fingerprint(public_view(task))


def fingerprinted(task: Task) -> Task:
    """What a request id covered before ``task_fingerprint`` (``request_fingerprint`` of this,
    for keys stored then). The codes are secrets: they stay out of the stored fingerprint
    (a plain hash of a short code is easily reversed), so a retry with other codes counts as
    the same."""
    if type(task.metadata) is dict:  # as parsed: a copy would snapshot the same
        return task
    return dataclasses.replace(task, metadata=dict(task.metadata))
