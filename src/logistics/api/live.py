"""Live views on both listeners: WatchFleet (bidirectional, the subscription may change at any
time), SubscribeFleet (one subscription, server streaming, for browsers) and TrackTask."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator

from bengobox.logistics.v1 import common_pb2, telemetry_pb2
from google.protobuf import timestamp_pb2

from logistics.api.convert_fleet import fleet_reference, reference
from logistics.api.edge import current_caller
from logistics.api.text_check import check_text
from logistics.domain.caller import Caller
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug, parse_parent
from logistics.domain.live import Frame
from logistics.domain.names import GEOFENCES, TASKS
from logistics.domain.shapes import Shape, box
from logistics.services.live.view import View, ViewSpec, view_polygon
from logistics.services.live.views import LiveViews
from logistics.services.tasks.tracking import TaskProgress, TaskTracking


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


def _timestamp(ms: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def frame_to_proto(tenant: str, frame: Frame) -> telemetry_pb2.FleetFrame:
    out = telemetry_pb2.FleetFrame(sequence=frame.sequence, snapshot=frame.snapshot)
    prefix = f"tenants/{tenant}"
    for u in frame.upserts:
        out.rider_upserts.add(
            rider=f"{prefix}/riders/{u.rider_id}",
            position=common_pb2.GeoPoint(latitude=u.latitude, longitude=u.longitude),
            heading_deg=u.heading_deg,
            speed_mps=u.speed_mps,
            status=u.status,
            task=u.task or "",
            last_seen_time=_timestamp(u.seen_ms),
            fleet=f"{prefix}/fleets/{u.fleet}" if u.fleet else "",
            record_time=_timestamp(u.record_ms),
        )
    out.rider_removals.extend(f"{prefix}/riders/{r}" for r in frame.removals)
    for t in frame.tasks:
        view = out.task_changes.add(task=t.task, state=t.state, rider=t.rider or "")
        if t.eta_s is not None:
            view.eta.FromMilliseconds(round(t.eta_s * 1000))
    for a in frame.alerts:
        alert = out.alerts.add(
            type=a.type,
            rider=a.rider or "",
            task=a.task or "",
            message=a.message,
            alert_time=_timestamp(a.time_ms),
        )
        if a.latitude is not None and a.longitude is not None:
            alert.position.CopyFrom(common_pb2.GeoPoint(latitude=a.latitude, longitude=a.longitude))
    return out


def progress_to_proto(p: TaskProgress) -> telemetry_pb2.TrackTaskResponse:
    out = telemetry_pb2.TrackTaskResponse(task=p.task, state=p.state, rider=p.rider or "")
    if p.latitude is not None and p.longitude is not None:
        out.rider_position.CopyFrom(common_pb2.GeoPoint(latitude=p.latitude, longitude=p.longitude))
    if p.position_time is not None:
        out.position_time.FromDatetime(p.position_time)
    if p.eta_s is not None:
        out.eta.FromMilliseconds(round(p.eta_s * 1000))
    return out


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
