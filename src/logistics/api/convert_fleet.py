"""Translation between FleetService messages and fleet domain values."""

from __future__ import annotations

import uuid
from typing import Any

from bengobox.logistics.v1 import common_pb2, fleet_pb2

from logistics.api.convert_common import (
    enum_from_proto,
    enum_to_proto,
    optional,
    timestamp,
    update_paths,
)
from logistics.domain.errors import InvalidArgument
from logistics.domain.fleet import Fleet, FleetKind, Rider, RiderState, VehicleType
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FLEETS, RIDERS, VEHICLES, Collection
from logistics.domain.text import shown
from logistics.domain.versioning import etag_for

FLEET_KINDS: dict[int, FleetKind] = {
    fleet_pb2.Fleet.KIND_OWN: FleetKind.OWN,
    fleet_pb2.Fleet.KIND_CONTRACTED: FleetKind.CONTRACTED,
    fleet_pb2.Fleet.KIND_THIRD_PARTY: FleetKind.THIRD_PARTY,
}
RIDER_STATES: dict[int, RiderState] = {
    fleet_pb2.Rider.STATE_ACTIVE: RiderState.ACTIVE,
    fleet_pb2.Rider.STATE_SUSPENDED: RiderState.SUSPENDED,
    fleet_pb2.Rider.STATE_OFFBOARDED: RiderState.OFFBOARDED,
}
VEHICLE_TYPES: dict[int, VehicleType] = {
    common_pb2.VEHICLE_TYPE_BICYCLE: VehicleType.BICYCLE,
    common_pb2.VEHICLE_TYPE_MOTORBIKE: VehicleType.MOTORBIKE,
    common_pb2.VEHICLE_TYPE_CAR: VehicleType.CAR,
    common_pb2.VEHICLE_TYPE_VAN: VehicleType.VAN,
    common_pb2.VEHICLE_TYPE_TRUCK: VehicleType.TRUCK,
    common_pb2.VEHICLE_TYPE_ON_FOOT: VehicleType.ON_FOOT,
}


def fleet_from_proto(msg: fleet_pb2.Fleet, prefix: str = "fleet") -> Fleet:
    kind = enum_from_proto(msg.kind, FLEET_KINDS, f"{prefix}.kind", required=True)
    assert kind is not None
    return Fleet(
        id=uuid.uuid4(),
        display_name=msg.display_name,
        kind=kind,
        outlet_ids=tuple(msg.outlet_ids),
        labels=dict(msg.labels),
    )


def fleet_changes(msg: fleet_pb2.Fleet, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, "fleet"):
        if path == "kind":
            changes["kind"] = enum_from_proto(msg.kind, FLEET_KINDS, "fleet.kind", required=True)
        elif path == "outlet_ids":
            changes["outlet_ids"] = tuple(msg.outlet_ids)
        elif path == "labels":
            changes["labels"] = dict(msg.labels)
        else:
            changes[path] = getattr(msg, path)
    return changes


def fleet_to_proto(tenant: TenantSlug, fleet: Fleet) -> fleet_pb2.Fleet:
    return fleet_pb2.Fleet(
        name=FLEETS.name(tenant, fleet.id),
        display_name=fleet.display_name,
        kind=enum_to_proto(fleet.kind, FLEET_KINDS),  # type: ignore[arg-type]
        outlet_ids=list(fleet.outlet_ids),
        labels=fleet.labels,
        create_time=timestamp(fleet.create_time),
        update_time=timestamp(fleet.update_time),
        etag=etag_for(fleet.version),
    )


def reference(
    tenant: TenantSlug, value: str, collection: Collection, field: str
) -> uuid.UUID | None:
    """A resource named by another (or by a filter) must belong to the same tenant."""
    if not value:
        return None
    name = collection.parse(value, field)
    if name.tenant != tenant:
        raise InvalidArgument.field(
            field, f"names a resource of another tenant than {shown(tenant)}"
        )
    return name.id


def fleet_reference(tenant: TenantSlug, value: str, field: str) -> uuid.UUID | None:
    return reference(tenant, value, FLEETS, field)


def _rider_field(tenant: TenantSlug, msg: fleet_pb2.Rider, path: str) -> Any:
    if path == "fleet":
        return fleet_reference(tenant, msg.fleet, "rider.fleet")
    if path == "vehicle":
        return reference(tenant, msg.vehicle, VEHICLES, "rider.vehicle")
    if path == "vehicle_type":
        return enum_from_proto(msg.vehicle_type, VEHICLE_TYPES, "rider.vehicle_type")
    if path == "state":
        return enum_from_proto(msg.state, RIDER_STATES, "rider.state", required=True)
    if path == "labels":
        return dict(msg.labels)
    if path == "display_name":
        return msg.display_name
    if path == "rating":
        return msg.rating or None  # 0: not rated
    return optional(getattr(msg, path))


def rider_from_proto(tenant: TenantSlug, msg: fleet_pb2.Rider) -> Rider:
    state = enum_from_proto(msg.state, RIDER_STATES, "rider.state") or RiderState.ACTIVE
    return Rider(
        id=uuid.uuid4(),
        display_name=msg.display_name,
        external_id=optional(msg.external_id),
        fleet_id=_rider_field(tenant, msg, "fleet"),
        phone=optional(msg.phone),
        email=optional(msg.email),
        home_outlet_id=optional(msg.home_outlet_id),
        zone=optional(msg.zone),
        vehicle_type=_rider_field(tenant, msg, "vehicle_type"),
        vehicle_id=_rider_field(tenant, msg, "vehicle"),
        state=state,
        labels=dict(msg.labels),
        rating=_rider_field(tenant, msg, "rating"),
    )


def rider_changes(tenant: TenantSlug, msg: fleet_pb2.Rider, mask: list[str]) -> dict[str, Any]:
    return {path: _rider_field(tenant, msg, path) for path in update_paths(msg, mask, "rider")}


def rider_to_proto(tenant: TenantSlug, rider: Rider) -> fleet_pb2.Rider:
    return fleet_pb2.Rider(
        name=RIDERS.name(tenant, rider.id),
        display_name=rider.display_name,
        external_id=rider.external_id or "",
        fleet=FLEETS.name(tenant, rider.fleet_id) if rider.fleet_id else "",
        phone=rider.phone or "",
        email=rider.email or "",
        home_outlet_id=rider.home_outlet_id or "",
        zone=rider.zone or "",
        vehicle_type=enum_to_proto(rider.vehicle_type, VEHICLE_TYPES),  # type: ignore[arg-type]
        vehicle=VEHICLES.name(tenant, rider.vehicle_id) if rider.vehicle_id else "",
        state=enum_to_proto(rider.state, RIDER_STATES),  # type: ignore[arg-type]
        labels=rider.labels,
        rating=rider.rating or 0.0,
        create_time=timestamp(rider.create_time),
        update_time=timestamp(rider.update_time),
        etag=etag_for(rider.version),
    )
