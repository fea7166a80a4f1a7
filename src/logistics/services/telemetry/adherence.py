"""Route adherence on the ping path and after it: which path each rider is to follow (its
open route, else the road to its task's next step), checked on every batch against the
corridor without any I/O per ping, ``rider.off_route`` and ``rider.back_on_route`` with
hysteresis, and a route's adherence score from its stored track.

What riders follow is read once per tenant and process every ``REFRESH_S`` (one query, shared
by every stream of the tenant, as the geofence index is), so a plan applied or a task started
on any replica reaches every stream within seconds. A path is made once (OSRM, or the straight
line) when a rider is first seen following it and stored, so every replica and the score use
the same line. The off-route state lives in Redis for reconnects to another replica.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from logistics.domain.adherence import (
    ROAD,
    Adherence,
    Change,
    Corridor,
    Fix,
    Follower,
    LatLng,
    OffState,
    PathRef,
    RoutePath,
    score,
    straight_corridor_m,
)
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import FailedPrecondition, NotFound, Unavailable
from logistics.domain.events import Event, RiderBackOnRoute, RiderOffRoute
from logistics.domain.geofence import TelemetryPolicy
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import RIDERS, ROUTES, TASKS
from logistics.domain.routes import RouteState
from logistics.domain.telemetry import Ping, epoch_ms
from logistics.outages import OutageLog
from logistics.services.telemetry.ports import Tracks
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)

REFRESH_S = 5.0
MAX_SCORED_POINTS = 50_000


class Paths(Protocol):
    """``geo.route_geometry.OsrmPaths`` or ``StraightPaths``."""

    async def path(self, waypoints: Sequence[LatLng]) -> RoutePath: ...


class States(Protocol):
    """``geo.adherence_states.AdherenceStates``; a Redis failure is ``Unavailable``."""

    async def load(self, tenant: str, rider_id: str) -> tuple[str, OffState] | None: ...

    async def save(self, tenant: str, rider_id: str, key: str, state: OffState) -> None: ...


@dataclass(frozen=True)
class RouteAdherence:
    rider_id: uuid.UUID
    adherence: Adherence
    source: str
    corridor_m: float
    tolerance: timedelta
    in_progress: bool


def corridor_of(path: RoutePath, policy: TelemetryPolicy) -> float:
    """The corridor applied to a path: the tenant's, or wider for a straight line."""
    if path.source == ROAD:
        return policy.route_corridor_m
    return straight_corridor_m(policy.route_corridor_m)


def follower_of(path: RoutePath, policy: TelemetryPolicy, state: OffState) -> Follower:
    tolerance_ms = int(policy.off_route_tolerance / timedelta(milliseconds=1))
    return Follower(Corridor(path.points), corridor_of(path, policy), tolerance_ms, state)


@dataclass
class _Active:
    riders: dict[uuid.UUID, PathRef]
    checked: float


class AdherenceMonitor:
    """One per process."""

    def __init__(self, store: Store, paths: Paths, states: States, tracks: Tracks) -> None:
        self._store = store
        self._paths = paths
        self.states = states
        self._tracks = tracks
        self._active: dict[TenantSlug, _Active] = {}
        self._checks: dict[TenantSlug, asyncio.Future[_Active]] = {}
        self.outages = OutageLog()

    async def following(self, tenant: TenantSlug) -> dict[uuid.UUID, PathRef]:
        """What the tenant's riders follow, as of the last few seconds; one check at a time
        per tenant (the others keep what they have meanwhile)."""
        cached = self._active.get(tenant)
        if cached is not None and time.monotonic() - cached.checked < REFRESH_S:
            return cached.riders
        check = self._checks.get(tenant)
        if check is None:
            check = self._checks[tenant] = asyncio.ensure_future(self._check(tenant))
            check.add_done_callback(lambda _: self._checks.pop(tenant, None))
        elif cached is not None:
            return cached.riders
        return (await asyncio.shield(check)).riders

    async def _check(self, tenant: TenantSlug) -> _Active:
        async with self._store.read(tenant) as uow:
            riders = await uow.route_paths.active()
        fresh = self._active[tenant] = _Active(riders, time.monotonic())
        return fresh

    async def path(
        self, tenant: TenantSlug, rider_id: uuid.UUID, ref: PathRef, origin: LatLng
    ) -> RoutePath | None:
        """The stored path of ``ref``, made and stored now if it is the first time (from
        ``origin``, where the rider is, through the route's stops or to the step)."""
        async with self._store.read(tenant) as uow:
            stored = await uow.route_paths.get(ref.key)
            route = await uow.route_paths.route(ref.route_id) if ref.route_id else None
        if stored is not None:
            return stored
        if route is not None and route.stops:
            waypoints = [origin, *route.stops]
        elif ref.target is not None:
            waypoints = [origin, ref.target]
        else:
            return None
        made = await self._paths.path(waypoints)
        async with self._store.write(tenant) as uow:
            return await uow.route_paths.add(ref.key, rider_id, ref.route_id, made)

    async def open(
        self, tenant: TenantSlug, rider_id: uuid.UUID, policy: TelemetryPolicy
    ) -> RiderAdherence:
        """A stream's checker, with the off-route state the rider's last stream left."""
        saved = None
        try:
            saved = await self.states.load(tenant, str(rider_id))
        except Unavailable as exc:
            self.outages.failed(logger, "off-route states start afresh", exc)
        return RiderAdherence(self, tenant, rider_id, policy, saved)

    async def route_adherence(self, caller: Caller, name: ResourceName) -> RouteAdherence:
        """The route's score: its rider's stored track from the plan's creation to the
        route's completion (or now) replayed through the live rules."""
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            route = await uow.route_paths.route(name.id)
            if route is None:
                raise NotFound(f"{ROUTES.name(name.tenant, name.id)} not found")
            stored = await uow.route_paths.get(f"route:{name.id}")
            policy = await uow.telemetry_policy.get()
            tenant_id = uow.tenant_id
        if route.rider_id is None:
            raise FailedPrecondition("the route has no rider: there is no track to score")
        if stored is None:  # the rider has not streamed on it yet: the path through its stops
            stored = await self._paths.path(route.stops)
        end = route.end or datetime.now(UTC)
        points = await self._tracks.read(
            tenant_id,
            route.rider_id,
            route.start,
            end + timedelta(microseconds=1),
            MAX_SCORED_POINTS,
        )
        fixes = [
            Fix(epoch_ms(p.record_time), p.latitude, p.longitude, p.accuracy_m) for p in points
        ]
        follower = follower_of(stored, policy, OffState())
        return RouteAdherence(
            route.rider_id,
            score(follower, fixes),
            stored.source,
            follower.corridor_m,
            policy.off_route_tolerance,
            route.state is not RouteState.COMPLETED,
        )


class RiderAdherence:
    """One stream's off-route check."""

    def __init__(
        self,
        monitor: AdherenceMonitor,
        tenant: TenantSlug,
        rider_id: uuid.UUID,
        policy: TelemetryPolicy,
        saved: tuple[str, OffState] | None,
    ) -> None:
        self._monitor = monitor
        self._tenant = tenant
        self._rider_id = rider_id
        self._rider_key = str(rider_id)
        self._policy = policy
        self._saved = saved
        self._ref: PathRef | None = None
        self._follower: Follower | None = None
        self._checked = -REFRESH_S
        self._last_ms = 0  # record time of the last ping checked: older ones are not

    async def check(self, pings: Sequence[Ping]) -> list[Event]:
        """The batch's new valid pings (record-time order) against the rider's path."""
        if not pings:
            return []
        if time.monotonic() - self._checked >= REFRESH_S:
            await self._refresh(pings[0])
        follower = self._follower
        if follower is None:
            return []
        before = follower.state
        events: list[Event] = []
        for ping in pings:
            at_ms = ping.record_us // 1000
            if at_ms < self._last_ms:
                continue  # a late batch from the app's buffer: the state has moved past it
            self._last_ms = at_ms
            fix = Fix(at_ms, ping.latitude, ping.longitude, ping.accuracy_m)
            _, change = follower.check(fix)
            if change is not None:
                events.append(self._event(change, ping))
        after = follower.state
        if (after.off_since_ms, after.reported) != (before.off_since_ms, before.reported):
            await self._save(after)
        return events

    async def _refresh(self, first: Ping) -> None:
        self._checked = time.monotonic()
        try:
            ref = (await self._monitor.following(self._tenant)).get(self._rider_id)
            if ref == self._ref:
                return
            path = None
            if ref is not None:
                origin = (first.latitude, first.longitude)
                path = await self._monitor.path(self._tenant, self._rider_id, ref, origin)
        except Exception as exc:  # never the stream's failure: an outage or a bug, logged
            self._monitor.outages.failed(logger, "route adherence keeps the path it has", exc)
            return
        self._ref = ref
        if ref is None or path is None:
            self._follower = None
            return
        state = OffState()
        if self._saved is not None and self._saved[0] == ref.key:
            state = self._saved[1]
        self._follower = follower_of(path, self._policy, state)

    async def _save(self, state: OffState) -> None:
        assert self._ref is not None
        self._saved = (self._ref.key, state)
        try:
            await self._monitor.states.save(self._tenant, self._rider_key, self._ref.key, state)
        except Unavailable as exc:
            self._monitor.outages.failed(logger, "off-route states are not saved", exc)

    def _event(self, change: Change, ping: Ping) -> Event:
        ref = self._ref
        assert ref is not None
        cls = RiderOffRoute if change.kind == "off" else RiderBackOnRoute
        return cls(
            rider=RIDERS.name(self._tenant, self._rider_id),
            route=ROUTES.name(self._tenant, ref.route_id) if ref.route_id else None,
            task=TASKS.name(self._tenant, ref.task_id) if ref.task_id else None,
            off_since=datetime.fromtimestamp(change.off_since_ms / 1000, UTC),
            record_time=ping.record_time,
            latitude=ping.latitude,
            longitude=ping.longitude,
            distance_m=round(change.distance_m, 1),
            max_distance_m=round(change.max_off_m, 1),
        )
