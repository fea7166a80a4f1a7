"""Vehicles, compliance documents, shifts, the tenant's document policy, and the rule that
derives whether a rider can be dispatched. Pure: the caller supplies every fact and the time."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.fleet import Rider, RiderState, VehicleType


class VehicleState(enum.StrEnum):
    ACTIVE = "active"
    OUT_OF_SERVICE = "out_of_service"


class DocumentKind(enum.StrEnum):
    LICENCE = "licence"
    INSURANCE = "insurance"
    NATIONAL_ID = "national_id"
    BACKGROUND_CHECK = "background_check"
    VEHICLE_INSPECTION = "vehicle_inspection"


class Verification(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Capacity:
    """Zero in a dimension means no limit in it."""

    weight_kg: float = 0.0
    volume_l: float = 0.0
    item_count: int = 0


@dataclass(frozen=True)
class Vehicle:
    id: uuid.UUID
    type: VehicleType
    plate: str | None = None
    electric: bool = False
    capacity: Capacity = Capacity()
    temperature_controlled: bool = False
    min_temperature_c: float = 0.0
    max_temperature_c: float = 0.0
    max_stops: int = 0
    state: VehicleState = VehicleState.ACTIVE
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Document:
    id: uuid.UUID
    rider_id: uuid.UUID
    kind: DocumentKind
    number: str | None = None
    issue_time: datetime | None = None
    expire_time: datetime | None = None
    verification: Verification = Verification.PENDING
    review_reason: str | None = None
    file_sha256: str | None = None
    content_type: str | None = None
    file_size: int = 0
    blob_key: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0

    def valid_at(self, at: datetime) -> bool:
        return self.verification is Verification.VERIFIED and (
            self.expire_time is None or at < self.expire_time
        )


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Shift:
    id: uuid.UUID
    rider_id: uuid.UUID
    planned: Window
    breaks: tuple[Window, ...] = ()
    zone: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0

    def on_duty(self, at: datetime) -> bool:
        return self.planned.covers(at) and not any(b.covers(at) for b in self.breaks)


@dataclass(frozen=True)
class Requirement:
    """Kinds required of riders using ``vehicle_type`` (None: every vehicle type)."""

    vehicle_type: VehicleType | None
    kinds: frozenset[DocumentKind]


@dataclass(frozen=True)
class CompliancePolicy:
    requirements: tuple[Requirement, ...] = ()
    update_time: datetime | None = None
    version: int = 0

    def required_kinds(self, vehicle_type: VehicleType | None) -> frozenset[DocumentKind]:
        kinds: set[DocumentKind] = set()
        for requirement in self.requirements:
            if requirement.vehicle_type is None or requirement.vehicle_type == vehicle_type:
                kinds |= requirement.kinds
        return frozenset(kinds)


class ReasonCode(enum.StrEnum):
    NOT_ACTIVE = "not_active"
    OFF_SHIFT = "off_shift"
    NO_VEHICLE = "no_vehicle"
    CAPACITY = "capacity"
    DOCUMENT_MISSING = "document_missing"
    DOCUMENT_EXPIRED = "document_expired"
    DOCUMENT_REJECTED = "document_rejected"
    DOCUMENT_UNVERIFIED = "document_unverified"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str
    document_kind: DocumentKind | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Reason, ...]
    evaluate_time: datetime


@dataclass(frozen=True)
class RiderFacts:
    """Everything eligibility depends on, loaded by the caller."""

    rider: Rider
    vehicle: Vehicle | None
    shifts: Sequence[Shift] = ()
    documents: Sequence[Document] = ()
    policy: CompliancePolicy = CompliancePolicy()


def evaluate(facts: RiderFacts, at: datetime, needed: Capacity | None = None) -> Eligibility:
    """A rider is eligible when active, on a shift at ``at`` (not on a break), with an active
    vehicle whose capacity fits ``needed`` (riders on foot need no vehicle), and every document
    the policy requires for its vehicle type verified and unexpired at ``at``."""
    reasons: list[Reason] = []
    rider = facts.rider
    if rider.state is not RiderState.ACTIVE:
        reasons.append(Reason(ReasonCode.NOT_ACTIVE, f"the rider is {rider.state.value}"))
    if not any(s.on_duty(at) for s in facts.shifts):
        reasons.append(Reason(ReasonCode.OFF_SHIFT, "no shift covers this time"))
    reasons.extend(_vehicle_reasons(rider, facts.vehicle, needed))
    vehicle_type = facts.vehicle.type if facts.vehicle else rider.vehicle_type
    for kind in sorted(facts.policy.required_kinds(vehicle_type)):
        reason = _document_reason(kind, [d for d in facts.documents if d.kind is kind], at)
        if reason is not None:
            reasons.append(reason)
    return Eligibility(not reasons, tuple(reasons), at)


def _vehicle_reasons(
    rider: Rider, vehicle: Vehicle | None, needed: Capacity | None
) -> list[Reason]:
    if vehicle is None:
        if rider.vehicle_type is VehicleType.ON_FOOT and not _nonzero(needed):
            return []
        return [Reason(ReasonCode.NO_VEHICLE, "the rider has no vehicle on record")]
    if vehicle.state is not VehicleState.ACTIVE:
        return [Reason(ReasonCode.NO_VEHICLE, "the rider's vehicle is out of service")]
    if needed is None:
        return []
    short = [
        name
        for name, limit, want in (
            ("weight", vehicle.capacity.weight_kg, needed.weight_kg),
            ("volume", vehicle.capacity.volume_l, needed.volume_l),
            ("items", vehicle.capacity.item_count, needed.item_count),
        )
        if limit > 0 and want > limit
    ]
    if short:
        return [Reason(ReasonCode.CAPACITY, f"the vehicle cannot carry the {', '.join(short)}")]
    return []


def _nonzero(capacity: Capacity | None) -> bool:
    return capacity is not None and bool(
        capacity.weight_kg or capacity.volume_l or capacity.item_count
    )


def _document_reason(
    kind: DocumentKind, documents: Iterable[Document], at: datetime
) -> Reason | None:
    docs = list(documents)
    if any(d.valid_at(at) for d in docs):
        return None
    label = kind.value.replace("_", " ")
    if not docs:
        return Reason(ReasonCode.DOCUMENT_MISSING, f"no {label} on record", kind)
    if any(d.verification is Verification.PENDING for d in docs):
        return Reason(ReasonCode.DOCUMENT_UNVERIFIED, f"the {label} is not verified yet", kind)
    if any(d.verification is Verification.VERIFIED for d in docs):
        return Reason(ReasonCode.DOCUMENT_EXPIRED, f"the {label} has expired", kind)
    return Reason(ReasonCode.DOCUMENT_REJECTED, f"the {label} was rejected", kind)


# Validation

_PLATE = re.compile(r"[A-Z0-9][A-Z0-9 -]{0,14}[A-Z0-9]")
MAX_SHIFT = timedelta(hours=24)
PLATELESS = frozenset({VehicleType.BICYCLE, VehicleType.ON_FOOT})

VEHICLE_UPDATABLE = frozenset(
    {
        "type",
        "plate",
        "electric",
        "capacity",
        "temperature_controlled",
        "min_temperature_c",
        "max_temperature_c",
        "max_stops",
        "state",
    }
)
DOCUMENT_UPDATABLE = frozenset({"number", "issue_time", "expire_time"})
SHIFT_UPDATABLE = frozenset({"planned", "breaks", "zone"})


def normalise_plate(plate: str | None) -> str | None:
    """Plates compare upper-case with single spaces: "kda 123a" and "KDA  123A" are one."""
    if plate is None:
        return None
    return " ".join(plate.upper().split()) or None


def validate_vehicle(vehicle: Vehicle, prefix: str = "vehicle") -> None:
    out: list[FieldViolation] = []
    if vehicle.plate is None:
        if vehicle.type not in PLATELESS:
            out.append(FieldViolation(f"{prefix}.plate", f"is required for a {vehicle.type.value}"))
    elif not _PLATE.fullmatch(vehicle.plate):
        out.append(
            FieldViolation(f"{prefix}.plate", "must be 2 to 16 letters, digits, spaces or '-'")
        )
    cap = vehicle.capacity
    for name, value in (
        ("weight_kg", cap.weight_kg),
        ("volume_l", cap.volume_l),
        ("item_count", cap.item_count),
    ):
        if value < 0 or value != value or value > 1e6:
            out.append(
                FieldViolation(f"{prefix}.capacity.{name}", "must be between 0 and 1,000,000")
            )
    if vehicle.max_stops < 0:
        out.append(FieldViolation(f"{prefix}.max_stops", "must not be negative"))
    if vehicle.temperature_controlled:
        low, high = vehicle.min_temperature_c, vehicle.max_temperature_c
        if not (-60 <= low <= high <= 100):
            out.append(
                FieldViolation(
                    f"{prefix}.min_temperature_c",
                    "must not exceed max_temperature_c, both within -60..100",
                )
            )
    if out:
        raise InvalidArgument(out)


def validate_document(document: Document, prefix: str = "document") -> None:
    out: list[FieldViolation] = []
    if document.number is not None and len(document.number) > 64:
        out.append(FieldViolation(f"{prefix}.number", "is longer than 64 characters"))
    if (
        document.issue_time is not None
        and document.expire_time is not None
        and document.expire_time <= document.issue_time
    ):
        out.append(FieldViolation(f"{prefix}.expire_time", "must be after issue_time"))
    if out:
        raise InvalidArgument(out)


def validate_shift(shift: Shift, prefix: str = "shift") -> None:
    out: list[FieldViolation] = []
    planned = shift.planned
    if planned.end <= planned.start:
        out.append(FieldViolation(f"{prefix}.planned", "must end after it starts"))
    elif planned.end - planned.start > MAX_SHIFT:
        out.append(FieldViolation(f"{prefix}.planned", "must be at most 24 hours long"))
    for i, pause in enumerate(shift.breaks):
        if pause.end <= pause.start or pause.start < planned.start or pause.end > planned.end:
            out.append(FieldViolation(f"{prefix}.breaks[{i}]", "must be a window inside planned"))
    ordered = sorted(shift.breaks, key=lambda w: w.start)
    if any(a.end > b.start for a, b in pairwise(ordered)):
        out.append(FieldViolation(f"{prefix}.breaks", "must not overlap"))
    if shift.zone is not None and len(shift.zone) > 128:
        out.append(FieldViolation(f"{prefix}.zone", "is longer than 128 characters"))
    if out:
        raise InvalidArgument(out)


@dataclass(frozen=True)
class ReviewOutcome:
    verification: Verification
    reason: str | None = field(default=None)


def validate_review(outcome: ReviewOutcome) -> None:
    if outcome.verification is Verification.PENDING:
        raise InvalidArgument.field("verification_state", "must be VERIFIED or REJECTED")
    if outcome.verification is Verification.REJECTED and not (outcome.reason or "").strip():
        raise InvalidArgument.field("reason", "is required when rejecting a document")
    if outcome.reason is not None and len(outcome.reason) > 500:
        raise InvalidArgument.field("reason", "is longer than 500 characters")
