"""Translation between FleetService's vehicle, document, shift, policy and eligibility messages
and their domain values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bengobox.logistics.v1 import common_pb2, fleet_pb2
from google.protobuf import timestamp_pb2

from logistics.api.convert_common import (
    enum_from_proto,
    enum_to_proto,
    optional,
    timestamp,
    update_paths,
)
from logistics.api.convert_fleet import VEHICLE_TYPES
from logistics.domain.compliance import (
    Capacity,
    CompliancePolicy,
    Document,
    DocumentKind,
    Eligibility,
    ReasonCode,
    Requirement,
    Shift,
    Vehicle,
    VehicleState,
    Verification,
    Window,
)
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import COMPLIANCE_POLICY, DOCUMENTS, SHIFTS, VEHICLES
from logistics.domain.versioning import etag_for

VEHICLE_STATES: dict[int, VehicleState] = {
    fleet_pb2.Vehicle.STATE_ACTIVE: VehicleState.ACTIVE,
    fleet_pb2.Vehicle.STATE_OUT_OF_SERVICE: VehicleState.OUT_OF_SERVICE,
}
DOCUMENT_KINDS: dict[int, DocumentKind] = {
    fleet_pb2.ComplianceDocument.KIND_LICENCE: DocumentKind.LICENCE,
    fleet_pb2.ComplianceDocument.KIND_INSURANCE: DocumentKind.INSURANCE,
    fleet_pb2.ComplianceDocument.KIND_NATIONAL_ID: DocumentKind.NATIONAL_ID,
    fleet_pb2.ComplianceDocument.KIND_BACKGROUND_CHECK: DocumentKind.BACKGROUND_CHECK,
    fleet_pb2.ComplianceDocument.KIND_VEHICLE_INSPECTION: DocumentKind.VEHICLE_INSPECTION,
}
VERIFICATIONS: dict[int, Verification] = {
    fleet_pb2.ComplianceDocument.VERIFICATION_STATE_PENDING: Verification.PENDING,
    fleet_pb2.ComplianceDocument.VERIFICATION_STATE_VERIFIED: Verification.VERIFIED,
    fleet_pb2.ComplianceDocument.VERIFICATION_STATE_REJECTED: Verification.REJECTED,
}
REASON_CODES: dict[int, ReasonCode] = {
    fleet_pb2.IneligibilityReason.CODE_NOT_ACTIVE: ReasonCode.NOT_ACTIVE,
    fleet_pb2.IneligibilityReason.CODE_OFF_SHIFT: ReasonCode.OFF_SHIFT,
    fleet_pb2.IneligibilityReason.CODE_NO_VEHICLE: ReasonCode.NO_VEHICLE,
    fleet_pb2.IneligibilityReason.CODE_CAPACITY: ReasonCode.CAPACITY,
    fleet_pb2.IneligibilityReason.CODE_DOCUMENT_MISSING: ReasonCode.DOCUMENT_MISSING,
    fleet_pb2.IneligibilityReason.CODE_DOCUMENT_EXPIRED: ReasonCode.DOCUMENT_EXPIRED,
    fleet_pb2.IneligibilityReason.CODE_DOCUMENT_REJECTED: ReasonCode.DOCUMENT_REJECTED,
    fleet_pb2.IneligibilityReason.CODE_DOCUMENT_UNVERIFIED: ReasonCode.DOCUMENT_UNVERIFIED,
}

_EARLIEST = int(datetime(1970, 1, 2, tzinfo=UTC).timestamp())
_LATEST = int(datetime(9999, 1, 1, tzinfo=UTC).timestamp())


def time_from_proto(value: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A timestamp inside 1970..9999 (an unset one is the caller's to handle)."""
    if not _EARLIEST <= value.seconds < _LATEST or not 0 <= value.nanos < 1_000_000_000:
        raise InvalidArgument.field(field, "is not a valid time")
    return value.ToDatetime(tzinfo=UTC)


def optional_time(message: Any, attribute: str, field: str) -> datetime | None:
    if not message.HasField(attribute):
        return None
    return time_from_proto(getattr(message, attribute), field)


def window_from_proto(value: common_pb2.TimeWindow, field: str) -> Window:
    if not value.HasField("start_time") or not value.HasField("end_time"):
        raise InvalidArgument.field(field, "needs start_time and end_time")
    return Window(
        time_from_proto(value.start_time, f"{field}.start_time"),
        time_from_proto(value.end_time, f"{field}.end_time"),
    )


def window_to_proto(window: Window) -> common_pb2.TimeWindow:
    return common_pb2.TimeWindow(start_time=timestamp(window.start), end_time=timestamp(window.end))


def capacity_from_proto(value: common_pb2.Capacity) -> Capacity:
    return Capacity(value.weight_kg, value.volume_l, value.item_count)


def capacity_to_proto(value: Capacity) -> common_pb2.Capacity:
    return common_pb2.Capacity(
        weight_kg=value.weight_kg, volume_l=value.volume_l, item_count=value.item_count
    )


# Vehicles


def vehicle_from_proto(msg: fleet_pb2.Vehicle) -> Vehicle:
    kind = enum_from_proto(msg.type, VEHICLE_TYPES, "vehicle.type", required=True)
    assert kind is not None
    return Vehicle(
        id=uuid.uuid4(),
        type=kind,
        plate=optional(msg.plate),
        electric=msg.electric,
        capacity=capacity_from_proto(msg.capacity),
        temperature_controlled=msg.temperature_controlled,
        min_temperature_c=msg.min_temperature_c,
        max_temperature_c=msg.max_temperature_c,
        max_stops=msg.max_stops,
        state=enum_from_proto(msg.state, VEHICLE_STATES, "vehicle.state") or VehicleState.ACTIVE,
    )


def vehicle_changes(msg: fleet_pb2.Vehicle, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, "vehicle"):
        if path == "type":
            changes[path] = enum_from_proto(msg.type, VEHICLE_TYPES, "vehicle.type", required=True)
        elif path == "state":
            changes[path] = enum_from_proto(
                msg.state, VEHICLE_STATES, "vehicle.state", required=True
            )
        elif path == "capacity":
            changes[path] = capacity_from_proto(msg.capacity)
        elif path == "plate":
            changes[path] = optional(msg.plate)
        else:
            changes[path] = getattr(msg, path)
    return changes


def vehicle_to_proto(tenant: TenantSlug, v: Vehicle) -> fleet_pb2.Vehicle:
    return fleet_pb2.Vehicle(
        name=VEHICLES.name(tenant, v.id),
        type=enum_to_proto(v.type, VEHICLE_TYPES),  # type: ignore[arg-type]
        plate=v.plate or "",
        electric=v.electric,
        capacity=capacity_to_proto(v.capacity),
        temperature_controlled=v.temperature_controlled,
        min_temperature_c=v.min_temperature_c,
        max_temperature_c=v.max_temperature_c,
        max_stops=v.max_stops,
        state=enum_to_proto(v.state, VEHICLE_STATES),  # type: ignore[arg-type]
        create_time=timestamp(v.create_time),
        update_time=timestamp(v.update_time),
        etag=etag_for(v.version),
    )


# Documents

DOCUMENT_OUTPUT_ONLY = frozenset(
    {"verification_state", "file_sha256", "content_type", "file_size_bytes", "review_reason"}
)


def document_from_proto(msg: fleet_pb2.ComplianceDocument) -> Document:
    kind = enum_from_proto(msg.kind, DOCUMENT_KINDS, "document.kind", required=True)
    assert kind is not None
    return Document(
        id=uuid.uuid4(),
        rider_id=uuid.UUID(int=0),  # set by the use case from the parent
        kind=kind,
        number=optional(msg.number),
        issue_time=optional_time(msg, "issue_time", "document.issue_time"),
        expire_time=optional_time(msg, "expire_time", "document.expire_time"),
    )


def document_changes(msg: fleet_pb2.ComplianceDocument, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    paths = update_paths(
        msg, mask, "document", output_only=DOCUMENT_OUTPUT_ONLY, immutable=frozenset({"kind"})
    )
    for path in paths:
        if path in ("issue_time", "expire_time"):
            changes[path] = optional_time(msg, path, f"document.{path}")
        elif path == "number":
            changes[path] = optional(msg.number)
        else:
            changes[path] = getattr(msg, path)  # refused by the use case as not updatable
    return changes


def document_to_proto(tenant: TenantSlug, d: Document) -> fleet_pb2.ComplianceDocument:
    return fleet_pb2.ComplianceDocument(
        name=DOCUMENTS.name(tenant, d.rider_id, d.id),
        kind=enum_to_proto(d.kind, DOCUMENT_KINDS),  # type: ignore[arg-type]
        number=d.number or "",
        issue_time=timestamp(d.issue_time),
        expire_time=timestamp(d.expire_time),
        verification_state=enum_to_proto(d.verification, VERIFICATIONS),  # type: ignore[arg-type]
        review_reason=d.review_reason or "",
        file_sha256=d.file_sha256 or "",
        content_type=d.content_type or "",
        file_size_bytes=d.file_size,
        create_time=timestamp(d.create_time),
        update_time=timestamp(d.update_time),
        etag=etag_for(d.version),
    )


# Shifts


def shift_from_proto(msg: fleet_pb2.Shift) -> Shift:
    if not msg.HasField("planned"):
        raise InvalidArgument.field("shift.planned", "is required")
    return Shift(
        id=uuid.uuid4(),
        rider_id=uuid.UUID(int=0),  # set by the use case from the parent
        planned=window_from_proto(msg.planned, "shift.planned"),
        breaks=tuple(window_from_proto(b, f"shift.breaks[{i}]") for i, b in enumerate(msg.breaks)),
        zone=optional(msg.zone),
    )


def shift_changes(msg: fleet_pb2.Shift, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, "shift"):
        if path == "planned":
            changes[path] = window_from_proto(msg.planned, "shift.planned")
        elif path == "breaks":
            changes[path] = tuple(
                window_from_proto(b, f"shift.breaks[{i}]") for i, b in enumerate(msg.breaks)
            )
        elif path == "zone":
            changes[path] = optional(msg.zone)
        else:
            changes[path] = getattr(msg, path)
    return changes


def shift_to_proto(tenant: TenantSlug, s: Shift) -> fleet_pb2.Shift:
    return fleet_pb2.Shift(
        name=SHIFTS.name(tenant, s.rider_id, s.id),
        planned=window_to_proto(s.planned),
        breaks=[window_to_proto(b) for b in s.breaks],
        zone=s.zone or "",
        create_time=timestamp(s.create_time),
        update_time=timestamp(s.update_time),
        etag=etag_for(s.version),
    )


# Policy and eligibility


def policy_from_proto(msg: fleet_pb2.CompliancePolicy) -> CompliancePolicy:
    requirements = []
    seen: set[object] = set()
    for i, r in enumerate(msg.requirements):
        field = f"policy.requirements[{i}]"
        vehicle_type = enum_from_proto(r.vehicle_type, VEHICLE_TYPES, f"{field}.vehicle_type")
        if vehicle_type in seen:
            raise InvalidArgument.field(f"{field}.vehicle_type", "appears twice")
        seen.add(vehicle_type)
        kinds = set()
        for j, k in enumerate(r.kinds):
            kind = enum_from_proto(k, DOCUMENT_KINDS, f"{field}.kinds[{j}]", required=True)
            assert kind is not None
            kinds.add(kind)
        requirements.append(Requirement(vehicle_type, frozenset(kinds)))
    return CompliancePolicy(tuple(requirements))


def policy_to_proto(tenant: TenantSlug, p: CompliancePolicy) -> fleet_pb2.CompliancePolicy:
    return fleet_pb2.CompliancePolicy(
        name=COMPLIANCE_POLICY.name(tenant),
        requirements=[
            fleet_pb2.CompliancePolicy.Requirement(
                vehicle_type=enum_to_proto(r.vehicle_type, VEHICLE_TYPES),  # type: ignore[arg-type]
                kinds=[enum_to_proto(k, DOCUMENT_KINDS) for k in sorted(r.kinds)],  # type: ignore[misc]
            )
            for r in p.requirements
        ],
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )


def eligibility_to_proto(rider: str, e: Eligibility) -> fleet_pb2.Eligibility:
    return fleet_pb2.Eligibility(
        rider=rider,
        eligible=e.eligible,
        reasons=[
            fleet_pb2.IneligibilityReason(
                code=enum_to_proto(r.code, REASON_CODES),  # type: ignore[arg-type]
                message=r.message,
                document_kind=enum_to_proto(r.document_kind, DOCUMENT_KINDS),  # type: ignore[arg-type]
            )
            for r in e.reasons
        ],
        evaluate_time=timestamp(e.evaluate_time),
    )
