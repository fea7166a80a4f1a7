"""DispatchService.GetRouteAdherence: a route's adherence score, time off route and
deviations, from ``services.telemetry.adherence``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bengobox.logistics.v1 import common_pb2, dispatch_pb2

from logistics.api.convert_common import timestamp
from logistics.api.convert_telemetry import duration_proto
from logistics.api.edge import current_caller
from logistics.domain.adherence import ROAD
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS, ROUTES
from logistics.services.telemetry.adherence import AdherenceMonitor, RouteAdherence

Msg = dispatch_pb2.RouteAdherence


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def adherence_to_proto(name: str, tenant: TenantSlug, found: RouteAdherence) -> Msg:
    a = found.adherence
    return Msg(
        name=f"{name}/adherence",
        rider=RIDERS.name(tenant, found.rider_id),
        score=a.score,
        tracked=duration_proto(timedelta(milliseconds=a.tracked_ms)),
        off_route=duration_proto(timedelta(milliseconds=a.off_route_ms)),
        deviations=[
            dispatch_pb2.RouteDeviation(
                start_time=timestamp(_time(d.start_ms)),
                end_time=timestamp(_time(d.end_ms)),
                max_distance_m=round(d.max_distance_m, 1),
                position=common_pb2.GeoPoint(latitude=d.latitude, longitude=d.longitude),
            )
            for d in a.deviations
        ],
        points=a.points,
        path_source=Msg.PATH_SOURCE_ROAD if found.source == ROAD else Msg.PATH_SOURCE_STRAIGHT_LINE,
        corridor_m=found.corridor_m,
        tolerance=duration_proto(found.tolerance),
        in_progress=found.in_progress,
    )


async def get_route_adherence(
    monitor: AdherenceMonitor, request: dispatch_pb2.GetRouteAdherenceRequest
) -> Msg:
    name = ROUTES.parse(request.name)
    found = await monitor.route_adherence(current_caller(), name)
    return adherence_to_proto(request.name, name.tenant, found)
