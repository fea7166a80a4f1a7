"""How FindNearestRiders ranks, end to end: riders' ratings and the tenant's dispatch policy
(its score weights, GetDispatchPolicy / UpdateDispatchPolicy), and road ETAs from an OSRM server
when one is configured, with the straight line when it is down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
)

from logistics.domain.fleet import VehicleType
from logistics.geo.distance import StraightLine
from tests.support.auth import auth, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.osrm import FakeOsrm
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

MOTORBIKE = common_pb2.VEHICLE_TYPE_MOTORBIKE


async def nearest(
    channel: grpc.aio.Channel, tenant: str, at: tuple[float, float] = CENTRE
) -> list[dispatch_pb2.RiderCandidate]:
    point = common_pb2.GeoPoint(latitude=at[0], longitude=at[1])
    reply = await dispatch_pb2_grpc.DispatchServiceStub(channel).FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}", point=point, max_riders=5, radius_m=3000
        ),
        metadata=auth(tenant),
    )
    return list(reply.riders)


def policy(
    tenant: str, etag: str = "", **weights: float
) -> dispatch_pb2.UpdateDispatchPolicyRequest:
    return dispatch_pb2.UpdateDispatchPolicyRequest(
        policy=dispatch_pb2.DispatchPolicy(
            name=f"tenants/{tenant}/dispatchPolicy",
            weights=dispatch_pb2.ScoringWeights(**weights),
            etag=etag,
        )
    )


async def test_the_dispatch_policy_starts_at_the_defaults_and_keeps_what_is_set(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    name = f"tenants/{tenant}/dispatchPolicy"
    first = await dispatch.GetDispatchPolicy(
        dispatch_pb2.GetDispatchPolicyRequest(name=name), metadata=auth(tenant)
    )
    assert (first.weights.eta, first.weights.load, first.weights.idle, first.weights.rating) == (
        1.0,
        5.0,
        0.1,
        0.5,
    )
    updated = await dispatch.UpdateDispatchPolicy(
        policy(tenant, first.etag, eta=2.0, load=0.0, idle=1.5, rating=3.0), metadata=auth(tenant)
    )
    assert updated.weights == dispatch_pb2.ScoringWeights(eta=2.0, load=0.0, idle=1.5, rating=3.0)
    assert updated.etag != first.etag
    again = await dispatch.GetDispatchPolicy(
        dispatch_pb2.GetDispatchPolicyRequest(name=name), metadata=auth(tenant)
    )
    assert again == updated
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await dispatch.UpdateDispatchPolicy(
            policy(tenant, first.etag, eta=1.0), metadata=auth(tenant)
        )
    assert stale.value.code() is grpc.StatusCode.ABORTED


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"eta": 0.0, "load": 1.0}, "policy.weights.eta"),
        ({"eta": 1.0, "load": -1.0}, "policy.weights.load"),
        ({"eta": 1.0, "idle": 101.0}, "policy.weights.idle"),
        ({"eta": 1.0, "rating": float("nan")}, "policy.weights.rating"),
        ({"eta": float("inf")}, "policy.weights.eta"),
    ],
)
async def test_bad_weights_are_invalid_and_change_nothing(
    grpc_channel: grpc.aio.Channel, weights: dict[str, float], field: str
) -> None:
    tenant = unique_tenant()
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await dispatch.UpdateDispatchPolicy(policy(tenant, **weights), metadata=auth(tenant))
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in (bad.value.details() or "")
    current = await dispatch.GetDispatchPolicy(
        dispatch_pb2.GetDispatchPolicyRequest(name=f"tenants/{tenant}/dispatchPolicy"),
        metadata=auth(tenant),
    )
    assert current.weights.eta == 1.0


async def test_a_rider_rating_is_kept_validated_and_cleared(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    rider = await fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="A", rating=4.5)
        ),
        metadata=auth(tenant),
    )
    assert rider.rating == 4.5
    for bad in (0.5, 5.1):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await fleet.UpdateRider(
                fleet_pb2.UpdateRiderRequest(
                    rider=fleet_pb2.Rider(name=rider.name, rating=bad),
                    update_mask={"paths": ["rating"]},
                ),
                metadata=auth(tenant),
            )
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "rider.rating" in (error.value.details() or "")
    cleared = await fleet.UpdateRider(
        fleet_pb2.UpdateRiderRequest(
            rider=fleet_pb2.Rider(name=rider.name), update_mask={"paths": ["rating"]}
        ),
        metadata=auth(tenant),
    )
    assert cleared.rating == 0.0
    got = await fleet.GetRider(fleet_pb2.GetRiderRequest(name=rider.name), metadata=auth(tenant))
    assert got.rating == 0.0


async def test_ratings_and_the_tenants_weights_decide_between_close_riders(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    nearer = await rider_online(
        grpc_channel, tenant, CENTRE[0] + 0.0010, CENTRE[1], MOTORBIKE, 10, rating=1.0
    )
    rated = await rider_online(
        grpc_channel, tenant, CENTRE[0] + 0.0015, CENTRE[1], MOTORBIKE, 10, rating=5.0
    )
    found = await nearest(grpc_channel, tenant)
    # Default weights: 4 rating points (x 0.5) outweigh some 8 s more of ETA.
    assert [r.rider for r in found] == [rated, nearer]
    assert found[0].score > found[1].score
    assert found[0].distance_m > found[1].distance_m
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    await dispatch.UpdateDispatchPolicy(
        policy(tenant, eta=1.0, load=5.0, idle=0.1, rating=0.0), metadata=auth(tenant)
    )
    assert [r.rider for r in await nearest(grpc_channel, tenant)] == [nearer, rated]


# --- OSRM --------------------------------------------------------------------------------------

RIVER = CENTRE[0] + 0.002  # between the pickup and the northern rider


@pytest.fixture(scope="module")
def osrm() -> Iterator[FakeOsrm]:
    server = FakeOsrm(river_lat=RIVER, detour=5.0).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def osrm_server(server_urls: ServerUrls, osrm: FakeOsrm) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls, LOGISTICS_OSRM_URL=osrm.url, LOGISTICS_OSRM_TIMEOUT_SECONDS="0.5"
    ) as running:
        yield running


async def test_riders_are_ranked_by_road_eta_from_osrm_and_by_the_line_when_it_is_down(
    osrm_server: Listeners, osrm: FakeOsrm
) -> None:
    tenant = unique_tenant()
    north_at = (CENTRE[0] + 0.0030, CENTRE[1])  # 334 m, across the river
    south_at = (CENTRE[0] - 0.0040, CENTRE[1])  # 445 m, same bank
    async with grpc.aio.insecure_channel(osrm_server.grpc_target) as channel:
        north = await rider_online(channel, tenant, *north_at, MOTORBIKE, 10)
        south = await rider_online(channel, tenant, *south_at, MOTORBIKE, 10)
        asked = len(osrm.requests)
        found = await nearest(channel, tenant)
        assert len(osrm.requests) == asked + 1  # one table request for both candidates
        assert osrm.requests[-1]["destinations"] == [2]
        assert [r.rider for r in found] == [south, north]
        by_rider = {r.rider: r for r in found}
        for rider, at in ((south, south_at), (north, north_at)):
            eta = by_rider[rider].eta.ToMilliseconds() / 1000
            assert eta == pytest.approx(osrm.road(at, CENTRE)[1], abs=0.11)
            assert by_rider[rider].arrival.source == common_pb2.ArrivalEstimate.SOURCE_ROAD
        # OSRM down: a question it has not answered before (a pickup a few metres away, so
        # not cached) is still answered, by the straight line.
        beside = (CENTRE[0], CENTRE[1] + 0.0001)
        osrm.mode = "error"
        try:
            fallback = await nearest(channel, tenant, beside)
        finally:
            osrm.mode = "ok"
        assert [r.rider for r in fallback] == [north, south]
        line = StraightLine().travel(*north_at, *beside, VehicleType.MOTORBIKE)[1]
        assert fallback[0].eta.ToMilliseconds() / 1000 == pytest.approx(line, abs=0.002)
        # ... and says so.
        fell_back = common_pb2.ArrivalEstimate.SOURCE_STRAIGHT_LINE_FALLBACK
        assert {r.arrival.source for r in fallback} == {fell_back}
