"""Route adherence end to end: a rider on an applied route plan streams pings over gRPC, the
path comes from an OSRM-shaped route server, a long excursion raises one rider.off_route and
one rider.back_on_route (across a reconnect), short or uncertain ones raise nothing, and
GetRouteAdherence over Connect scores the stored track."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import grpc
import pytest
from bengobox.logistics.v1 import dispatch_connect, dispatch_pb2, dispatch_pb2_grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from logistics.domain.geofence import TelemetryPolicy
from logistics.domain.ids import TenantSlug
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.osrm_routes import FakeOsrmRoutes
from tests.support.protos import duration
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, Step, drop_off, point
from tests.support.telemetry import BASE, Rider, Stream, events, new_rider, offset, ping
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

Msg = dispatch_pb2.RouteAdherence
CORRIDOR_M = 30.0
TOLERANCE_S = 20
ACCURACY_M = 5.0
POLICY = TelemetryPolicy(
    sample_interval=timedelta(0),
    route_corridor_m=CORRIDOR_M,
    off_route_tolerance=timedelta(seconds=TOLERANCE_S),
)


@pytest.fixture(scope="module")
def osrm() -> Iterator[FakeOsrmRoutes]:
    server = FakeOsrmRoutes().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def osrm_server(server_urls: ServerUrls, osrm: FakeOsrmRoutes) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls, LOGISTICS_OSRM_URL=osrm.url, LOGISTICS_OSRM_TIMEOUT_SECONDS="0.5"
    ) as running:
        yield running


class Track:
    """Positions one second apart, (north m, east m, accuracy m) from the start, at 10 m/s."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float, float]] = [(0.0, 0.0, ACCURACY_M)]

    def go(self, north: float, east: float, accuracy: float = ACCURACY_M) -> None:
        n0, e0, _ = self.points[-1]
        steps = max(1, math.ceil(math.hypot(north - n0, east - e0) / 10))
        for i in range(1, steps + 1):
            self.points.append(
                (n0 + (north - n0) * i / steps, e0 + (east - e0) * i / steps, accuracy)
            )

    def stay(self, seconds: int, accuracy: float = ACCURACY_M) -> None:
        n, e, _ = self.points[-1]
        self.points.extend([(n, e, accuracy)] * seconds)


def road_track() -> tuple[Track, int]:
    """Along the road (north 300 m, then east 600 m) with three excursions; and the index of
    a point in the middle of the long one (where the stream reconnects)."""
    t = Track()
    t.go(300, 0)
    t.go(300, 100)
    t.go(350, 100)  # 50 m off, about 12 s outside the band: shorter than the tolerance
    t.stay(8)
    t.go(300, 100)
    t.go(300, 200)
    t.go(340, 200, 15)  # 40 m off with 15 m accuracy: never surely outside 30 m
    t.stay(40, 15)
    t.go(300, 200)
    t.go(300, 300)
    t.go(450, 300)  # 150 m off for a minute: a deviation
    t.stay(20)
    middle = len(t.points)
    t.stay(20)
    t.go(300, 300)
    t.go(300, 600)
    return t, middle


def outside(p: tuple[float, float, float]) -> bool:
    """Surely outside the corridor of the road (the long excursion is at east 300)."""
    return abs(p[0] - 300) - CORRIDOR_M > p[2]


def inside(p: tuple[float, float, float]) -> bool:
    return CORRIDOR_M - abs(p[0] - 300) > p[2]


async def route_for(channel: grpc.aio.Channel, rider: Rider, owner: asyncpg.Connection) -> str:
    """An applied plan of one route for the rider: from the start through (300 N, 300 E) to
    (300 N, 600 E), made (as far as the track is concerned) before the track starts."""
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
    plan = await dispatch.OptimizeRoutes(
        dispatch_pb2.OptimizeRoutesRequest(
            parent=f"tenants/{rider.tenant}",
            stops=[
                dispatch_pb2.RouteStop(id="a", location=point(*offset(300, 300))),
                dispatch_pb2.RouteStop(id="b", location=point(*offset(300, 600))),
            ],
            vehicles=[
                dispatch_pb2.RouteVehicle(
                    id="bike",
                    rider=rider.name,
                    start=point(*offset(0, 0)),
                    end=point(*offset(300, 600)),
                )
            ],
            time_limit=duration(0.5),
            apply=True,
        ),
        metadata=rider.admin,
    )
    assert plan.applied
    assert [s.stop_id for s in plan.routes[0].stops if s.stop_id in "ab"] == ["a", "b"]
    await owner.execute(
        "UPDATE route_plans SET create_time = $1 WHERE id = $2",
        BASE - timedelta(minutes=1),
        uuid.UUID(plan.plan.rsplit("/", 1)[1]),
    )
    return plan.routes[0].name


async def rider_with_policy(channel: grpc.aio.Channel, store: Store) -> Rider:
    rider = await new_rider(channel, store)
    async with store.write(TenantSlug(rider.tenant)) as uow:
        await uow.telemetry_policy.put(POLICY)
    return rider


async def stream(
    channel: grpc.aio.Channel, rider: Rider, track: Track, start: int, end: int
) -> None:
    s = Stream(channel, rider.app)
    for first in range(start, end, 10):
        batch = [
            ping(i + 1, float(i), offset(n, e), a)
            for i, (n, e, a) in enumerate(track.points[first : min(end, first + 10)], first)
        ]
        await s.send(*batch)
    await s.close()


async def test_a_deviation_longer_than_the_tolerance_is_reported_once_and_scored(
    osrm_server: Listeners, osrm: FakeOsrmRoutes, store: Store, owner: asyncpg.Connection
) -> None:
    track, middle = road_track()
    async with grpc.aio.insecure_channel(osrm_server.grpc_target) as channel:
        rider = await rider_with_policy(channel, store)
        route = await route_for(channel, rider, owner)
        asked = len(osrm.route_requests)
        await stream(channel, rider, track, 0, middle)
        # A new stream (as after a reconnect to another replica) carries on from Redis's
        # state: the deviation is not reported again, and its end is.
        await stream(channel, rider, track, middle, len(track.points))
    assert len(osrm.route_requests) == asked + 1  # the path is made once and stored
    assert osrm.route_requests[-1]["geometries"] == "geojson"

    first_out = next(i for i, p in enumerate(track.points) if p[1] == 300 and outside(p))
    back = next(i for i in range(first_out, len(track.points)) if inside(track.points[i]))
    off = await eventually(lambda: events(owner, rider.tenant, "rider.off_route"))
    assert len(off) == 1
    assert off[0]["route"] == route
    assert off[0]["rider"] == rider.name
    assert off[0]["off_since"] == (BASE + timedelta(seconds=first_out)).isoformat()
    assert off[0]["record_time"] == (BASE + timedelta(seconds=first_out + TOLERANCE_S)).isoformat()
    again = await events(owner, rider.tenant, "rider.back_on_route")
    assert len(again) == 1
    assert again[0]["record_time"] == (BASE + timedelta(seconds=back)).isoformat()
    assert 150 / 1.1 - 20 <= again[0]["max_distance_m"] <= 150

    client = dispatch_connect.DispatchServiceClient(osrm_server.http_url)
    found = await client.get_route_adherence(
        dispatch_pb2.GetRouteAdherenceRequest(name=route), headers=headers(rider.tenant)
    )
    tracked_s = len(track.points) - 1
    assert found.name == f"{route}/adherence"
    assert found.rider == rider.name
    assert found.points == len(track.points)
    assert found.path_source == Msg.PATH_SOURCE_ROAD
    assert found.corridor_m == CORRIDOR_M
    assert found.tolerance.ToSeconds() == TOLERANCE_S
    assert found.in_progress
    assert found.tracked.ToSeconds() == tracked_s
    assert found.off_route.ToSeconds() == back - first_out
    assert found.score == pytest.approx(1 - (back - first_out) / tracked_s)
    [deviation] = found.deviations
    assert deviation.start_time.ToDatetime() == (BASE + timedelta(seconds=first_out)).replace(
        tzinfo=None
    )
    assert deviation.end_time.ToDatetime() == (BASE + timedelta(seconds=back)).replace(tzinfo=None)
    assert 150 / 1.1 - 20 <= deviation.max_distance_m <= 150


async def test_without_a_road_the_straight_line_is_checked_with_a_wider_corridor(
    osrm_server: Listeners, osrm: FakeOsrmRoutes, store: Store, owner: asyncpg.Connection
) -> None:
    track, _ = road_track()
    async with grpc.aio.insecure_channel(osrm_server.grpc_target) as channel:
        rider = await rider_with_policy(channel, store)
        route = await route_for(channel, rider, owner)
        osrm.mode = "error"
        try:
            await stream(channel, rider, track, 0, 40)
        finally:
            osrm.mode = "ok"
    client = dispatch_connect.DispatchServiceClient(osrm_server.http_url)
    found = await client.get_route_adherence(
        dispatch_pb2.GetRouteAdherenceRequest(name=route), headers=headers(rider.tenant)
    )
    assert found.path_source == Msg.PATH_SOURCE_STRAIGHT_LINE
    assert found.corridor_m == 250.0  # four times 30 m, at least 250 m
    assert found.points == 40
    assert not found.deviations


async def test_a_rider_on_its_way_to_a_step_follows_the_road_to_it(
    osrm_server: Listeners, store: Store, database: Database, owner: asyncpg.Connection
) -> None:
    """No route plan: the path is the road from where the rider set off to the task's step."""
    track = Track()
    track.go(300, 0)
    track.go(300, 100)
    track.go(450, 100)  # 150 m off the road
    track.stay(30)
    track.go(300, 100)
    track.go(300, 400)
    async with grpc.aio.insecure_channel(osrm_server.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        task, rider_name = await api.on_the_way(
            Step(kind=Step.KIND_PICKUP, location=point(*offset(300, 400))), drop_off()
        )
        rider = Rider(api.tenant, rider_name)
        async with store.write(TenantSlug(rider.tenant)) as uow:
            await uow.telemetry_policy.put(POLICY)
        await stream(channel, rider, track, 0, len(track.points))
    off = await eventually(lambda: events(owner, rider.tenant, "rider.off_route"))
    back = await events(owner, rider.tenant, "rider.back_on_route")
    assert [(e["task"], e["route"]) for e in off + back] == [(task.name, None)] * 2


async def test_an_unknown_route_is_not_found(osrm_server: Listeners) -> None:
    client = dispatch_connect.DispatchServiceClient(osrm_server.http_url)
    tenant = unique_tenant()
    with pytest.raises(ConnectError) as caught:
        await client.get_route_adherence(
            dispatch_pb2.GetRouteAdherenceRequest(name=f"tenants/{tenant}/routes/{uuid.uuid4()}"),
            headers=headers(tenant),
        )
    assert caught.value.code is Code.NOT_FOUND
