"""UpdateTask: a dispatcher's edit of a task under its etag, the rules in
``domain.task_edits``; the change, its trail row, its audit row and ``task.updated`` in one
transaction, the SLA timers re-planned, and the rider who carries the task told afterwards."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from logistics.domain import task_edits
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.events import TaskUpdated
from logistics.domain.ids import ResourceName
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.offers import InboxMessage, TaskChangeToRider
from logistics.domain.tasks import Task, TaskState
from logistics.domain.versioning import etag_for
from logistics.outages import OutageLog
from logistics.services import crud
from logistics.services.tasks.addresses import ask_geocoding
from logistics.services.tasks.sla import set_sla_timers
from logistics.services.tasks.trail import public
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

_CARRIED = frozenset({TaskState.ASSIGNED, TaskState.EN_ROUTE, TaskState.ARRIVED})
# What re-plans the SLA timers: the deadlines, and where or when a step is.
_REPLANS = ("pickup_deadline", "delivery_deadline", "steps[")

TASK_KIND: crud.Kind[Task] = crud.Kind(TASKS, lambda uow: uow.tasks, None, view=public)


class RiderMessages(Protocol):
    """A rider's open stream, wherever it is held (``events.rider_inbox.NatsRiderInbox``)."""

    async def send(self, tenant: str, rider_id: str, message: InboxMessage) -> None: ...


class TaskEditor:
    def __init__(self, store: Store, clock: Clock, riders: RiderMessages | None) -> None:
        self._store = store
        self._clock = clock
        self._riders = riders
        self._outages = OutageLog()

    async def update(
        self, caller: Caller, name: ResourceName, changes: Mapping[str, Any], etag: str | None
    ) -> Task:
        """Needs ``logistics:dispatch``. An edit that changes nothing writes nothing; a stale
        etag is ABORTED, so an edit racing a rider's action loses cleanly."""
        crud.authorise_update(
            caller, name.tenant, changes, task_edits.UPDATABLE, scope=Scope.DISPATCH
        )
        now = self._clock.now()
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.tasks, TASKS, name.id, etag=etag)
            wanted, changed = task_edits.edit(current, changes, now)

            async def trail(before: Task, after: Task) -> None:
                await uow.tasks.add_event(
                    before.id,
                    TaskUpdated.kind(),
                    caller.subject,
                    from_state=before.state,
                    to_state=after.state,
                    reason="changed " + ", ".join(changed),
                )

            saved = await TASK_KIND.save(
                uow,
                caller,
                current,
                wanted,
                event=lambda task_name, task: _updated(uow, task_name, current, task, changed),
                before_save=trail,
            )
            if saved is not current and any(p.startswith(_REPLANS) for p in changed):
                await set_sla_timers(uow, saved, now)
            if saved is not current:
                await ask_geocoding(uow, saved, now)
        if saved is not current:
            await self._tell_rider(name, saved, changed)
        return saved

    async def _tell_rider(self, name: ResourceName, task: Task, changed: tuple[str, ...]) -> None:
        """After the commit, best effort: the rider's app also sees the change on its next
        read of the task; a bus outage loses only this nudge."""
        if self._riders is None or task.rider_id is None or task.state not in _CARRIED:
            return
        message = TaskChangeToRider(str(name), changed, etag_for(task.version))
        try:
            await self._riders.send(str(name.tenant), str(task.rider_id), message)
        except Exception as exc:
            self._outages.failed(logger, "riders are not told of task edits", exc)


def _updated(
    uow: UnitOfWork, name: str, before: Task, after: Task, changed: tuple[str, ...]
) -> TaskUpdated:
    return TaskUpdated(
        name=name,
        task=after,
        from_state=before.state,
        rider=RIDERS.name(uow.tenant, after.rider_id) if after.rider_id else None,
        changed=changed,
    )
