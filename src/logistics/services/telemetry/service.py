"""Rider telemetry use cases: opening a rider's ping stream (``session.RiderSession``), tracks
read back, and the telemetry policy."""

from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import InvalidArgument, NotFound, PermissionDenied
from logistics.domain.events import (
    Event,
)
from logistics.domain.geofence import TelemetryPolicy, validate_telemetry_policy
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import RIDERS, TELEMETRY_POLICY
from logistics.domain.telemetry import (
    PingLimits,
    haversine_m,
)
from logistics.domain.tracks import TrackPoint
from logistics.outages import OutageLog
from logistics.services import crud
from logistics.services.geofencing import GeofenceService
from logistics.services.live.publisher import LivePublisher
from logistics.services.telemetry.adherence import AdherenceMonitor
from logistics.services.telemetry.ports import RiderHook, TelemetryIndex, Tracks
from logistics.services.telemetry.session import RiderSession
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)

MAX_TRACK_POINTS = 50_000


_POLICY: crud.Policy[TelemetryPolicy, TelemetryPolicy] = crud.Policy(
    TELEMETRY_POLICY, "telemetry_policy", lambda uow: uow.telemetry_policy
)


@dataclass(frozen=True)
class Track:
    points: list[TrackPoint]
    distance_m: float


class TelemetryService:
    def __init__(
        self,
        store: Store,
        index: TelemetryIndex,
        tracks: Tracks,
        fences: GeofenceService,
        clock: Clock,
        limits: PingLimits,
        *,
        on_stream_open: RiderHook | None = None,
        live: LivePublisher | None = None,
        adherence: AdherenceMonitor | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._tracks = tracks
        self._fences = fences
        self._clock = clock
        self._limits = limits
        self._on_stream_open = on_stream_open
        self._live = live
        self._adherence = adherence
        self._outages = OutageLog()

    async def open_session(self, caller: Caller) -> RiderSession:
        """The stream of the rider named by the token's ``rider_id`` claim."""
        caller.require(Scope.TELEMETRY)
        if caller.rider_id is None:
            raise PermissionDenied("streaming locations needs a rider token (rider_id claim)")
        try:
            rider_id = uuid.UUID(caller.rider_id)
        except ValueError:
            raise PermissionDenied("the token's rider_id is not a rider id") from None
        async with self._store.read(caller.tenant) as uow:
            rider = await uow.load(uow.riders, RIDERS, rider_id)
            vehicle = await uow.vehicles.get(rider.vehicle_id) if rider.vehicle_id else None
            policy = await uow.telemetry_policy.get()
            tenant_id = uow.tenant_id
        session = RiderSession(
            self,
            caller.tenant,
            tenant_id,
            rider_id,
            vehicle.type if vehicle else rider.vehicle_type,
            policy,
            {},
            fleet_id=str(rider.fleet_id) if rider.fleet_id else None,
        )
        await session.resume()
        if self._adherence is not None:
            session.adherence = await self._adherence.open(caller.tenant, rider_id, policy)
        if self._on_stream_open is not None:
            try:
                await self._on_stream_open(caller.tenant, rider_id)
            except Exception as exc:
                self._outages.failed(logger, "riders' dispatch profiles are not refreshed", exc)
        return session

    async def emit(self, tenant: TenantSlug, events: list[Event]) -> None:
        if not events:
            return
        async with self._store.write(tenant) as uow:
            for event in events:
                await uow.emit(event)

    async def get_track(
        self, caller: Caller, rider: ResourceName, start: datetime, end: datetime
    ) -> Track:
        caller.require(Scope.READ, rider.tenant)
        if end <= start:
            raise InvalidArgument.field("window", "must end after it starts")
        if end - start > timedelta(days=31):
            raise InvalidArgument.field("window", "must be at most 31 days long")
        async with self._store.read(rider.tenant) as uow:
            if await uow.riders.get(rider.id) is None:
                raise NotFound(f"rider {rider} not found")
            tenant_id = uow.tenant_id
        points = await self._tracks.read(tenant_id, rider.id, start, end, MAX_TRACK_POINTS)
        distance = sum(
            haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)
            for a, b in itertools.pairwise(points)
        )
        return Track(points, distance)

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> TelemetryPolicy:
        return await _POLICY.get(self._store, caller, tenant)

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, policy: TelemetryPolicy, etag: str | None
    ) -> TelemetryPolicy:
        return await _POLICY.replace(
            self._store, caller, tenant, policy, etag, validate=validate_telemetry_policy
        )
