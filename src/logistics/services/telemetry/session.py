"""One rider's ping stream: sequence de-duplication, the checks, sampling into the track, the
live index, live views, geofence transitions and the events they raise."""

from __future__ import annotations

import dataclasses
import functools
import logging
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from logistics.domain.errors import Unavailable
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
from logistics.domain.geofence import TelemetryPolicy
from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.live import ONLINE, RiderUpdate
from logistics.domain.names import GEOFENCES, RIDERS
from logistics.domain.telemetry import (
    Fix,
    Ping,
    Rejection,
    RejectReason,
    SequenceState,
    advance,
    check_pings,
    epoch_ms,
    epoch_us,
)
from logistics.domain.tracks import TrackRow
from logistics.services.geofencing import FenceState

if TYPE_CHECKING:
    from logistics.services.telemetry.adherence import RiderAdherence
    from logistics.services.telemetry.service import TelemetryService

logger = logging.getLogger(__name__)

_RECORD_US = operator.attrgetter("record_us")
_SEQUENCE = operator.attrgetter("sequence")
_FENCE_EVENTS: dict[str, type[GeofenceTransition]] = {
    "entered": GeofenceEntered,
    "exited": GeofenceExited,
    "dwelled": GeofenceDwelled,
}


class Ack(NamedTuple):
    contiguous: int
    rejected: list[Rejection]


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
    adherence: RiderAdherence | None = None  # the off-route check, when the service has one

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
        if live and self.adherence is not None:
            events.extend(await self.adherence.check(live))
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
