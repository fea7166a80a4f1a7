"""FleetService on both listeners: parse the request, call the use case, render the result."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import fleet_connect, fleet_pb2
from google.protobuf import empty_pb2

from logistics.api.convert_common import enum_from_proto, optional
from logistics.api.convert_fleet import (
    FLEET_KINDS,
    RIDER_STATES,
    VEHICLE_TYPES,
    fleet_changes,
    fleet_from_proto,
    fleet_reference,
    fleet_to_proto,
    rider_changes,
    rider_from_proto,
    rider_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.fleet_records import FleetRecordsMethods
from logistics.api.outlets import OutletMethods
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_parent
from logistics.domain.names import FLEETS, RIDERS
from logistics.services.compliance import ComplianceService
from logistics.services.fleet import FleetService
from logistics.services.outlets import OutletRegistry
from logistics.services.vehicles import VehicleService

Ctx = Any  # a connect RequestContext or a grpc ServicerContext; handlers do not use it


def _required(message_present: bool, field: str) -> None:
    if not message_present:
        raise InvalidArgument.field(field, "is required")


class FleetHandler(FleetRecordsMethods, OutletMethods, fleet_connect.FleetService):
    """Every FleetService method, on both listeners."""

    def __init__(
        self,
        fleets: FleetService,
        vehicles: VehicleService,
        compliance: ComplianceService,
        registry: OutletRegistry,
    ) -> None:
        self._fleets = fleets
        self._vehicles = vehicles
        self._compliance = compliance
        self._registry = registry

    async def create_fleet(
        self, request: fleet_pb2.CreateFleetRequest, ctx: Ctx
    ) -> fleet_pb2.Fleet:
        tenant = parse_parent(request.parent)
        _required(request.HasField("fleet"), "fleet")
        created = await self._fleets.create_fleet(
            current_caller(), tenant, fleet_from_proto(request.fleet), optional(request.request_id)
        )
        return fleet_to_proto(tenant, created)

    async def get_fleet(self, request: fleet_pb2.GetFleetRequest, ctx: Ctx) -> fleet_pb2.Fleet:
        name = FLEETS.parse(request.name)
        return fleet_to_proto(name.tenant, await self._fleets.get_fleet(current_caller(), name))

    async def list_fleets(
        self, request: fleet_pb2.ListFleetsRequest, ctx: Ctx
    ) -> fleet_pb2.ListFleetsResponse:
        tenant = parse_parent(request.parent)
        kind = enum_from_proto(request.kind, FLEET_KINDS, "kind")
        filters = ("fleets", tenant, kind)
        page = await self._fleets.list_fleets(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            kind,
        )
        return fleet_pb2.ListFleetsResponse(
            fleets=[fleet_to_proto(tenant, f) for f in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_fleet(
        self, request: fleet_pb2.UpdateFleetRequest, ctx: Ctx
    ) -> fleet_pb2.Fleet:
        _required(request.HasField("fleet"), "fleet")
        name = FLEETS.parse(request.fleet.name, "fleet.name")
        changes = fleet_changes(request.fleet, list(request.update_mask.paths))
        updated = await self._fleets.update_fleet(
            current_caller(), name, changes, optional(request.fleet.etag)
        )
        return fleet_to_proto(name.tenant, updated)

    async def delete_fleet(
        self, request: fleet_pb2.DeleteFleetRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = FLEETS.parse(request.name)
        await self._fleets.delete_fleet(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

    async def create_rider(
        self, request: fleet_pb2.CreateRiderRequest, ctx: Ctx
    ) -> fleet_pb2.Rider:
        tenant = parse_parent(request.parent)
        _required(request.HasField("rider"), "rider")
        created = await self._fleets.create_rider(
            current_caller(),
            tenant,
            rider_from_proto(tenant, request.rider),
            optional(request.request_id),
        )
        return rider_to_proto(tenant, created)

    async def get_rider(self, request: fleet_pb2.GetRiderRequest, ctx: Ctx) -> fleet_pb2.Rider:
        name = RIDERS.parse(request.name)
        return rider_to_proto(name.tenant, await self._fleets.get_rider(current_caller(), name))

    async def list_riders(
        self, request: fleet_pb2.ListRidersRequest, ctx: Ctx
    ) -> fleet_pb2.ListRidersResponse:
        tenant = parse_parent(request.parent)
        fleet_id = fleet_reference(tenant, request.fleet, "fleet")
        state = enum_from_proto(request.state, RIDER_STATES, "state")
        vehicle_type = enum_from_proto(request.vehicle_type, VEHICLE_TYPES, "vehicle_type")
        zone = optional(request.zone)
        filters = ("riders", tenant, fleet_id, state, vehicle_type, zone)
        page = await self._fleets.list_riders(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            fleet_id=fleet_id,
            state=state,
            vehicle_type=vehicle_type,
            zone=zone,
        )
        return fleet_pb2.ListRidersResponse(
            riders=[rider_to_proto(tenant, r) for r in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_rider(
        self, request: fleet_pb2.UpdateRiderRequest, ctx: Ctx
    ) -> fleet_pb2.Rider:
        _required(request.HasField("rider"), "rider")
        name = RIDERS.parse(request.rider.name, "rider.name")
        changes = rider_changes(name.tenant, request.rider, list(request.update_mask.paths))
        updated = await self._fleets.update_rider(
            current_caller(), name, changes, optional(request.rider.etag)
        )
        return rider_to_proto(name.tenant, updated)

    async def delete_rider(
        self, request: fleet_pb2.DeleteRiderRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = RIDERS.parse(request.name)
        await self._fleets.delete_rider(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()
