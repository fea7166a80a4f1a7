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
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import InvalidArgument, NotFound, PermissionDenied, ResourceExhausted
from logistics.domain.ids import TenantSlug
from logistics.domain.live import OFFLINE, ONLINE, RiderUpdate, TaskChange
from logistics.domain.shapes import Shape
from logistics.domain.telemetry import epoch_ms
from logistics.geo.areas import ViewArea
from logistics.geo.live_values import LivePosition
from logistics.services.etas import Estimator
from logistics.services.live.events import alert_of, task_change
from logistics.services.live.ports import (
    LiveBus,
    LiveRiders,
    LiveSettings,
    RiderHandler,
    RiderSink,
    Unsubscribe,
    ZoneShapes,
)
from logistics.services.live.task_etas import TaskEtas
from logistics.services.live.view import View, ViewSpec

logger = logging.getLogger(__name__)

EVENT_FAMILIES = ("rider", "geofence", "task")
SNAPSHOT_CELLS_PER_CALL = 2000


def update_of(position: LivePosition, fleet: str | None = None) -> RiderUpdate:
    """A rider's state in the live index as live views carry it."""
    return RiderUpdate(
        position.rider_id,
        position.latitude,
        position.longitude,
        position.heading_deg,
        position.speed_mps,
        ONLINE if position.online else OFFLINE,
        position.task,
        epoch_ms(position.record_time),
        epoch_ms(position.last_seen),
        fleet,
    )


class LiveViews:
    """Every viewer of this process, the cell subscriptions they share, and the domain events
    routed to them."""

    def __init__(
        self,
        bus: LiveBus,
        index: LiveRiders,
        zones: ZoneShapes,
        clock: Clock,
        settings: LiveSettings,
        *,
        etas: Estimator | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._etas = TaskEtas(etas) if etas is not None else None
        self._metrics = LiveMetrics(registry or CollectorRegistry())
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
        caller.require(Scope.READ, tenant)
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
        try:
            await self.change(view, spec)
        except BaseException:
            await self.close(view)
            raise
        self._by_tenant.setdefault(tenant, set()).add(view)
        self._metrics.viewers.inc()
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
        if views is not None and view in views:
            views.discard(view)
            self._metrics.viewers.dec()
            self._metrics.dropped.inc(view.dropped)
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
            self._metrics.cells.set(len(self._cells))

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
            self._metrics.cells.set(len(self._cells))

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
        return [update_of(p, fleets.get(p.rider_id)) for p in found]

    # --- stalls -------------------------------------------------------------------------------

    async def _watch_stalls(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.stall_s / 4))
            now = time.monotonic()
            for views in list(self._by_tenant.values()):
                for view in list(views):
                    if view.stalled(now):
                        logger.info("live viewer stalled; disconnecting it")
                        self._metrics.stalled.inc()
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
        if self._etas is not None:
            self._etas.cancel()
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
            if change is not None and self._etas is not None:
                self._etas.offer(tenant, change, list(views), self._task_to(tenant))
            elif change is not None:
                for view in list(views):
                    view.offer_task(change)
        alert = alert_of(event_type, data)
        if alert is not None:
            for view in list(views):
                view.offer_alert(alert)

    def _task_to(self, tenant: str) -> Callable[[TaskChange], None]:
        """Offers a task change to the tenant's views as they are when it is called."""

        def offer(change: TaskChange) -> None:
            for view in list(self._by_tenant.get(tenant, ())):
                view.offer_task(change)

        return offer


class LiveMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.viewers = Gauge(
            "logistics_live_viewers", "Live views open in this process", registry=registry
        )
        self.cells = Gauge(
            "logistics_live_cells",
            "Fan-out cell subjects this process listens to (views and trackers)",
            registry=registry,
        )
        self.stalled = Counter(
            "logistics_live_viewers_stalled",
            "Live viewers detached for taking no frame within the stall limit",
            registry=registry,
        )
        self.dropped = Counter(
            "logistics_live_updates_dropped",
            "Rider or task updates a full view buffer could not hold",
            registry=registry,
        )


def _fan_out(sinks: set[RiderSink]) -> RiderHandler:
    def deliver(updates: list[RiderUpdate], removals: list[str]) -> None:
        for sink in list(sinks):
            sink.offer_riders(updates, removals)

    return deliver
