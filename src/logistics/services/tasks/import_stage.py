"""The task import's chunks made ready for the database ahead of their turn: each task's row,
audit row and event (its public view, made while parsing, with the transaction's time) and
SLA timers, made by the reader while the writer's previous chunk is in PostgreSQL. The writer
is left with the statements (``write_staged``), so Python and PostgreSQL work side by side.

What is stored is what ``BatchCreator`` stores for the same tasks (a test compares them).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.domain import addresses
from logistics.domain.addresses import GEOCODE_TIMER
from logistics.domain.caller import Caller
from logistics.domain.errors import AlreadyExists
from logistics.domain.events import TaskCreated
from logistics.domain.names import TASKS
from logistics.domain.task_records import SlaPolicy
from logistics.domain.tasks import ProofKind, TaskState
from logistics.services.tasks.batch import NewTask, claim
from logistics.services.tasks.sla import sla_timers
from logistics.store.task_view import encode
from logistics.store.unit_of_work import UnitOfWork

_FIELD = "task"  # TaskCreated's field that holds the task: its view
_ACTION = f"task.{TaskCreated.kind()}"

Timer = tuple[str, uuid.UUID, datetime]


@dataclass(frozen=True)
class ImportTime:
    """What staging takes from the import's transaction: its unit of work (whose repository
    prepares a task's row, with no I/O), its time (every created task's create and update time),
    the clock's now (for the SLA timers) and the tenant's SLA policy."""

    uow: UnitOfWork
    stamp: datetime
    now: datetime
    policy: SlaPolicy


@dataclass(frozen=True)
class StagedTask:
    item: NewTask
    row: tuple[Any, ...]  # the task's values for TaskRepository.insert_created
    name: str
    view: str  # JSON: the view its audit row and its task.created event show
    timers: list[Timer]


def stage(item: NewTask, at: ImportTime) -> StagedTask:
    """One parsed task's writes. An import's rows never need one-time codes (the parser refuses
    them: an import has nowhere to return the codes), so the task is stored as parsed."""
    task = item.task
    _ = item.fingerprint  # for the writer's claim of its request_id
    assert task.state is TaskState.CREATED
    assert not any(ProofKind.ONE_TIME_CODE in s.required_proofs for s in task.steps)
    view = {**item.view, "create_time": at.stamp, "update_time": at.stamp, "version": 1}
    timers = [
        (k, task.id, due) for k, due in sla_timers(task, at.now, at.policy) if due is not None
    ]
    if addresses.pending(task):
        timers.append((GEOCODE_TIMER, task.id, at.now))
    return StagedTask(
        item,
        at.uow.tasks.prepare(task),
        TASKS.name(at.uow.tenant, task.id),
        encode(view),
        timers,
    )


async def write_staged(
    caller: Caller, uow: UnitOfWork, staged: Sequence[StagedTask], stamp: datetime
) -> list[bool | AlreadyExists]:
    """Per task: True when created now, False when an earlier request with its request_id and
    the same content made it, or REQUEST_ID_REUSED (other content)."""
    earlier = await claim(uow, list(enumerate(s.item for s in staged)))
    new = [s for i, s in enumerate(staged) if i not in earlier]
    if new:
        await uow.tasks.insert_created([s.row for s in new], stamp)
        await uow.tasks.add_created_trail(
            [s.item.task.id for s in new], [TaskState.CREATED] * len(new), caller.subject
        )
        template = TaskCreated(name=new[0].name, task=new[0].item.task)
        await uow.audit_and_emit_alike(
            caller.subject, _ACTION, template, _FIELD, [(s.name, s.view) for s in new]
        )
        await uow.timers.add_many([t for s in new for t in s.timers])
    outcomes: list[bool | AlreadyExists] = []
    for i in range(len(staged)):
        found = earlier.get(i)
        if found is None:
            outcomes.append(True)
        else:
            outcomes.append(found if isinstance(found, AlreadyExists) else False)
    return outcomes
