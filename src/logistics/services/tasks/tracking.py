"""TrackTask: the customer's view of one task, every state it passes through and, while a rider
carries it, the rider's position and the ETA at the task's next step, until the task ends.

The rider's position comes from the live fan-out (the rider's coarse cell and its neighbours,
re-centred as it moves); the task is re-read on its committed events as the relay publishes
them, and every few seconds (a missed event, or no relay running). Its states come from its
trail (``task_events``, in commit order), read after the task whenever the task's version
moved, so states that followed each other within one frame interval are each sent, in order,
rather than only the last. The ETA comes from ``services.etas`` (asynchronous, labelled with
its source).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import NotFound, PermissionDenied
from logistics.domain.eta import Eta
from logistics.domain.ids import ResourceName
from logistics.domain.live import RiderUpdate
from logistics.domain.names import RIDERS
from logistics.domain.tasks import TERMINAL, Task, TaskState
from logistics.geo.areas import cells_around
from logistics.services.etas import Estimator
from logistics.services.live.publisher import LivePublisher
from logistics.services.live.views import LiveViews, update_of
from logistics.services.tasks.delays import RiderPositions
from logistics.services.tasks.service import TaskService


@dataclass(frozen=True)
class TaskProgress:
    task: str
    state: str
    rider: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    position_time: datetime | None = None
    # Compared by ``same_eta``: a new estimate of the same travel is no news.
    eta: Eta | None = field(default=None, compare=False)

    def same_eta(self, other: TaskProgress) -> bool:
        def key(eta: Eta | None) -> tuple[int, str] | None:
            return None if eta is None else (round(eta.travel_s), eta.source.value)

        return key(self.eta) == key(other.eta)


_TRAIL_PAGE = 200


class TaskTracking:
    def __init__(
        self,
        tasks: TaskService,
        views: LiveViews,
        publisher: LivePublisher,
        index: RiderPositions,
        etas: Estimator,
        *,
        interval_s: float,
        reread_s: float = 5.0,
    ) -> None:
        self._tasks = tasks
        self._views = views
        self._publisher = publisher
        self._index = index
        self._etas = etas
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
        self._seq = 0  # the last trail entry read
        self._state: TaskState | None = None  # the last state read from the trail

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
        """Yields the task's progress when it changes, at most once per interval, and each
        state it passed through in between; the task is read again on its events or every
        ``reread_s``, never per position, and its trail only when its version moved."""
        last: TaskProgress | None = None
        loop = asyncio.get_running_loop()
        read_at = loop.time()
        version: int | None = None
        while True:
            passed: list[TaskState] = []
            if task.version != version:
                passed = await self._states_since(caller, first=version is None)
                version = task.version
            state = self._state or task.state
            await self._follow_rider(str(task.rider_id) if task.rider_id else None)
            for earlier in passed[:-1]:
                last = self._passed_through(earlier)
                yield last
            progress = await self._progress(task, state)
            if last is None or progress != last or not progress.same_eta(last):
                yield progress
                last = progress
            if state in TERMINAL:
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

    async def _states_since(self, caller: Caller, *, first: bool) -> list[TaskState]:
        """The states the trail records since the last read, in order, repeats folded; on the
        first read only the current one (a tracker starts from now, not from the history)."""
        states: list[TaskState] = []
        while True:
            rows = await self._t._tasks.events(caller, self._name, self._seq, _TRAIL_PAGE)
            for seq, row in rows:
                self._seq = seq
                if row.to_state is not None and row.to_state is not self._state:
                    self._state = row.to_state
                    states.append(row.to_state)
            if len(rows) < _TRAIL_PAGE:
                break
        return states[-1:] if first else states

    def _passed_through(self, state: TaskState) -> TaskProgress:
        tenant = self._name.tenant
        rider = RIDERS.name(tenant, uuid.UUID(self._rider_id)) if self._rider_id else None
        return TaskProgress(self._task_name, state.value, rider)

    async def _progress(self, task: Task, state: TaskState) -> TaskProgress:
        p = self._position
        if p is None or state in TERMINAL:
            return self._passed_through(state)
        step = task.step
        eta = None
        if not (math.isnan(step.latitude) or math.isnan(step.longitude)):
            eta = await self._t._etas.eta(
                (p.latitude, p.longitude),
                (step.latitude, step.longitude),
                tenant=self._name.tenant,
            )
        return dataclasses.replace(
            self._passed_through(state),
            latitude=p.latitude,
            longitude=p.longitude,
            position_time=datetime.fromtimestamp(p.record_ms / 1000, UTC),
            eta=eta,
        )

    async def close(self) -> None:
        await self._t._views.unfollow(str(self._name.tenant), self._cells, self)
        self._cells = set()
