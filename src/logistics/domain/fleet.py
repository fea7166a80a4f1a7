"""Fleets and riders: their values and the rules a valid one obeys."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from logistics.domain.errors import FieldViolation, InvalidArgument


class FleetKind(enum.StrEnum):
    OWN = "own"
    CONTRACTED = "contracted"
    THIRD_PARTY = "third_party"


class RiderState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    OFFBOARDED = "offboarded"


class VehicleType(enum.StrEnum):
    BICYCLE = "bicycle"
    MOTORBIKE = "motorbike"
    CAR = "car"
    VAN = "van"
    TRUCK = "truck"
    ON_FOOT = "on_foot"


MAX_NAME_LENGTH = 200
MAX_LABELS = 64
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
_EXTERNAL_ID = re.compile(r"[\x21-\x7e]{1,128}")


@dataclass(frozen=True)
class Fleet:
    id: uuid.UUID
    display_name: str
    kind: FleetKind
    outlet_ids: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


MIN_RATING, MAX_RATING = 1.0, 5.0


@dataclass(frozen=True)
class Rider:
    id: uuid.UUID
    display_name: str
    external_id: str | None = None
    fleet_id: uuid.UUID | None = None
    phone: str | None = None
    email: str | None = None
    home_outlet_id: str | None = None
    zone: str | None = None
    vehicle_type: VehicleType | None = None
    vehicle_id: uuid.UUID | None = None
    state: RiderState = RiderState.ACTIVE
    labels: dict[str, str] = field(default_factory=dict)
    rating: float | None = None  # 1.0 to 5.0; None until rated
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


FLEET_UPDATABLE = frozenset({"display_name", "kind", "outlet_ids", "labels"})
RIDER_UPDATABLE = frozenset(
    {
        "display_name",
        "external_id",
        "fleet",
        "phone",
        "email",
        "home_outlet_id",
        "zone",
        "vehicle_type",
        "vehicle",
        "state",
        "labels",
        "rating",
    }
)


def _check_name(value: str, path: str, out: list[FieldViolation]) -> None:
    if not value.strip():
        out.append(FieldViolation(path, "is required"))
    elif len(value) > MAX_NAME_LENGTH:
        out.append(FieldViolation(path, f"is longer than {MAX_NAME_LENGTH} characters"))


def _check_labels(labels: dict[str, str], path: str, out: list[FieldViolation]) -> None:
    if len(labels) > MAX_LABELS:
        out.append(FieldViolation(path, f"has more than {MAX_LABELS} entries"))
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            out.append(FieldViolation(f"{path}[{key}]", "key must match [a-z][a-z0-9_.-]{0,62}"))
        elif len(value) > 256:
            out.append(FieldViolation(f"{path}[{key}]", "value is longer than 256 characters"))


def validate_fleet(fleet: Fleet, prefix: str = "fleet") -> None:
    """Raises InvalidArgument naming every bad field of ``fleet``."""
    out: list[FieldViolation] = []
    _check_name(fleet.display_name, f"{prefix}.display_name", out)
    for i, outlet in enumerate(fleet.outlet_ids):
        if not outlet or len(outlet) > 128:
            out.append(FieldViolation(f"{prefix}.outlet_ids[{i}]", "must be 1 to 128 characters"))
    if len(set(fleet.outlet_ids)) != len(fleet.outlet_ids):
        out.append(FieldViolation(f"{prefix}.outlet_ids", "has duplicates"))
    _check_labels(fleet.labels, f"{prefix}.labels", out)
    if out:
        raise InvalidArgument(out)


def validate_rider(rider: Rider, prefix: str = "rider") -> None:
    """Raises InvalidArgument naming every bad field of ``rider``."""
    out: list[FieldViolation] = []
    _check_name(rider.display_name, f"{prefix}.display_name", out)
    if rider.external_id is not None and not _EXTERNAL_ID.fullmatch(rider.external_id):
        out.append(
            FieldViolation(f"{prefix}.external_id", "must be 1 to 128 printable ASCII characters")
        )
    if rider.phone is not None and not _PHONE.fullmatch(rider.phone):
        out.append(
            FieldViolation(f"{prefix}.phone", "must be an E.164 number such as +254712345678")
        )
    if rider.email is not None and (len(rider.email) > 254 or not _EMAIL.fullmatch(rider.email)):
        out.append(FieldViolation(f"{prefix}.email", "is not an email address"))
    for attr in ("home_outlet_id", "zone"):
        value = getattr(rider, attr)
        if value is not None and len(value) > 128:
            out.append(FieldViolation(f"{prefix}.{attr}", "is longer than 128 characters"))
    _check_labels(rider.labels, f"{prefix}.labels", out)
    if rider.rating is not None and not (MIN_RATING <= rider.rating <= MAX_RATING):
        out.append(
            FieldViolation(f"{prefix}.rating", f"must be from {MIN_RATING:g} to {MAX_RATING:g}")
        )
    if out:
        raise InvalidArgument(out)


def check_update_paths(paths: frozenset[str], allowed: frozenset[str], field: str) -> None:
    """An update mask may name only updatable fields."""
    unknown = sorted(paths - allowed)
    if unknown:
        raise InvalidArgument.field(
            field, f"cannot update {', '.join(unknown)}; updatable: {', '.join(sorted(allowed))}"
        )
