"""A task's change on record: its own trail (``task_events``), the audit row and the outbox
event, written together in the change's unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.coldchain import Mark
from logistics.domain.events import CurbsideArrival, TaskEvent, TaskRiderArrived
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.tasks import Task
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import UnitOfWork

Location = tuple[float, float]


def public(task: Task) -> dict[str, Any]:
    """The task as events and audit rows show it: never a code's hash."""
    data: dict[str, Any] = snapshot(task, public=True)
    return data


async def notify_curbside(caller: Caller, uow: UnitOfWork, task: Task, step_id: str) -> None:
    """After an arrival: at a curbside pickup, ``task.rider_arrived`` tells the outlet where the
    rider waits (on its trail too, so the notice is on record)."""
    step = next((s for s in task.steps if s.id == step_id), None)
    if step is None or not step.curbside:
        return
    curbside = CurbsideArrival(
        outlet_id=step.outlet_id or task.outlet_id,
        latitude=step.latitude,
        longitude=step.longitude,
        address=step.address,
        ready=task.mark_ready_time is not None,
    )
    await record(
        caller,
        uow,
        task,
        task,
        TaskRiderArrived,
        step_id=step_id,
        extra={"curbside": curbside},
    )


async def record(
    caller: Caller,
    uow: UnitOfWork,
    before: Task | None,
    after: Task,
    event: type[TaskEvent],
    *,
    reason: str | None = None,
    location: Location | None = None,
    step_id: str | None = None,
    occurred: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
    temperature: Mark | None = None,
) -> None:
    """The task's audit trail, the audit log and the outbox event, in one transaction;
    ``occurred``: a rider action's device time, kept in the trail beside the server's;
    ``extra``: the event's own fields beyond a ``TaskEvent``'s; ``temperature``: the reading
    and range of a cold chain entry."""
    name = TASKS.name(uow.tenant, after.id)
    kind = event.kind()
    await uow.tasks.add_event(
        after.id,
        kind,
        caller.subject,
        from_state=before.state if before else None,
        to_state=after.state,
        reason=reason,
        location=location,
        step_id=step_id,
        occurred_time=occurred,
        temperature=temperature,
    )
    await uow.record(
        caller.subject,
        f"task.{kind}",
        name,
        before=public(before) if before else None,
        after=public(after),
        event=event(
            name=name,
            task=after,
            from_state=before.state if before else None,
            reason=reason,
            step_id=step_id,
            rider=RIDERS.name(uow.tenant, after.rider_id) if after.rider_id else None,
            **(extra or {}),
        ),
    )


async def record_system(
    uow: UnitOfWork, before: Task, after: Task, event: type[TaskEvent], reason: str
) -> None:
    """A change the service made on its own (SLA, escalation), recorded as ``system``'s."""
    system = Caller(uow.tenant, "system", frozenset({Scope.ADMIN}))
    await record(system, uow, before, after, event, reason=reason)
