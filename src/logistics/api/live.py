"""Live views on both listeners: WatchFleet (bidirectional, the subscription may change at any
time), SubscribeFleet (one subscription, server streaming, for browsers) and TrackTask."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator

from bengobox.logistics.v1 import common_pb2, telemetry_pb2

from logistics.api.convert_fleet import fleet_reference, reference
from logistics.api.convert_live import frame_to_proto, progress_to_proto
from logistics.api.edge import current_caller
from logistics.api.text_check import check_text
from logistics.domain.caller import Caller
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug, parse_parent
from logistics.domain.names import GEOFENCES, TASKS
from logistics.domain.shapes import Shape, box
from logistics.services.live.view import View, ViewSpec, view_polygon
from logistics.services.live.views import LiveViews
from logistics.services.tasks.tracking import TaskTracking


def _point_ok(point: common_pb2.GeoPoint) -> bool:
    lat, lng = point.latitude, point.longitude
    return math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180


def area_from_proto(sub: telemetry_pb2.FleetSubscription, tenant: TenantSlug) -> Shape | str:
    kind = sub.WhichOneof("area")
    if kind == "bounding_box":
        sw, ne = sub.bounding_box.south_west, sub.bounding_box.north_east
        if not (_point_ok(sw) and _point_ok(ne)):
            raise InvalidArgument.field("subscription.bounding_box", "has a corner out of range")
        if sw.latitude >= ne.latitude or sw.longitude >= ne.longitude:
            raise InvalidArgument.field(
                "subscription.bounding_box", "south_west must be south and west of north_east"
            )
        return box(sw.latitude, sw.longitude, ne.latitude, ne.longitude)
    if kind == "polygon":
        vertices = tuple((v.latitude, v.longitude) for v in sub.polygon.vertices)
        return view_polygon(vertices, "subscription.polygon")
    if kind == "zone":
        zone = sub.zone
        if "/" in zone:
            return str(reference(tenant, zone, GEOFENCES, "subscription.zone"))
        if not zone:
            raise InvalidArgument.field("subscription.zone", "is required")
        return zone
    raise InvalidArgument.field("subscription.area", "is required: a bounding box, polygon or zone")


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


class LiveEndpoints:
    def __init__(self, views: LiveViews, tracking: TaskTracking) -> None:
        self._views = views
        self._tracking = tracking

    async def _spec(
        self, caller: Caller, tenant: TenantSlug, sub: telemetry_pb2.FleetSubscription
    ) -> ViewSpec:
        return await self._views.resolve(
            caller,
            tenant,
            area_from_proto(sub, tenant),
            riders=sub.include_riders,
            tasks=sub.include_tasks,
            alerts=sub.include_alerts,
            fleet=_text(fleet_reference(tenant, sub.fleet, "subscription.fleet")),
        )

    async def subscribe_fleet(
        self, request: telemetry_pb2.SubscribeFleetRequest
    ) -> AsyncIterator[telemetry_pb2.SubscribeFleetResponse]:
        caller = current_caller()
        tenant = parse_parent(request.parent)
        if not request.HasField("subscription"):
            raise InvalidArgument.field("subscription", "is required")
        spec = await self._spec(caller, tenant, request.subscription)
        view = await self._views.open(tenant, spec)
        try:
            async for frame in view.frames():
                yield telemetry_pb2.SubscribeFleetResponse(frame=frame_to_proto(tenant, frame))
        finally:
            await self._views.close(view)

    async def watch_fleet(
        self, requests: AsyncIterator[telemetry_pb2.WatchFleetRequest]
    ) -> AsyncIterator[telemetry_pb2.WatchFleetResponse]:
        caller = current_caller()
        first = await anext(requests, None)
        if first is None:
            return
        tenant = parse_parent(first.parent) if first.parent else caller.tenant
        if not first.HasField("subscription"):
            raise InvalidArgument.field("subscription", "is required")
        view = await self._views.open(tenant, await self._spec(caller, tenant, first.subscription))
        changes = asyncio.create_task(self._follow_changes(caller, tenant, view, requests))
        try:
            async for frame in view.frames():
                yield telemetry_pb2.WatchFleetResponse(frame=frame_to_proto(tenant, frame))
        finally:
            changes.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await changes
            await self._views.close(view)

    async def _follow_changes(
        self,
        caller: Caller,
        tenant: TenantSlug,
        view: View,
        requests: AsyncIterator[telemetry_pb2.WatchFleetRequest],
    ) -> None:
        """Each later message replaces the subscription; bad ones end the stream with their
        error (through the view)."""
        try:
            async for request in requests:
                check_text(request)
                if request.parent and parse_parent(request.parent) != tenant:
                    raise InvalidArgument.field("parent", "cannot change on an open view")
                if not request.HasField("subscription"):
                    raise InvalidArgument.field("subscription", "is required")
                await self._views.change(
                    view, await self._spec(caller, tenant, request.subscription)
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            view.fail(exc)

    async def track_task(
        self, request: telemetry_pb2.TrackTaskRequest
    ) -> AsyncIterator[telemetry_pb2.TrackTaskResponse]:
        name = TASKS.parse(request.task, "task")
        async for progress in self._tracking.track(current_caller(), name):
            yield progress_to_proto(progress)
