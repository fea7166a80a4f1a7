"""Proto <-> domain helpers shared by the per-service translation modules."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar, cast

from bengobox.logistics.v1 import common_pb2
from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.message import Message

from logistics.domain.errors import InvalidArgument
from logistics.domain.eta import Eta, EtaSource
from logistics.domain.text import shown

E = TypeVar("E", bound=enum.Enum)

# Fields the server sets; a client may send them but they never change anything.
OUTPUT_ONLY = frozenset({"name", "create_time", "update_time", "etag"})


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def optional(value: str) -> str | None:
    """Proto3 strings have no null: empty means unset."""
    return value or None


def enum_from_proto(
    value: int, table: Mapping[int, E], field: str, *, required: bool = False
) -> E | None:
    """Maps a proto enum number; 0 (UNSPECIFIED) is None, an unknown number is an error."""
    if value == 0:
        if required:
            raise InvalidArgument.field(field, "is required")
        return None
    found = table.get(value)
    if found is None:
        raise InvalidArgument.field(field, f"{value} is not a known value")
    return found


def enum_to_proto(value: E | None, table: Mapping[int, E]) -> int:
    if value is None:
        return 0
    for number, member in table.items():
        if member is value:
            return number
    raise ValueError(f"{shown(value)} has no proto number")


def update_paths(
    message: Message,
    mask_paths: list[str],
    field: str,
    *,
    output_only: frozenset[str] = frozenset(),
    immutable: frozenset[str] = frozenset(),
) -> list[str]:
    """AIP-134: the mask's top-level paths, or, when the mask is empty, every populated field
    but the output-only and immutable ones, so a resource read back, edited and sent whole
    updates what changed."""
    skipped = OUTPUT_ONLY | output_only
    if not mask_paths:
        return [f.name for f, _ in message.ListFields() if f.name not in skipped | immutable]
    if "*" in mask_paths:
        return [f.name for f in message.DESCRIPTOR.fields if f.name not in skipped | immutable]
    paths = []
    names = {f.name for f in message.DESCRIPTOR.fields}
    for path in mask_paths:
        top = path.split(".", 1)[0]
        # A set of the names, not ``fields_by_name``: upb's lookup ends a name at a NUL byte,
        # so it would take "display_name\x00x" for "display_name".
        if top not in names:
            raise InvalidArgument.field("update_mask", f"{shown(path)} is not a field of {field}")
        if top in skipped:
            raise InvalidArgument.field("update_mask", f"{shown(path)} is output only")
        if top != path:
            raise InvalidArgument.field(
                "update_mask", f"{shown(path)}: only top-level fields can be named"
            )
        paths.append(top)
    return sorted(set(paths))


# Each source names its value (road_cached: SOURCE_ROAD_CACHED); one without fails the import.
ETA_SOURCES: dict[EtaSource, common_pb2.ArrivalEstimate.Source] = {
    source: cast(
        "common_pb2.ArrivalEstimate.Source",
        common_pb2.ArrivalEstimate.Source.Value("SOURCE_" + source.value.upper()),
    )
    for source in EtaSource
}


def arrival_to_proto(eta: Eta) -> common_pb2.ArrivalEstimate:
    travel = duration_pb2.Duration()
    travel.FromMilliseconds(round(eta.travel_s * 1000))
    return common_pb2.ArrivalEstimate(
        arrival_time=timestamp(eta.expected),
        travel=travel,
        source=ETA_SOURCES[eta.source],
        estimate_time=timestamp(eta.computed),
        p50_arrival_time=timestamp(eta.p50),
        p90_arrival_time=timestamp(eta.p90),
    )
