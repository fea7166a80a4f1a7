"""Rider telemetry use cases: a rider's ping stream (checks, de-duplication, tracks, the live
index, geofence transitions, presence), tracks read back, and the telemetry policy."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import operator
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from logistics.domain.events import (
    Event,
    GeofenceDwelled,
    GeofenceEntered,
    GeofenceExited,
    GeofenceTransition,
    RiderOnline,
    RiderSpoofingSuspected,
)
from logistics.domain.fleet import VehicleType
from logistics.domain.geofence import TelemetryPolicy, validate_telemetry_policy
from logistics.domain.ids import ResourceName, TenantId, TenantSlug
from logistics.domain.live import ONLINE, RiderUpdate
from logistics.domain.names import GEOFENCES, RIDERS, TELEMETRY_POLICY
from logistics.domain.telemetry import (
    Fix,
    Ping,
    PingLimits,
    Rejection,
    RejectReason,
    SequenceState,
    advance,
    check_pings,
    epoch_ms,
    epoch_us,
    haversine_m,
)
from logistics.domain.versioning import check_etag
from logistics.geo.live_values import IngestResult, StreamState
from logistics.outages import OutageLog
from logistics.services.geofencing import FenceState, GeofenceService
from logistics.services.live.publisher import LivePublisher
from logistics.store.tracks import TrackPoint, TrackRow, TrackWriter, read_track
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)

MAX_TRACK_POINTS = 50_000
_RECORD_US = operator.attrgetter("record_us")
_SEQUENCE = operator.attrgetter("sequence")
_FENCE_EVENTS: dict[str, type[GeofenceTransition]] = {
    "entered": GeofenceEntered,
    "exited": GeofenceExited,
    "dwelled": GeofenceDwelled,
}

# Called with a rider whose dispatch-relevant state may have changed.
RiderHook = Callable[[TenantSlug, uuid.UUID], Awaitable[None]]


class TelemetryIndex(Protocol):
    """The live index as ingest uses it (``geo.live_index.LiveIndex``); a Redis failure is
    ``Unavailable``."""

    async def register_tenant(self, tenant: str) -> None: ...

    async def stream_state(self, tenant: str, rider_id: str) -> StreamState: ...

    def record(
        self,
        tenant: str,
        rider_id: str,
        sequences: list[int],
        newest: Ping | None,
        now_ms: int,
        seed_contiguous: int,
    ) -> Awaitable[IngestResult]: ...

    async def save_fence_states(
        self, tenant: str, rider_id: str, states: dict[str, tuple[int, bool]]
    ) -> None: ...


class Ack(NamedTuple):
    contiguous: int
    rejected: list[Rejection]


@dataclass(frozen=True)
class Track:
    points: list[TrackPoint]
    distance_m: float


class TelemetryService:
    def __init__(
        self,
        store: Store,
        index: TelemetryIndex,
        tracks: TrackWriter,
        fences: GeofenceService,
        clock: Clock,
        limits: PingLimits,
        *,
        on_stream_open: RiderHook | None = None,
        live: LivePublisher | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._tracks = tracks
        self._fences = fences
        self._clock = clock
        self._limits = limits
        self._on_stream_open = on_stream_open
        self._live = live
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
        points = await read_track(self._store.db, tenant_id, rider.id, start, end, MAX_TRACK_POINTS)
        distance = sum(
            haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)
            for a, b in itertools.pairwise(points)
        )
        return Track(points, distance)

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> TelemetryPolicy:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.telemetry_policy.get()

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, policy: TelemetryPolicy, etag: str | None
    ) -> TelemetryPolicy:
        caller.require(Scope.ADMIN, tenant)
        validate_telemetry_policy(policy)
        async with self._store.write(tenant) as uow:
            await uow.lock("telemetry_policy", "")
            current = await uow.telemetry_policy.get()
            check_etag(etag, current.version)
            updated = await uow.telemetry_policy.put(policy)
            name = TELEMETRY_POLICY.name(tenant)
            await uow.audit(
                caller.subject, "telemetry_policy.update", name, before=current, after=updated
            )
        return updated


@dataclass
class RiderSession:
    """One rider's stream. Its own sequence state acknowledges even when Redis is down; Redis
    carries the state across reconnects (to any replica)."""

    service: TelemetryService
    tenant: TenantSlug
    tenant_id: TenantId
    rider_id: uuid.UUID
    vehicle_type: VehicleType | None
    policy: TelemetryPolicy
    fence_states: dict[str, FenceState]
    sequence: SequenceState = dataclasses.field(default_factory=SequenceState)
    last_fix: Fix | Ping | None = None
    last_kept_us: int | None = None  # record time of the last ping kept in the track
    # False until the sequence state is known: from Redis when the stream opens, or else
    # from the first batch (a resumed app sends from its last ack + 1).
    seeded: bool = False
    fleet_id: str | None = None
    live_cell: str | None = None  # the coarse cell live views last heard of the rider in
    live_ms: int = 0  # record time of the position live views last got

    async def resume(self) -> None:
        """Picks up where the rider's previous stream (on any replica) left off."""
        index = self.service._index
        try:
            await index.register_tenant(self.tenant)
            state = await index.stream_state(self.tenant, self.rider_key)
        except Unavailable:
            logger.warning("live index unavailable; the stream starts from its first batch")
            return
        if state.contiguous is not None:
            self.sequence = SequenceState(
                state.contiguous, frozenset(s for s in state.pending if s > state.contiguous)
            )
            self.seeded = True
        if state.position is not None:
            p = state.position
            self.last_fix = Fix(p.latitude, p.longitude, p.accuracy_m, epoch_us(p.record_time))
            self.live_ms = epoch_ms(p.record_time)
        self.fence_states = {k: FenceState(since, d) for k, (since, d) in state.fences.items()}

    @functools.cached_property
    def sample_interval_us(self) -> int:
        return self.policy.sample_interval // timedelta(microseconds=1)

    @functools.cached_property
    def rider_key(self) -> str:
        """The rider id as the live index and live views key it (made once per stream)."""
        return str(self.rider_id)

    @property
    def name(self) -> str:
        return RIDERS.name(self.tenant, self.rider_id)

    async def handle(self, batch: Sequence[Ping]) -> Ack:
        s = self.service
        now = s._clock.now()
        now_us = epoch_us(now)
        now_ms = now_us // 1000
        rejected: list[Rejection] = []
        pings, sequences, state = self._new_pings(batch, rejected)
        events: list[Event] = []
        pings.sort(key=_RECORD_US)
        # ``valid`` in record-time order
        valid, problems, self.last_fix = check_pings(
            pings, now_us, s._limits, self.last_fix, self.vehicle_type
        )
        if problems:
            rejected.extend(problems)
            by_sequence = {p.sequence: p for p in pings}
            for problem in problems:
                if problem.reason is RejectReason.SPOOFING_SUSPECTED:
                    ping = by_sequence[problem.sequence]
                    events.append(self._spoofing(ping, problem))
        # Live views first: they need neither the track write nor the index call, and a
        # position never goes backwards for them (``live_ms``), replays included.
        self._publish_live(valid, now_ms)
        rows = self._sample(valid)
        if rows:
            await s._tracks.write(self.tenant_id, rows)
        contiguous = state.contiguous
        try:
            result = await s._index.record(
                self.tenant,
                self.rider_key,
                sequences,
                valid[-1] if valid else None,
                now_ms,
                self.sequence.contiguous,
            )
            contiguous = max(contiguous, result.contiguous)
            if result.state_was_missing:
                await s._index.register_tenant(self.tenant)  # Redis lost it too
            if result.came_online:
                events.append(RiderOnline(self.name, now))
            if len(result.fresh) == len(sequences):  # the usual case: all of them
                live = valid
            else:
                fresh_in_index = set(result.fresh)
                live = [p for p in valid if p.sequence in fresh_in_index]
        except Unavailable as exc:
            # Under an outage this happens on every batch: logged once per outage.
            self.service._outages.failed(logger, "tracks are stored, the live index skipped", exc)
            live = valid
        self.sequence = state
        if live and (self.fence_states or s._fences.may_have_fences(self.tenant)):
            events.extend(await self._fence_events(live))
        if events:
            await s.emit(self.tenant, events)
        if rejected:
            rejected.sort(key=_SEQUENCE)
        return Ack(contiguous, rejected)

    def _new_pings(
        self, batch: Sequence[Ping], rejected: list[Rejection]
    ) -> tuple[list[Ping], list[int], SequenceState]:
        """The batch's pings not seen before (in sequence order), every valid sequence of the
        batch (ascending, once each), and the sequence state after the batch."""
        if not self.seeded:
            # Nothing is known of earlier streams (a new rider, or Redis lost its state): the
            # app resends from its last ack + 1, so nothing below its first ping is pending.
            first = min((p.sequence for p in batch if p.sequence > 0), default=None)
            if first is not None:
                self.sequence = SequenceState(first - 1)
                self.seeded = True
        state = self.sequence
        sequences = [p.sequence for p in batch]
        start = state.contiguous + 1
        if (
            not state.pending
            and sequences
            and sequences[0] == start
            and sequences == list(range(start, start + len(sequences)))
        ):
            # The usual batch: the next pings, in order, once each.
            return list(batch), sequences, SequenceState(sequences[-1])
        by_sequence: dict[int, Ping] = {}
        for ping in batch:
            if ping.sequence <= 0:
                rejected.append(
                    Rejection(ping.sequence, RejectReason.OUT_OF_RANGE, "sequence must be positive")
                )
            else:
                by_sequence.setdefault(ping.sequence, ping)
        sequences = sorted(by_sequence)
        state, fresh = advance(state, sequences)
        return [by_sequence[k] for k in fresh], sequences, state

    def _publish_live(self, live: list[Ping], now_ms: int) -> None:
        """The newest of the batch's positions to the live views (never one older than what
        they already have)."""
        publisher = self.service._live
        if publisher is None or not live:
            return
        newest = live[-1]  # record-time order
        record_ms = newest.record_us // 1000
        if record_ms < self.live_ms:
            return
        self.live_ms = record_ms
        update = RiderUpdate(
            self.rider_key,
            newest.latitude,
            newest.longitude,
            newest.heading_deg,
            newest.speed_mps,
            ONLINE,
            newest.task,
            record_ms,
            now_ms,
            self.fleet_id,
        )
        self.live_cell = publisher.moved(self.tenant, update, self.live_cell)

    def _sample(self, valid: list[Ping]) -> list[TrackRow]:
        rows = []
        interval_us = self.sample_interval_us
        last_kept = self.last_kept_us
        for ping in valid:  # in record-time order
            if last_kept is not None and abs(ping.record_us - last_kept) < interval_us:
                continue
            last_kept = self.last_kept_us = ping.record_us
            rows.append(
                TrackRow(
                    self.rider_id,
                    ping.record_time,
                    ping.sequence,
                    ping.latitude,
                    ping.longitude,
                    ping.accuracy_m,
                    ping.speed_mps,
                    ping.heading_deg,
                    ping.task,
                )
            )
        return rows

    async def _fence_events(self, pings: list[Ping]) -> list[Event]:
        if not pings:
            return []
        s = self.service
        before = dict(self.fence_states)
        states, transitions = await s._fences.transitions(self.tenant, self.fence_states, pings)
        self.fence_states = states
        if states != before:
            try:
                await s._index.save_fence_states(
                    self.tenant,
                    self.rider_key,
                    {k: (v.since_ms, v.dwelled) for k, v in states.items()},
                )
            except Unavailable:
                logger.warning("cannot save geofence states", exc_info=True)
        events: list[Event] = []
        for t in transitions:
            fence = s._fences.describe(self.tenant, t.fence_id)
            events.append(
                _FENCE_EVENTS[t.kind](
                    rider=self.name,
                    geofence=GEOFENCES.name(self.tenant, uuid.UUID(t.fence_id)),
                    kind=fence.kind if fence else None,
                    record_time=t.ping.record_time,
                    latitude=t.ping.latitude,
                    longitude=t.ping.longitude,
                )
            )
        return events

    def _spoofing(self, ping: Ping, problem: Rejection) -> RiderSpoofingSuspected:
        return RiderSpoofingSuspected(
            rider=self.name,
            sequence=ping.sequence,
            record_time=ping.record_time,
            latitude=ping.latitude,
            longitude=ping.longitude,
            detail=problem.detail,
        )
