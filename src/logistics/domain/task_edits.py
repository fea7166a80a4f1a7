"""What an edit of a task (UpdateTask) may change, by the task's state and its steps' states,
and the edit itself. Pure.

    field                          may change while
    priority, notes,
    delivery_deadline              the task has not ended
    items                          the task has not ended and no step is done yet (on board)
    pickup_deadline, ready_time    the task has not ended and a pickup step is still to do
    steps[i].window,
    steps[i].contact_name,
    steps[i].contact_phone         step i is pending or arrived (not done)
    steps[i].location,
    steps[i].address               step i is pending (the rider has not arrived there)

An edit names top-level fields (the request's ``update_mask``); ``steps`` edits the steps it
lists, matched by id, and leaves the others as they are. Only fields whose value differs count
as changed; a changed field the rules refuse is FAILED_PRECONDITION, naming each one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.domain import addresses
from logistics.domain.compliance import Window
from logistics.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from logistics.domain.tasks import (
    TERMINAL,
    ProofKind,
    SlaState,
    Step,
    StepKind,
    StepState,
    Task,
    validate_task,
)
from logistics.domain.text import shown

UPDATABLE = frozenset(
    {"priority", "notes", "items", "pickup_deadline", "delivery_deadline", "ready_time", "steps"}
)
TASK_FIELDS = ("priority", "notes", "items", "pickup_deadline", "delivery_deadline", "ready_time")
STEP_FIELDS = ("location", "address", "window", "contact_name", "contact_phone")
_NOT_DONE = frozenset({StepState.PENDING, StepState.ARRIVED})
_PLACE = frozenset({"location", "address"})


@dataclass(frozen=True)
class StepChange:
    """One step as an edit lists it: its editable fields as they should be, and what the caller
    sent of the others (None or empty: not sent), which must not differ from the step's."""

    id: str
    latitude: float
    longitude: float
    address: str | None = None
    window: Window | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    kind: StepKind | None = None
    outlet_id: str | None = None
    required_proofs: frozenset[ProofKind] = frozenset()
    service_seconds: int = 0


def refusal(task: Task, path: str) -> str | None:
    """Why ``path`` (``priority``, ``steps[1].location``) may not change now, or None."""
    if task.state in TERMINAL:
        return f"the task is {task.state.value}"
    if path in ("priority", "notes", "delivery_deadline"):
        return None
    if path == "items":
        if any(s.state is StepState.COMPLETED for s in task.steps):
            return "a step is done: the items are on board"
        return None
    if path in ("pickup_deadline", "ready_time"):
        return "every pickup is done" if task.pickup_done() else None
    index, field = _step_path(path)
    step = task.steps[index]
    if step.state not in _NOT_DONE:
        return f"step {step.id} is {step.state.value}"
    if field in _PLACE and step.state is not StepState.PENDING:
        return f"the rider has arrived at step {step.id}"
    return None


def edit(task: Task, changes: Mapping[str, Any], now: datetime) -> tuple[Task, tuple[str, ...]]:
    """The task with ``changes`` (mask path -> value; ``steps``: a tuple of ``StepChange``)
    applied, and the paths that changed, in a stable order. Raises INVALID_ARGUMENT for a bad
    value and FAILED_PRECONDITION for a change the task's state does not allow."""
    fields = {k: v for k, v in changes.items() if k != "steps"}
    wanted = dataclasses.replace(task, **fields)
    if "steps" in changes:
        wanted = dataclasses.replace(wanted, steps=_edited_steps(task, changes["steps"]))
    changed = _changed(task, wanted)
    refused = [
        FieldViolation(f"task.{p}", why) for p in changed if (why := refusal(task, p)) is not None
    ]
    if refused:
        summary = "; ".join(f"{v.field}: {v.description}" for v in refused)
        raise FailedPrecondition(f"cannot change {summary}", reason="TASK_NOT_EDITABLE")
    _check_deadlines(task, wanted, now)
    validate_task(wanted)
    if "pickup_deadline" in changed or "delivery_deadline" in changed:
        # A reschedule starts the deadlines over: the re-planned timers raise the SLA state
        # again at once if the new deadline is near too.
        wanted = dataclasses.replace(wanted, sla_state=SlaState.ON_TRACK)
    return wanted, changed


def _step_path(path: str) -> tuple[int, str]:
    head, field = path.split(".", 1)
    return int(head.removeprefix("steps[").removesuffix("]")), field


def _changed(before: Task, after: Task) -> tuple[str, ...]:
    out = [f for f in TASK_FIELDS if getattr(before, f) != getattr(after, f)]
    for i, (old, new) in enumerate(zip(before.steps, after.steps, strict=True)):
        for field in STEP_FIELDS:
            if _step_value(old, field) != _step_value(new, field):
                out.append(f"steps[{i}].{field}")
    return tuple(out)


def _step_value(step: Step, field: str) -> object:
    if field == "location":
        return (step.latitude, step.longitude)
    return getattr(step, field)


def _edited_steps(task: Task, listed: tuple[StepChange, ...]) -> tuple[Step, ...]:
    by_id = {s.id: i for i, s in enumerate(task.steps)}
    steps = list(task.steps)
    out: list[FieldViolation] = []
    seen: set[str] = set()
    for n, change in enumerate(listed):
        where = f"task.steps[{n}]"
        if change.id not in by_id:
            out.append(
                FieldViolation(f"{where}.id", f"{shown(change.id)} is not a step of the task")
            )
            continue
        if change.id in seen:
            out.append(FieldViolation(f"{where}.id", f"step {shown(change.id)} is listed twice"))
            continue
        seen.add(change.id)
        current = steps[by_id[change.id]]
        out.extend(_fixed_fields(current, change, where))
        steps[by_id[change.id]] = addresses.after_edit(
            current,
            dataclasses.replace(
                current,
                latitude=change.latitude,
                longitude=change.longitude,
                address=change.address,
                window=change.window,
                contact_name=change.contact_name,
                contact_phone=change.contact_phone,
            ),
        )
    if out:
        raise InvalidArgument(out)
    return tuple(steps)


def _fixed_fields(step: Step, change: StepChange, where: str) -> list[FieldViolation]:
    """The step's other fields are fixed: sent, they must be what the step has."""
    fixed = []
    if change.kind is not None and change.kind is not step.kind:
        fixed.append("kind")
    if change.outlet_id is not None and change.outlet_id != step.outlet_id:
        fixed.append("outlet_id")
    if change.required_proofs and change.required_proofs != step.required_proofs:
        fixed.append("required_proofs")
    if change.service_seconds and change.service_seconds != step.service_seconds:
        fixed.append("service_seconds")
    return [FieldViolation(f"{where}.{f}", "cannot be changed") for f in fixed]


def _check_deadlines(before: Task, after: Task, now: datetime) -> None:
    out = [
        FieldViolation(f"task.{f}", "is in the past")
        for f in ("pickup_deadline", "delivery_deadline")
        if (value := getattr(after, f)) is not None and value != getattr(before, f) and value < now
    ]
    if out:
        raise InvalidArgument(out)
