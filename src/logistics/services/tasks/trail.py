"""A task's change on record: its own trail (``task_events``), the audit row and the outbox
event, written together in the change's unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.events import TaskEvent
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.tasks import Task
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import UnitOfWork

Location = tuple[float, float]


def public(task: Task) -> dict[str, Any]:
    """The task as events and audit rows show it: never a code's hash."""
    data: dict[str, Any] = snapshot(task, public=True)
    return data


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
) -> None:
    """The task's audit trail, the audit log and the outbox event, in one transaction;
    ``occurred``: a rider action's device time, kept in the trail beside the server's."""
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
        ),
    )


async def record_system(
    uow: UnitOfWork, before: Task, after: Task, event: type[TaskEvent], reason: str
) -> None:
    """A change the service made on its own (SLA, escalation), recorded as ``system``'s."""
    system = Caller(uow.tenant, "system", frozenset({Scope.ADMIN}))
    await record(system, uow, before, after, event, reason=reason)
