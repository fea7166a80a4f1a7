"""TrackTask: the customer's view of one task, its state and, while a rider carries it, the
rider's position and the time to the task's next step, until the task ends.

The rider's position comes from the live fan-out (the rider's coarse cell and its neighbours,
re-centred as it moves); the task's state from the committed task events as the relay
publishes them, and from a re-read every few seconds (a missed event, or no relay running).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import NotFound, PermissionDenied
from logistics.domain.ids import ResourceName
from logistics.domain.live import RiderUpdate
from logistics.domain.names import RIDERS
from logistics.domain.tasks import TERMINAL, Task
from logistics.geo.areas import cells_around
from logistics.geo.distance import DistanceProvider
from logistics.geo.live_values import LivePosition
from logistics.services.live.publisher import LivePublisher
from logistics.services.live.views import LiveViews, update_of
from logistics.services.tasks.service import TaskService


class RiderPositions(Protocol):
    """A rider's live position as the live index has it (``geo.live_index.LiveIndex``)."""

    async def rider(self, tenant: str, rider_id: str) -> LivePosition | None: ...


@dataclass(frozen=True)
class TaskProgress:
    task: str
    state: str
    rider: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    position_time: datetime | None = None
    eta_s: float | None = None


class TaskTracking:
    def __init__(
        self,
        tasks: TaskService,
        views: LiveViews,
        publisher: LivePublisher,
        index: RiderPositions,
        distances: DistanceProvider,
        *,
        interval_s: float,
        reread_s: float = 5.0,
    ) -> None:
        self._tasks = tasks
        self._views = views
        self._publisher = publisher
        self._index = index
        self._distances = distances
        self._interval_s = interval_s
        self._reread_s = reread_s

    def authorize(self, caller: Caller, name: ResourceName) -> None:
        """A tracking token (``task_id`` claim) follows its own task only; anyone else needs
        ``logistics:read`` on the task's tenant."""
        caller.require_tenant(name.tenant)
        if caller.task_id is not None:
            if caller.task_id != str(name.id):
                raise PermissionDenied("the token tracks another task", reason="WRONG_TASK")
            return
        caller.require(Scope.READ)

    async def track(self, caller: Caller, name: ResourceName) -> AsyncIterator[TaskProgress]:
        self.authorize(caller, name)
        system = Caller(name.tenant, caller.subject, frozenset({Scope.READ}))
        task = await self._tasks.get(system, name)
        follower = _Follower(self, name)
        stop_listening = self._views.listen(str(name.tenant), follower.on_event)
        try:
            async for progress in follower.run(system, task):
                yield progress
        finally:
            stop_listening()
            await follower.close()


class _Follower:
    def __init__(self, tracking: TaskTracking, name: ResourceName) -> None:
        self._t = tracking
        self._name = name
        self._task_name = str(name)
        self._changed = asyncio.Event()  # the task or the rider's position changed
        self._task_changed = False
        self._position: RiderUpdate | None = None
        self._rider_id: str | None = None
        self._cells: set[str] = set()

    def on_event(self, event_type: str, data: dict[str, Any]) -> None:
        if event_type.startswith("task.") and data.get("name") == self._task_name:
            self._task_changed = True
            self._changed.set()

    def offer_riders(self, updates: list[RiderUpdate], removals: list[str]) -> None:
        for update in updates:
            newer = self._position is None or update.record_ms >= self._position.record_ms
            if update.rider_id == self._rider_id and newer:
                self._position = update
                self._changed.set()

    async def _follow_rider(self, rider_id: str | None) -> None:
        if rider_id != self._rider_id:
            self._rider_id, self._position = rider_id, None
            if rider_id is not None:
                live = await self._t._index.rider(str(self._name.tenant), rider_id)
                if live is not None and live.online:
                    self._position = update_of(live)
        wanted: set[str] = set()
        if self._position is not None:
            centre = self._t._publisher.cell_of(self._position.latitude, self._position.longitude)
            wanted = cells_around(centre)
        tenant = str(self._name.tenant)
        await self._t._views.follow(tenant, wanted - self._cells, self)
        await self._t._views.unfollow(tenant, self._cells - wanted, self)
        self._cells = wanted

    async def run(self, caller: Caller, task: Task) -> AsyncIterator[TaskProgress]:
        """Yields the task's progress when it changes, at most once per interval; the task
        is read again on its events or every ``reread_s``, never per position."""
        last: TaskProgress | None = None
        loop = asyncio.get_running_loop()
        read_at = loop.time()
        while True:
            await self._follow_rider(str(task.rider_id) if task.rider_id else None)
            progress = self._progress(task)
            if progress != last:
                yield progress
                last = progress
            if task.state in TERMINAL:
                return
            self._changed.clear()
            wait = max(0.0, read_at + self._t._reread_s - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
            await asyncio.sleep(self._t._interval_s)  # at most one update per interval
            if self._task_changed or loop.time() >= read_at + self._t._reread_s:
                self._task_changed = False
                read_at = loop.time()
                try:
                    task = await self._t._tasks.get(caller, self._name)
                except NotFound:
                    return

    def _progress(self, task: Task) -> TaskProgress:
        tenant = self._name.tenant
        rider = RIDERS.name(tenant, uuid.UUID(self._rider_id)) if self._rider_id else None
        p = self._position
        if p is None or task.state in TERMINAL:
            return TaskProgress(self._task_name, task.state.value, rider)
        step = task.step
        _, eta = self._t._distances.travel(
            p.latitude, p.longitude, step.latitude, step.longitude, None
        )
        return TaskProgress(
            self._task_name,
            task.state.value,
            rider,
            p.latitude,
            p.longitude,
            datetime.fromtimestamp(p.record_ms / 1000, UTC),
            eta,
        )

    async def close(self) -> None:
        await self._t._views.unfollow(str(self._name.tenant), self._cells, self)
        self._cells = set()
