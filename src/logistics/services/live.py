"""Live views for dispatchers: an area's riders, tasks and alerts, a snapshot then deltas.

Fan-out across replicas goes through the bus, one subject per tenant and coarse H3 cell: the
ingest path publishes each rider's newest position to its cell (gathered for a few
milliseconds, latest per rider), and a process subscribes only to the cells its viewers
cover, once however many viewers share a cell. Each viewer has a bounded, coalescing
``FrameBuffer`` flushed every interval; a viewer that stops taking frames for ``stall_s`` is
cut off, so it never holds memory or slows anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from logistics.domain.ids import TenantSlug
from logistics.domain.live import (
    OFFLINE,
    ONLINE,
    Alert,
    Frame,
    FrameBuffer,
    RiderUpdate,
    TaskChange,
)
from logistics.geo.areas import ViewArea, coarse_cell
from logistics.geo.fences import Shape
from logistics.geo.live_index import LiveIndex, LivePosition
from logistics.services.clock import Clock

logger = logging.getLogger(__name__)

RiderHandler = Callable[[list[RiderUpdate], list[str]], None]
EventHandler = Callable[[str, str, dict[str, Any]], None]
Unsubscribe = Callable[[], Awaitable[None]]
Eta = Callable[[float, float, float, float], float]  # seconds from the first point to the second
EVENT_FAMILIES = ("rider", "geofence", "task")
SNAPSHOT_CELLS_PER_CALL = 2000


class RiderSink(Protocol):
    """Whatever takes the rider updates of a cell: a view, or one task's tracker."""

    def offer_riders(self, updates: list[RiderUpdate], removals: list[str]) -> None: ...


class LiveBus(Protocol):
    async def publish_riders(
        self, tenant: str, cell: str, updates: list[RiderUpdate], removals: list[str]
    ) -> None: ...

    async def subscribe_cell(
        self, tenant: str, cell: str, handler: RiderHandler
    ) -> Unsubscribe: ...

    async def subscribe_events(
        self,
        families: Iterable[str],
        handler: EventHandler,
        interested: Callable[[str], bool] | None = None,
    ) -> Unsubscribe: ...


@dataclass(frozen=True)
class LiveSettings:
    cell_resolution: int = 6
    interval_s: float = 0.5
    stall_s: float = 10.0
    max_riders: int = 20_000
    publish_delay_s: float = 0.02


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class LivePublisher:
    """The ingest side: a rider's newest position goes to its coarse cell's subject (and, when
    it just crossed into another cell, to the one it left, whose viewers then drop it)."""

    def __init__(self, bus: LiveBus, settings: LiveSettings) -> None:
        self._bus = bus
        self._resolution = settings.cell_resolution
        self._delay_s = settings.publish_delay_s
        self._pending: dict[tuple[str, str], tuple[dict[str, RiderUpdate], set[str]]] = {}
        self._flushing: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()

    def cell_of(self, latitude: float, longitude: float) -> str:
        return coarse_cell(latitude, longitude, self._resolution)

    def moved(self, tenant: str, update: RiderUpdate, previous_cell: str | None) -> str:
        """Queues ``update``; returns the rider's cell now."""
        cell = self.cell_of(update.latitude, update.longitude)
        self._slot(tenant, cell)[0][update.rider_id] = update
        if previous_cell is not None and previous_cell != cell:
            self._slot(tenant, previous_cell)[0][update.rider_id] = update
        return cell

    def gone(self, tenant: str, rider_id: str, cell: str) -> None:
        updates, removals = self._slot(tenant, cell)
        updates.pop(rider_id, None)
        removals.add(rider_id)

    def _slot(self, tenant: str, cell: str) -> tuple[dict[str, RiderUpdate], set[str]]:
        slot = self._pending.get((tenant, cell))
        if slot is None:
            slot = self._pending[(tenant, cell)] = ({}, set())
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_later(self._delay_s, self._flush)
        return slot

    def _flush(self) -> None:
        self._flushing = None
        pending, self._pending = self._pending, {}
        task = asyncio.get_running_loop().create_task(self._send(pending))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _send(
        self, pending: dict[tuple[str, str], tuple[dict[str, RiderUpdate], set[str]]]
    ) -> None:
        for (tenant, cell), (updates, removals) in pending.items():
            try:
                await self._bus.publish_riders(
                    tenant, cell, list(updates.values()), sorted(removals)
                )
            except Exception as exc:  # live views miss a beat; nothing durable depends on it
                logger.warning("live fan-out to %s/%s failed: %s", tenant, cell, exc)


@dataclass(frozen=True)
class ViewSpec:
    """What a viewer asked for, resolved: the area, what to include, the fleet filter."""

    area: ViewArea
    riders: bool = True
    tasks: bool = True
    alerts: bool = True
    fleet: str | None = None  # fleet id


class View:
    """One viewer: its buffer, what it currently shows, and its frame sequence."""

    def __init__(self, tenant: str, spec: ViewSpec, settings: LiveSettings) -> None:
        self.tenant = tenant
        self.spec = spec
        self.cells: set[str] = set()
        self._settings = settings
        self._buffer = FrameBuffer(max_riders=settings.max_riders)
        self._shown: dict[str, tuple[float, float]] = {}  # rider -> where it was last shown
        self.eta: Eta | None = None
        self._sequence = 0
        self._snapshot: Frame | None = None
        self._wake = asyncio.Event()
        self._last_take = time.monotonic()
        self._failure: Exception | None = None

    @property
    def dropped(self) -> int:
        return self._buffer.dropped

    def buffered(self) -> int:
        return len(self._buffer)

    def _visible(self, u: RiderUpdate) -> bool:
        if u.status == OFFLINE:
            return False
        if self.spec.fleet is not None and u.fleet != self.spec.fleet:
            return False
        return self.spec.area.contains(u.latitude, u.longitude)

    def offer_riders(self, updates: list[RiderUpdate], removals: list[str]) -> None:
        if not self.spec.riders or self._failure is not None:
            return
        for u in updates:
            if self._visible(u):
                self._shown[u.rider_id] = (u.latitude, u.longitude)
                self._buffer.upsert(u)
            elif u.rider_id in self._shown:
                del self._shown[u.rider_id]
                self._buffer.remove(u.rider_id)
        for rider_id in removals:
            if rider_id in self._shown:
                del self._shown[rider_id]
                self._buffer.remove(rider_id)

    def shows(self, rider_id: str) -> bool:
        return rider_id in self._shown

    def offer_task(self, change: TaskChange) -> None:
        """A task change of a rider shown here or at a step inside the area; with the rider's
        position known, it carries the ETA to the task's next step."""
        if not self.spec.tasks or self._failure is not None:
            return
        rider_id = change.rider.rsplit("/", 1)[-1] if change.rider else None
        at = self._shown.get(rider_id) if rider_id is not None else None
        step = (
            (change.latitude, change.longitude)
            if change.latitude is not None and change.longitude is not None
            else None
        )
        if at is None and (step is None or not self.spec.area.contains(*step)):
            return
        if at is not None and step is not None and self.eta is not None:
            change = dataclasses.replace(change, eta_s=self.eta(*at, *step))
        self._buffer.task(change)

    def offer_alert(self, alert: Alert) -> None:
        if not self.spec.alerts or self._failure is not None:
            return
        rider_id = alert.rider.rsplit("/", 1)[-1] if alert.rider else None
        if alert.latitude is not None and alert.longitude is not None:
            relevant = self.spec.area.contains(alert.latitude, alert.longitude)
        else:
            relevant = rider_id is not None and rider_id in self._shown
        if relevant:
            self._buffer.alert(alert)
        if alert.type == "rider.offline" and rider_id is not None:
            self.offer_riders([], [rider_id])

    def reset(self, spec: ViewSpec, snapshot: list[RiderUpdate]) -> None:
        """A new subscription (or the first): its snapshot is the next frame."""
        self.spec = spec
        self._buffer.take(0)
        visible = [u for u in snapshot if self._visible(u)] if spec.riders else []
        self._shown = {u.rider_id: (u.latitude, u.longitude) for u in visible}
        self._sequence += 1
        self._snapshot = Frame(self._sequence, True, visible)
        self._wake.set()

    def fail(self, error: Exception) -> None:
        """Ends the view with ``error``: it takes nothing more, drops what it buffered, and its
        frames end with the error at the consumer's next turn. (A consumer blocked handing a
        frame to a client that stopped reading gets its turn when the client reads again; a
        gRPC server cannot end a call whose client reads nothing, but the view costs nothing
        meanwhile.)"""
        self._failure = error
        self._buffer.take(0)
        self._snapshot = None
        self._wake.set()

    def stalled(self, now: float) -> bool:
        """Frames are waiting and the viewer has taken none for ``stall_s``."""
        waiting = self._snapshot is not None or len(self._buffer) > 0
        return waiting and now - self._last_take > self._settings.stall_s

    async def frames(self) -> AsyncIterator[Frame]:
        """The snapshot, then a frame of deltas every interval (none when nothing changed)."""
        interval = self._settings.interval_s
        next_at = time.monotonic() + interval
        while True:
            if self._failure is not None:
                raise self._failure
            if self._snapshot is not None:
                frame, self._snapshot = self._snapshot, None
                self._wake.clear()
                next_at = time.monotonic() + interval
                yield frame
                self._last_take = time.monotonic()
                continue
            delay = next_at - time.monotonic()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            next_at += interval
            if next_at < time.monotonic():  # fell behind (a slow consumer): no catch-up burst
                next_at = time.monotonic() + interval
            self._last_take = time.monotonic()
            if len(self._buffer) > 0:
                self._sequence += 1
                yield self._buffer.take(self._sequence)
                self._last_take = time.monotonic()


class LiveViews:
    """Every viewer of this process, the cell subscriptions they share, and the domain events
    routed to them."""

    def __init__(
        self,
        bus: LiveBus,
        index: LiveIndex,
        zones: ZoneShapes,
        clock: Clock,
        settings: LiveSettings,
        *,
        eta: Eta | None = None,
    ) -> None:
        self._eta = eta
        self._bus = bus
        self._index = index
        self._zones = zones
        self._clock = clock
        self.settings = settings
        self._cells: dict[tuple[str, str], tuple[Unsubscribe, set[RiderSink]]] = {}
        self._by_tenant: dict[str, set[View]] = {}
        self._events: Unsubscribe | None = None
        self._event_listeners: dict[str, set[Callable[[str, dict[str, Any]], None]]] = {}
        self._lock = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None

    # --- opening, changing, closing -----------------------------------------------------------

    async def resolve(
        self,
        caller: Caller,
        tenant: TenantSlug,
        area: Shape | str,
        *,
        riders: bool,
        tasks: bool,
        alerts: bool,
        fleet: str | None,
    ) -> ViewSpec:
        """Checks the caller may watch ``area`` (a shape, or a zone fence id) and builds it."""
        caller.require_tenant(tenant)
        caller.require(Scope.READ)
        allowed = caller.zones
        if isinstance(area, str):
            if allowed is not None and area not in allowed:
                raise PermissionDenied(
                    "the token may not watch this zone", reason="ZONE_NOT_ALLOWED"
                )
            shape = await self._zones.zone_shape(tenant, area)
            if shape is None:
                raise NotFound(f"zone tenants/{tenant}/geofences/{area} not found")
        else:
            shape = area
        limits = None
        if allowed is not None:
            limits = []
            for zone_id in sorted(allowed):
                zone_shape = await self._zones.zone_shape(tenant, zone_id)
                if zone_shape is not None:
                    limits.append(zone_shape)
        if not (riders or tasks or alerts):
            riders = tasks = alerts = True  # nothing chosen: everything
        return ViewSpec(ViewArea.of(shape, limits), riders, tasks, alerts, fleet)

    async def open(self, tenant: str, spec: ViewSpec) -> View:
        view = View(tenant, spec, self.settings)
        view.eta = self._eta
        try:
            await self.change(view, spec)
        except BaseException:
            await self.close(view)
            raise
        self._by_tenant.setdefault(tenant, set()).add(view)
        await self._ensure_events()
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._watch_stalls())
        return view

    async def change(self, view: View, spec: ViewSpec) -> None:
        """Moves ``view`` to ``spec``: listens to the new cells, then reads the snapshot (so
        nothing published in between is missed), then stops listening to the old ones."""
        wanted = spec.area.cells(self.settings.cell_resolution)
        if len(wanted) > 5000:
            raise InvalidArgument.field("subscription.area", "is too large for a live view")
        left = view.cells - wanted
        await self.follow(view.tenant, wanted - view.cells, view)
        view.cells = set(wanted)
        try:
            view.reset(spec, await self._snapshot(view.tenant, spec))
        finally:
            await self.unfollow(view.tenant, left, view)

    async def close(self, view: View) -> None:
        await self.unfollow(view.tenant, view.cells, view)
        view.cells = set()
        views = self._by_tenant.get(view.tenant)
        if views is not None:
            views.discard(view)
            if not views:
                del self._by_tenant[view.tenant]

    async def follow(self, tenant: str, cells: Iterable[str], sink: RiderSink) -> None:
        """Sends ``sink`` the rider updates of ``cells``: one bus subscription per cell for
        the whole process, however many views and trackers share it."""
        async with self._lock:
            for cell in cells:
                entry = self._cells.get((tenant, cell))
                if entry is None:
                    sinks: set[RiderSink] = set()
                    unsubscribe = await self._bus.subscribe_cell(tenant, cell, _fan_out(sinks))
                    entry = self._cells[(tenant, cell)] = (unsubscribe, sinks)
                entry[1].add(sink)

    async def unfollow(self, tenant: str, cells: Iterable[str], sink: RiderSink) -> None:
        async with self._lock:
            for cell in list(cells):
                entry = self._cells.get((tenant, cell))
                if entry is None:
                    continue
                entry[1].discard(sink)
                if not entry[1]:
                    del self._cells[(tenant, cell)]
                    with contextlib.suppress(Exception):
                        await entry[0]()

    def subscribed_cells(self, tenant: str) -> set[str]:
        return {cell for (t, cell) in self._cells if t == tenant}

    async def _snapshot(self, tenant: str, spec: ViewSpec) -> list[RiderUpdate]:
        if not spec.riders:
            return []
        cells = sorted(spec.area.cells(self._index.resolution))
        now = self._clock.now()
        found: list[LivePosition] = []
        for i in range(0, len(cells), SNAPSHOT_CELLS_PER_CALL):
            chunk = cells[i : i + SNAPSHOT_CELLS_PER_CALL]
            found.extend(await self._index.riders_in_cells(tenant, chunk, now))
        fleets = await self._index.fleets(tenant, [p.rider_id for p in found])
        return [
            RiderUpdate(
                p.rider_id,
                p.latitude,
                p.longitude,
                p.heading_deg,
                p.speed_mps,
                ONLINE if p.online else OFFLINE,
                p.task,
                _ms(p.record_time),
                _ms(p.last_seen),
                fleets.get(p.rider_id),
            )
            for p in found
        ]

    # --- stalls -------------------------------------------------------------------------------

    async def _watch_stalls(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.stall_s / 4))
            now = time.monotonic()
            for views in list(self._by_tenant.values()):
                for view in list(views):
                    if view.stalled(now):
                        logger.info("live viewer stalled; disconnecting it")
                        view.fail(
                            ResourceExhausted(
                                f"the viewer took no frame for {self.settings.stall_s:g} s",
                                retry_after_s=1.0,
                            )
                        )
                        await self.close(view)

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._events is not None:
            with contextlib.suppress(Exception):
                await self._events()

    # --- domain events ------------------------------------------------------------------------

    def listen(
        self, tenant: str, listener: Callable[[str, dict[str, Any]], None]
    ) -> Callable[[], None]:
        """Calls ``listener(event_type, data)`` for the tenant's task, rider and geofence
        events (TrackTask uses it); returns the function that stops it."""
        self._event_listeners.setdefault(tenant, set()).add(listener)

        def stop() -> None:
            listeners = self._event_listeners.get(tenant)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._event_listeners[tenant]

        return stop

    async def _ensure_events(self) -> None:
        async with self._lock:
            if self._events is None:
                self._events = await self._bus.subscribe_events(
                    EVENT_FAMILIES, self._on_event, self._interested
                )

    def _interested(self, tenant: str) -> bool:
        return tenant in self._by_tenant or tenant in self._event_listeners

    def _on_event(self, tenant: str, event_type: str, data: dict[str, Any]) -> None:
        for listener in list(self._event_listeners.get(tenant, ())):
            listener(event_type, data)
        views = self._by_tenant.get(tenant)
        if not views:
            return
        if event_type.startswith("task."):
            change = task_change(data)
            if change is not None:
                for view in list(views):
                    view.offer_task(change)
        alert = alert_of(event_type, data)
        if alert is not None:
            for view in list(views):
                view.offer_alert(alert)


def _fan_out(sinks: set[RiderSink]) -> RiderHandler:
    def deliver(updates: list[RiderUpdate], removals: list[str]) -> None:
        for sink in list(sinks):
            sink.offer_riders(updates, removals)

    return deliver


class ZoneShapes(Protocol):
    async def zone_shape(self, tenant: TenantSlug, zone_id: str) -> Shape | None: ...


# --- events as views show them ----------------------------------------------------------------

ALERT_TYPES = frozenset(
    {
        "geofence.entered",
        "geofence.exited",
        "geofence.dwelled",
        "rider.offline",
        "rider.spoofing_suspected",
        "task.pickup_at_risk",
        "task.pickup_breached",
        "task.delivery_at_risk",
        "task.delivery_breached",
    }
)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def task_change(data: dict[str, Any]) -> TaskChange | None:
    name = data.get("name")
    task = data.get("task")
    if not isinstance(name, str) or not isinstance(task, dict):
        return None
    steps = task.get("steps") or []
    current = task.get("current_step", 0)
    step = steps[min(int(current or 0), len(steps) - 1)] if steps else {}
    return TaskChange(
        name,
        str(task.get("state", "")),
        data.get("rider") if isinstance(data.get("rider"), str) else None,
        None,
        _float(step.get("latitude")),
        _float(step.get("longitude")),
    )


def alert_of(event_type: str, data: dict[str, Any]) -> Alert | None:
    if event_type not in ALERT_TYPES:
        return None
    rider = data.get("rider")
    task = data.get("name") if event_type.startswith("task.") else data.get("task")
    detail = data.get("detail") or data.get("reason") or ""
    change = task_change(data) if event_type.startswith("task.") else None
    latitude = _float(data.get("latitude"))
    longitude = _float(data.get("longitude"))
    if change is not None and latitude is None:
        latitude, longitude = change.latitude, change.longitude
    return Alert(
        event_type,
        rider if isinstance(rider, str) else None,
        task if isinstance(task, str) else None,
        str(detail) if detail else event_type.replace(".", " ").replace("_", " "),
        int(data.get("event_time_ms", 0)),
        latitude,
        longitude,
    )
