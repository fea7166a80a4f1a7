"""UpdateTask: a dispatcher's edit of a task under its etag, the rules in
``domain.task_edits``; the change, its trail row, its audit row and ``task.updated`` in one
transaction, the SLA timers re-planned, and the rider who carries the task told afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logistics.domain import task_edits
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.events import TaskUpdated
from logistics.domain.ids import ResourceName
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.tasks import Task
from logistics.services import crud
from logistics.services.tasks.addresses import ask_geocoding
from logistics.services.tasks.rider_news import RiderNews
from logistics.services.tasks.sla import set_sla_timers
from logistics.services.tasks.trail import public
from logistics.store.unit_of_work import Store, UnitOfWork

# What re-plans the SLA timers: the deadlines, and where or when a step is.
_REPLANS = ("pickup_deadline", "delivery_deadline", "steps[")

TASK_KIND: crud.Kind[Task] = crud.Kind(TASKS, lambda uow: uow.tasks, None, view=public)


class TaskEditor:
    def __init__(self, store: Store, clock: Clock, riders: RiderNews) -> None:
        self._store = store
        self._clock = clock
        self._riders = riders

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
            await self._riders.edited(name, saved, changed)
        return saved


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
