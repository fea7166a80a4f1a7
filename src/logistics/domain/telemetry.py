"""Rider location pings: their values, the checks a ping must pass, and how sequence numbers
advance the acknowledged position of a rider's stream. Pure."""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from logistics.domain.fleet import VehicleType
from logistics.domain.text import NUL

EARTH_RADIUS_M = 6_371_008.8


class RejectReason(enum.StrEnum):
    OUT_OF_RANGE = "out_of_range"
    INACCURATE = "inaccurate"
    FUTURE_TIME = "future_time"
    SPOOFING_SUSPECTED = "spoofing_suspected"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Ping(NamedTuple):
    """One location report. A named tuple rather than a dataclass, and its time in integer
    microseconds since the epoch rather than a datetime: tens of thousands are made, ordered
    and checked per second on the ingest path, where both are several times cheaper."""

    sequence: int
    record_us: int
    latitude: float
    longitude: float
    accuracy_m: float = 0.0
    speed_mps: float = 0.0
    heading_deg: float = 0.0
    altitude_m: float = 0.0
    battery_percent: float = 0.0
    task: str | None = None

    @property
    def record_time(self) -> datetime:
        return time_of_us(self.record_us)


@dataclass(frozen=True)
class Fix:
    """The last accepted position of a rider, what a new ping's speed is judged against."""

    latitude: float
    longitude: float
    accuracy_m: float
    record_us: int


@dataclass(frozen=True)
class Rejection:
    sequence: int
    reason: RejectReason
    detail: str


# Fastest believable ground speed per vehicle type, in m/s (with a margin over real maxima).
MAX_SPEED_MPS: dict[VehicleType | None, float] = {
    VehicleType.ON_FOOT: 12.0,
    VehicleType.BICYCLE: 25.0,
    VehicleType.MOTORBIKE: 60.0,
    VehicleType.CAR: 70.0,
    VehicleType.VAN: 60.0,
    VehicleType.TRUCK: 45.0,
    None: 70.0,
}


@dataclass(frozen=True)
class PingLimits:
    max_accuracy_m: float = 150.0
    max_future_skew: timedelta = timedelta(seconds=60)

    @functools.cached_property
    def max_future_skew_us(self) -> int:
        return self.max_future_skew // _MICROSECOND


_MICROSECOND = timedelta(microseconds=1)
# Record times before this are an unset protobuf Timestamp (the epoch) or nonsense.
_YEAR_2000_US = 946_684_800_000_000


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch: how Redis, the wire and live views carry times."""
    return int(moment.timestamp() * 1000)


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch (exact): how pings carry their record time."""
    return (moment - _EPOCH) // _MICROSECOND


def time_of_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


_M_PER_RADIAN = EARTH_RADIUS_M


def _flat_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Equirectangular distance: cheap, and close to the great circle for short moves."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _M_PER_RADIAN * math.sqrt(x * x + y * y)


def check_pings(
    pings: Iterable[Ping],
    now_us: int,
    limits: PingLimits,
    previous: Fix | Ping | None,
    vehicle_type: VehicleType | None,
) -> tuple[list[Ping], list[Rejection], Fix | Ping | None]:
    """Checks ``pings`` (in record-time order); returns those that can be positions (in that
    order), why the others cannot, and the newest accepted fix (``previous`` unless a ping is
    newer). Each ping's speed is judged against the newest fix accepted before it, allowing
    both fixes' accuracy: only a jump no vehicle of the type could make is flagged as
    suspected spoofing. One loop for the batch: it runs for every ping the service receives."""
    valid: list[Ping] = []
    rejected: list[Rejection] = []
    max_accuracy = limits.max_accuracy_m
    latest_us = now_us + limits.max_future_skew_us
    speed_limit = MAX_SPEED_MPS.get(vehicle_type, MAX_SPEED_MPS[None])
    last = previous
    for ping in pings:
        lat, lng, accuracy, record_us = (
            ping.latitude,
            ping.longitude,
            ping.accuracy_m,
            ping.record_us,
        )
        # Chained comparisons are false for NaN, so they also reject what is not a number.
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0):
            rejected.append(
                Rejection(
                    ping.sequence, RejectReason.OUT_OF_RANGE, "latitude or longitude out of range"
                )
            )
        elif not (0.0 <= accuracy <= max_accuracy) or accuracy == math.inf:
            rejected.append(
                Rejection(
                    ping.sequence,
                    RejectReason.INACCURATE,
                    f"accuracy {accuracy} m is worse than {max_accuracy:g} m",
                )
            )
        elif record_us < _YEAR_2000_US:
            rejected.append(
                Rejection(ping.sequence, RejectReason.OUT_OF_RANGE, "record_time is missing")
            )
        elif record_us > latest_us:
            rejected.append(
                Rejection(ping.sequence, RejectReason.FUTURE_TIME, "recorded in the future")
            )
        elif ping.task and NUL in ping.task:
            rejected.append(
                Rejection(ping.sequence, RejectReason.OUT_OF_RANGE, "task contains a NUL character")
            )
        elif last is not None and (problem := _too_fast(ping, last, speed_limit, vehicle_type)):
            rejected.append(problem)
        else:
            valid.append(ping)
            if last is None or record_us > last.record_us:
                last = ping  # a ping is a fix: no copy per ping
    return valid, rejected, last


def _too_fast(
    ping: Ping, previous: Fix | Ping, speed_limit: float, vehicle_type: VehicleType | None
) -> Rejection | None:
    lat, lng = ping.latitude, ping.longitude
    seconds = abs(ping.record_us - previous.record_us) / 1e6
    allowed = speed_limit * (seconds if seconds > 1.0 else 1.0) + previous.accuracy_m
    allowed += ping.accuracy_m
    # A flat-earth estimate settles the usual case (a short, slow move); within 20 km it is
    # within 1 % of the great circle below 70 degrees of latitude (tests hold it to that).
    near = _flat_m(previous.latitude, previous.longitude, lat, lng)
    if near < 20_000 and near * 1.01 + 1.0 < allowed and -70.0 < lat < 70.0:
        return None
    moved = haversine_m(previous.latitude, previous.longitude, lat, lng)
    if moved > allowed:
        return Rejection(
            ping.sequence,
            RejectReason.SPOOFING_SUSPECTED,
            f"moved {moved:.0f} m in {seconds:.1f} s, faster than a "
            f"{(vehicle_type or 'vehicle')} can",
        )
    return None


@dataclass(frozen=True)
class SequenceState:
    """What a rider's stream has stored: every sequence up to ``contiguous``, plus ``pending``
    ones above it that arrived early."""

    contiguous: int = 0
    pending: frozenset[int] = frozenset()


def advance(state: SequenceState, sequences: Iterable[int]) -> tuple[SequenceState, list[int]]:
    """Records ``sequences``; returns the new state and the ones not seen before (in order).

    A replayed or duplicated sequence is returned once only, ever; ``contiguous`` moves up
    while the next number has been seen. (The Redis script in ``geo.live_index`` implements
    this same rule; the property tests hold both to it.)
    """
    pending = set(state.pending)
    fresh: list[int] = []
    for seq in sorted(set(sequences)):
        if seq <= state.contiguous or seq in pending or seq <= 0:
            continue
        pending.add(seq)
        fresh.append(seq)
    contiguous = state.contiguous
    while contiguous + 1 in pending:
        contiguous += 1
        pending.discard(contiguous)
    return SequenceState(contiguous, frozenset(pending)), fresh
