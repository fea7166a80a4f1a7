"""Geofences and the tenant's telemetry policy: their values and validation. Pure."""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.errors import FieldViolation, InvalidArgument


class FenceKind(enum.StrEnum):
    ZONE = "zone"
    OUTLET = "outlet"
    HUB = "hub"
    NO_GO = "no_go"


@dataclass(frozen=True)
class Polygon:
    vertices: tuple[tuple[float, float], ...]  # (latitude, longitude), not closed


@dataclass(frozen=True)
class Circle:
    latitude: float
    longitude: float
    radius_m: float


@dataclass(frozen=True)
class Geofence:
    id: uuid.UUID
    display_name: str
    kind: FenceKind
    shape: Polygon | Circle
    dwell_threshold: timedelta = timedelta(0)
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


GEOFENCE_UPDATABLE = frozenset({"display_name", "kind", "polygon", "circle", "dwell_threshold"})


def validate_geofence(fence: Geofence, prefix: str = "geofence") -> None:
    """Shape checks that need no geometry library; ``geo.fences.polygon_problem`` adds the
    rest (self-crossing, area)."""
    out: list[FieldViolation] = []
    if not fence.display_name.strip() or len(fence.display_name) > 200:
        out.append(FieldViolation(f"{prefix}.display_name", "must be 1 to 200 characters"))
    if isinstance(fence.shape, Circle):
        c = fence.shape
        if not (-90 <= c.latitude <= 90 and -180 <= c.longitude <= 180):
            out.append(FieldViolation(f"{prefix}.circle.center", "is out of range"))
        if not (math.isfinite(c.radius_m) and 1 <= c.radius_m <= 100_000):
            out.append(FieldViolation(f"{prefix}.circle.radius_m", "must be 1 to 100,000 metres"))
    elif not 3 <= len(fence.shape.vertices) <= 1000:
        out.append(FieldViolation(f"{prefix}.polygon.vertices", "must have 3 to 1,000 vertices"))
    if fence.dwell_threshold < timedelta(0) or fence.dwell_threshold > timedelta(days=1):
        out.append(FieldViolation(f"{prefix}.dwell_threshold", "must be between 0 and 24 hours"))
    if out:
        raise InvalidArgument(out)


@dataclass(frozen=True)
class TelemetryPolicy:
    """At most one stored track point per rider per ``sample_interval`` (0: every ping), kept
    for ``retention_days``. A rider farther than ``route_corridor_m`` from its planned path
    for ``off_route_tolerance`` is off route (``domain.adherence``)."""

    sample_interval: timedelta = timedelta(seconds=5)
    retention_days: int = 90
    route_corridor_m: float = 50.0
    off_route_tolerance: timedelta = timedelta(seconds=60)
    update_time: datetime | None = None
    version: int = 0


def validate_telemetry_policy(policy: TelemetryPolicy) -> None:
    out: list[FieldViolation] = []
    if policy.sample_interval < timedelta(0) or policy.sample_interval > timedelta(hours=1):
        out.append(FieldViolation("policy.sample_interval", "must be between 0 and 1 hour"))
    if not 1 <= policy.retention_days <= 3650:
        out.append(FieldViolation("policy.retention_days", "must be 1 to 3650"))
    if not (math.isfinite(policy.route_corridor_m) and 5 <= policy.route_corridor_m <= 5000):
        out.append(FieldViolation("policy.route_corridor_m", "must be 5 to 5,000 metres"))
    if not timedelta(0) <= policy.off_route_tolerance <= timedelta(hours=1):
        out.append(FieldViolation("policy.off_route_tolerance", "must be between 0 and 1 hour"))
    if out:
        raise InvalidArgument(out)
