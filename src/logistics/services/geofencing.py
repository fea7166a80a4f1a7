"""Geofences: CRUD, a per-tenant index kept fresh in each process, and the enter, exit and
dwell transitions of a rider's pings, with hysteresis from each ping's accuracy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import InvalidArgument
from logistics.domain.events import GeofenceCreated, GeofenceDeleted, GeofenceUpdated
from logistics.domain.geofence import (
    GEOFENCE_UPDATABLE,
    Circle,
    FenceKind,
    Geofence,
    Polygon,
    validate_geofence,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import GEOFENCES
from logistics.domain.paging import Page, PageRequest
from logistics.domain.shapes import CircleShape, PolygonShape, Shape
from logistics.domain.telemetry import Ping
from logistics.geo.fences import FenceIndex, Side, geometry_of, polygon_problem
from logistics.services import crud
from logistics.store.unit_of_work import Store

REFRESH_S = 5.0

_GEOFENCES = crud.Kind(GEOFENCES, lambda uow: uow.geofences, lambda uow: uow.geofences.archive)


def _shape(shape: Polygon | Circle) -> Shape:
    if isinstance(shape, Circle):
        return CircleShape(shape.latitude, shape.longitude, shape.radius_m)
    return PolygonShape(shape.vertices)


def _validate(fence: Geofence) -> None:
    validate_geofence(fence)
    if isinstance(fence.shape, Polygon):
        problem = polygon_problem(fence.shape.vertices)
        if problem:
            raise InvalidArgument.field("geofence.polygon", problem)


@dataclass(frozen=True)
class FenceState:
    """A rider inside a fence: since when (epoch ms), and whether its dwell was reported."""

    since_ms: int
    dwelled: bool = False


@dataclass(frozen=True)
class Transition:
    kind: str  # "entered" | "exited" | "dwelled"
    fence_id: str
    ping: Ping


@dataclass
class _Cached:
    index: FenceIndex
    fences: dict[str, Geofence]
    version: int
    checked: float


class GeofenceService:
    def __init__(self, store: Store, *, resolution: int = 9) -> None:
        self._store = store
        self._resolution = resolution
        self._checks: dict[TenantSlug, asyncio.Future[_Cached]] = {}
        self._cache: dict[TenantSlug, _Cached] = {}

    async def create(
        self, caller: Caller, tenant: TenantSlug, fence: Geofence, request_id: str | None
    ) -> Geofence:
        caller.require(Scope.ADMIN, tenant)
        _validate(fence)
        async with self._store.write(tenant) as uow:
            created = await _GEOFENCES.create(
                uow, caller, fence, request_id, method="CreateGeofence", event=GeofenceCreated
            )
        self._invalidate(tenant)
        return created

    async def get(self, caller: Caller, name: ResourceName) -> Geofence:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.geofences, GEOFENCES, name.id)

    async def list_geofences(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest
    ) -> Page[Geofence]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.geofences.list(page)

    async def update(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> Geofence:
        crud.authorise_update(caller, name.tenant, changes, GEOFENCE_UPDATABLE)
        shape = changes.pop("polygon", None) or changes.pop("circle", None)
        if shape is not None:
            changes["shape"] = shape
        async with self._store.write(name.tenant) as uow:
            updated = await _GEOFENCES.update(
                uow, caller, name.id, etag, changes, validate=_validate, event=GeofenceUpdated
            )
        self._invalidate(name.tenant)
        return updated

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await _GEOFENCES.delete(uow, caller, name.id, etag, event=GeofenceDeleted)
        self._invalidate(name.tenant)

    async def index(self, tenant: TenantSlug) -> _Cached:
        """The tenant's fences; reloaded when another process changed them (checked every
        few seconds) or this process did. One check at a time per tenant: while it runs, other
        callers keep the fences they have (a thousand streams must not all ask at once)."""
        cached = self._cache.get(tenant)
        if cached is not None and time.monotonic() - cached.checked < REFRESH_S:
            return cached
        check = self._checks.get(tenant)
        if check is None:
            check = self._checks[tenant] = asyncio.ensure_future(self._check(tenant, cached))
            check.add_done_callback(
                lambda done: self._checks.pop(tenant) if self._checks.get(tenant) is done else None
            )
        elif cached is not None:
            return cached
        return await asyncio.shield(check)

    def _invalidate(self, tenant: TenantSlug) -> None:
        """This process changed the tenant's fences: the next use reloads them (and a check
        that began before the change does not bring the old ones back)."""
        self._cache.pop(tenant, None)
        self._checks.pop(tenant, None)

    async def _check(self, tenant: TenantSlug, cached: _Cached | None) -> _Cached:
        now = time.monotonic()
        mine = self._checks.get(tenant)
        async with self._store.read(tenant) as uow:
            version = await uow.geofences.version()
            if cached is not None and cached.version == version:
                cached.checked = now
                return cached
            fences = await uow.geofences.all()
        index = FenceIndex(
            [geometry_of(str(f.id), _shape(f.shape)) for f in fences], self._resolution
        )
        fresh = _Cached(index, {str(f.id): f for f in fences}, version, now)
        if self._checks.get(tenant) is mine:  # else a change here made this one stale
            self._cache[tenant] = fresh
        return fresh

    def may_have_fences(self, tenant: TenantSlug) -> bool:
        """False only while the tenant is known, as of the last few seconds, to have no fences:
        the ingest path then skips the fence work without a call."""
        cached = self._cache.get(tenant)
        return (
            cached is None or bool(cached.fences) or time.monotonic() - cached.checked >= REFRESH_S
        )

    async def transitions(
        self, tenant: TenantSlug, states: dict[str, FenceState], pings: Sequence[Ping]
    ) -> tuple[dict[str, FenceState], list[Transition]]:
        """Applies valid pings (in record-time order) to the rider's fence states."""
        cached = await self.index(tenant)
        if not cached.fences:  # the common case of a tenant without fences: nothing to test
            return {}, []
        states = {k: v for k, v in states.items() if k in cached.fences}
        found: list[Transition] = []
        for ping in sorted(pings, key=lambda p: p.record_us):
            at_ms = ping.record_us // 1000
            nearby = {f.fence_id: f for f in cached.index.candidates(ping.latitude, ping.longitude)}
            for fence_id in set(nearby) | set(states):
                geometry = nearby.get(fence_id) or cached.index.fences[fence_id]
                side = geometry.side(ping.latitude, ping.longitude, ping.accuracy_m)
                state = states.get(fence_id)
                if state is None and side is Side.INSIDE:
                    states[fence_id] = FenceState(at_ms)
                    found.append(Transition("entered", fence_id, ping))
                elif state is not None and side is Side.OUTSIDE:
                    del states[fence_id]
                    found.append(Transition("exited", fence_id, ping))
                elif state is not None and not state.dwelled and side is not Side.OUTSIDE:
                    threshold = cached.fences[fence_id].dwell_threshold.total_seconds()
                    if threshold > 0 and at_ms - state.since_ms >= threshold * 1000:
                        states[fence_id] = FenceState(state.since_ms, True)
                        found.append(Transition("dwelled", fence_id, ping))
        return states, found

    async def zone_at(self, tenant: TenantSlug, latitude: float, longitude: float) -> str | None:
        """The name of the tenant's zone fence containing the point, if any."""
        cached = await self.index(tenant)
        for geometry in cached.index.candidates(latitude, longitude):
            fence = cached.fences.get(geometry.fence_id)
            inside = geometry.signed_distance_m(latitude, longitude) >= 0
            if fence is not None and fence.kind is FenceKind.ZONE and inside:
                return fence.display_name
        return None

    async def zone_shape(self, tenant: TenantSlug, zone_id: str) -> Shape | None:
        """The shape of the tenant's zone fence ``zone_id`` (a geofence id), if there is one."""
        cached = await self.index(tenant)
        fence = cached.fences.get(zone_id)
        if fence is None or fence.kind is not FenceKind.ZONE:
            return None
        return _shape(fence.shape)

    def describe(self, tenant: TenantSlug, fence_id: str) -> Geofence | None:
        cached = self._cache.get(tenant)
        return cached.fences.get(fence_id) if cached else None
