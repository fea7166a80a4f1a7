"""FleetService methods for the outlet registry (GetOutlet, ListOutlets, UpdateOutlet), and
outlets to and from protobuf; mixed into ``FleetHandler``."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import common_pb2, fleet_pb2

from logistics.api.convert_common import timestamp, update_paths
from logistics.api.convert_tasks import location
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug, parse_parent
from logistics.domain.outlets import OpeningHours, Outlet, outlet_name, parse_outlet_name
from logistics.domain.versioning import etag_for
from logistics.services.outlets import OutletRegistry

Ctx = Any


def outlet_to_proto(tenant: TenantSlug, outlet: Outlet) -> fleet_pb2.Outlet:
    where = None
    if outlet.latitude is not None and outlet.longitude is not None:
        where = common_pb2.GeoPoint(latitude=outlet.latitude, longitude=outlet.longitude)
    return fleet_pb2.Outlet(
        name=outlet_name(tenant, outlet.id),
        display_name=outlet.display_name,
        location=where,
        address=outlet.address,
        pickup_instructions=outlet.pickup_instructions,
        time_zone=outlet.time_zone,
        opening_hours=[
            fleet_pb2.OpeningHours(
                weekday=h.weekday, open_minute=h.open_minute, close_minute=h.close_minute
            )
            for h in outlet.opening_hours
        ],
        create_time=timestamp(outlet.create_time),
        update_time=timestamp(outlet.update_time),
        etag=etag_for(outlet.version),
    )


def outlet_changes(msg: fleet_pb2.Outlet, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, "outlet"):
        if path == "location":
            changes[path] = location(msg.location, msg.HasField("location"), "outlet.location")
        elif path == "opening_hours":
            changes[path] = tuple(
                OpeningHours(h.weekday, h.open_minute, h.close_minute) for h in msg.opening_hours
            )
        else:
            changes[path] = getattr(msg, path)
    return changes


class OutletMethods:
    _registry: OutletRegistry

    async def get_outlet(self, request: fleet_pb2.GetOutletRequest, ctx: Ctx) -> fleet_pb2.Outlet:
        name = parse_outlet_name(request.name)
        return outlet_to_proto(name.tenant, await self._registry.get(current_caller(), name))

    async def list_outlets(
        self, request: fleet_pb2.ListOutletsRequest, ctx: Ctx
    ) -> fleet_pb2.ListOutletsResponse:
        tenant = parse_parent(request.parent)
        filters = ("outlets", tenant)
        page = await self._registry.list(
            current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
        )
        return fleet_pb2.ListOutletsResponse(
            outlets=[outlet_to_proto(tenant, o) for o in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_outlet(
        self, request: fleet_pb2.UpdateOutletRequest, ctx: Ctx
    ) -> fleet_pb2.Outlet:
        if not request.HasField("outlet"):
            raise InvalidArgument.field("outlet", "is required")
        name = parse_outlet_name(request.outlet.name, "outlet.name")
        changes = outlet_changes(request.outlet, list(request.update_mask.paths))
        updated = await self._registry.update(
            current_caller(), name, changes, request.outlet.etag or None
        )
        return outlet_to_proto(name.tenant, updated)
