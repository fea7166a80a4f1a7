"""The live index's values (a rider's live position, its dispatch profile and availability, what
a match needs and the candidates it finds, an ingest's result, a resumed stream's state) and
how they are read from the index's Redis replies and packed for its scripts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logistics.domain.fleet import VehicleType

# The fields of a rider's hash that a position is read from, in the order the scripts return.
FIELDS = ("lat", "lng", "ts", "acc", "spd", "hdg", "bat", "task", "cell", "seen", "status", "seq")


@dataclass(frozen=True)
class LivePosition:
    rider_id: str
    latitude: float
    longitude: float
    record_time: datetime
    accuracy_m: float
    speed_mps: float
    heading_deg: float
    battery_percent: float
    task: str | None
    cell: str
    last_seen: datetime
    online: bool


@dataclass(frozen=True)
class DispatchProfile:
    """A rider's dispatch attributes kept beside its position: what it can carry, where it
    works, until when it is eligible (None: not now), its load and its rating (1 to 5, None:
    not rated)."""

    vehicle_type: str | None
    weight_kg: float
    volume_l: float
    item_count: int
    fleet_id: str | None
    zone: str | None
    eligible_until: datetime | None
    busy: bool
    load: int
    rating: float | None = None


@dataclass(frozen=True)
class RiderAvailability:
    """Whether a rider can be given work now, as matching decides it (``scripts.AVAILABILITY``
    and ``scripts.NEAREST`` share the rule), and what planning needs of it when it can."""

    rider_id: str
    unavailable: str | None  # why not (None: available)
    latitude: float
    longitude: float
    vehicle_type: str | None
    weight_kg: float
    volume_l: float
    item_count: int
    load: int


@dataclass(frozen=True)
class Need:
    vehicle_types: frozenset[VehicleType] = frozenset()
    weight_kg: float = 0.0
    volume_l: float = 0.0
    item_count: int = 0
    fleet_id: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class Candidate:
    rider_id: str
    latitude: float
    longitude: float
    distance_m: float
    vehicle_type: VehicleType | None
    load: int
    idle_since_ms: int
    rating: float | None = None


@dataclass(frozen=True)
class SurveyedRider:
    """A rider with a fresh position within a survey's radius, and what matching holds against
    it: why it is unavailable ("not eligible", "busy", "holds an open offer") and why it does
    not fit the need ("vehicle type", "capacity", "fleet", "zone"); None where it passes."""

    rider_id: str
    distance_m: float
    unavailable: str | None
    misfit: str | None


@dataclass(frozen=True)
class AreaSurvey:
    """Every rider whose position lies within a radius of a point (``scripts.EXPLAIN``):
    how many there are, how many of them are stale, how many fresh riders of the tenant are
    farther, and the fresh ones within, nearest first."""

    examined: int
    stale: int
    outside: int
    riders: list[SurveyedRider]


@dataclass(frozen=True)
class IngestResult:
    contiguous: int
    came_online: bool
    state_was_missing: bool  # Redis had lost (or never had) the rider's sequence state
    fresh: list[int]


@dataclass(frozen=True)
class StreamState:
    """What a new stream of a rider starts from: the sequences recorded so far, the last
    position, and the fences it is inside (fence id -> (since epoch ms, dwell reported))."""

    contiguous: int | None
    pending: list[int]
    position: LivePosition | None
    fences: dict[str, tuple[int, bool]]


def position_from(rider_id: str, values: Sequence[str | None]) -> LivePosition | None:
    lat, lng, ts, acc, spd, hdg, bat, task, cell, seen, status, _ = values
    if not lat or not lng or not ts or not seen:
        return None
    record_time, last_seen = time_of(ts), time_of(seen)
    assert record_time is not None
    assert last_seen is not None
    return LivePosition(
        rider_id=rider_id,
        latitude=float(lat),
        longitude=float(lng),
        record_time=record_time,
        accuracy_m=float(acc or 0),
        speed_mps=float(spd or 0),
        heading_deg=float(hdg or 0),
        battery_percent=float(bat or 0),
        task=task or None,
        cell=cell or "",
        last_seen=last_seen,
        online=status == "online",
    )


def time_of(ms: str | bytes | None) -> datetime | None:
    if not ms:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def fence_states_from(raw: Mapping[Any, Any]) -> dict[str, tuple[int, bool]]:
    states = {}
    for key, value in raw.items():
        since, _, dwelled = (text_of(value) or "0:0").partition(":")
        states[text_of(key) or ""] = (int(since), dwelled == "1")
    return states


def packed_sequences(sequences: list[int]) -> str:
    """Ascending sequences as the ingest script reads them: "first:last" for a run without
    gaps (the usual batch), else "a,b,c"."""
    if sequences and sequences[-1] - sequences[0] == len(sequences) - 1:
        return f"{sequences[0]}:{sequences[-1]}"
    return ",".join(map(str, sequences))


def text_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)
