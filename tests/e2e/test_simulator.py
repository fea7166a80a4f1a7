"""``logistics simulate`` against a real server: its riders stream and show in live views and
nearest-rider searches, take a task it orders, complete it with the proofs the steps need, and
a second run finds the demo tenant already seeded."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

from logistics.sim import city
from logistics.sim.motion import Point, offset
from logistics.sim.orders import Order
from logistics.sim.policy import OfferPolicy
from logistics.sim.rider import RiderOptions
from logistics.sim.runner import SimConfig, Simulation
from tests.support.auth import auth, sim_minter, unique_tenant
from tests.support.servers import RunningServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

Task = task_pb2.Task
Step = task_pb2.TaskStep


def fast(tenant: str, riders: int) -> SimConfig:
    """No demand of its own (the test orders), quick riders that take every offer."""
    return SimConfig(
        tenant=tenant,
        riders=riders,
        orders_per_hour=0,
        seed=3,
        rider=RiderOptions(
            ping_interval_s=0.25,
            drops_per_hour=0,
            service_scale=0.01,
            poll_s=1.0,
            offers=OfferPolicy(base_accept=1.0, floor=1.0, min_delay_s=0.1, max_delay_s=0.2),
        ),
    )


async def test_simulated_riders_stream_take_a_task_and_complete_it(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant, channel = unique_tenant(), grpc_channel
    simulation = Simulation(server.grpc_target, sim_minter(tenant), fast(tenant, 3))
    stop = asyncio.Event()
    running = asyncio.create_task(simulation.run(stop))
    try:
        await eventually(
            lambda: (
                len(simulation.riders) == 3 and all(r.stats.acked > 0 for r in simulation.riders)
            ),
            within=20,
        )
        names = {r.name for r in simulation.riders}
        assert await riders_in_view(channel, tenant) == names
        rider = simulation.riders[0]
        here = rider.here
        nearest = await dispatch_pb2_grpc.DispatchServiceStub(channel).FindNearestRiders(
            dispatch_pb2.FindNearestRidersRequest(
                parent=f"tenants/{tenant}",
                point=common_pb2.GeoPoint(latitude=here.lat, longitude=here.lng),
                max_riders=3,
                radius_m=30_000,
            ),
            metadata=auth(tenant),
        )
        assert nearest.riders[0].rider == rider.name

        # The ordering side places an order picked up where the rider is: chilled goods, whose
        # drop-off needs a temperature log (the box probe's, uploaded before it).
        assert simulation.ordering is not None
        task = await simulation.ordering.order(order_at(here))
        assert task is not None
        done = await until_finished(channel, tenant, task, within=40)
        assert (done.state, done.rider) == (Task.STATE_COMPLETED, rider.name)
        proofs = await task_pb2_grpc.TaskServiceStub(channel).ListProofs(
            task_pb2.ListProofsRequest(parent=task), metadata=auth(tenant)
        )
        assert {p.kind for p in proofs.proofs} == {
            Step.PROOF_KIND_ONE_TIME_CODE,
            Step.PROOF_KIND_RECIPIENT_NAME,
            Step.PROOF_KIND_TEMPERATURE_LOG,
        }
        (log,) = [p for p in proofs.proofs if p.kind == Step.PROOF_KIND_TEMPERATURE_LOG]
        assert log.temperatures_c
        assert all(2 <= c <= 8 for c in log.temperatures_c)
        assert not done.temperature_excursion
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    summary = simulation.summary()
    assert summary["completed"] == 1
    assert summary["accepted"] >= 1
    # Every fix was acknowledged once the shift ended.
    assert summary["acked"] == summary["pings"]

    # Run again: the tenant is not seeded twice, and the riders carry on streaming
    # (their new counters follow the sequences the server already holds).
    again = Simulation(server.grpc_target, sim_minter(tenant), fast(tenant, 3))
    stop = asyncio.Event()
    running = asyncio.create_task(again.run(stop))
    try:
        await eventually(
            lambda: len(again.riders) == 3 and all(r.stats.acked > 0 for r in again.riders),
            within=20,
        )
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    assert {r.name for r in again.riders} == names
    await assert_seeded_once(channel, tenant)


def order_at(here: Point) -> Order:
    outlet = city.Outlet("test-kitchen", "Test kitchen", here, None)
    return Order(
        number=1,
        at_s=0.0,
        outlet=outlet,
        drop_off=offset(here, 25, 10),
        customer="Achieng Otieno",
        code="4321",
        pickup_within_min=10,
        deliver_within_min=30,
        items=1,
        cold=True,
    )


async def riders_in_view(channel: grpc.aio.Channel, tenant: str) -> set[str]:
    """The riders a dispatcher's live view of Nairobi shows, once it has seen three."""
    sw, ne = offset(city.CENTRE, -20_000, -20_000), offset(city.CENTRE, 20_000, 20_000)
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).SubscribeFleet(
        telemetry_pb2.SubscribeFleetRequest(
            parent=f"tenants/{tenant}",
            subscription=telemetry_pb2.FleetSubscription(
                bounding_box=telemetry_pb2.BoundingBox(
                    south_west=common_pb2.GeoPoint(latitude=sw.lat, longitude=sw.lng),
                    north_east=common_pb2.GeoPoint(latitude=ne.lat, longitude=ne.lng),
                ),
                include_riders=True,
            ),
        ),
        metadata=auth(tenant),
    )
    seen: set[str] = set()
    deadline = time.monotonic() + 15
    try:
        while len(seen) < 3 and time.monotonic() < deadline:
            reply = await asyncio.wait_for(call.read(), 15)
            assert reply is not grpc.aio.EOF
            seen.update(r.rider for r in reply.frame.rider_upserts)
    finally:
        call.cancel()
    return seen


async def until_finished(
    channel: grpc.aio.Channel, tenant: str, name: str, within: float
) -> task_pb2.Task:
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    deadline = time.monotonic() + within
    while True:
        task = await tasks.GetTask(task_pb2.GetTaskRequest(name=name), metadata=auth(tenant))
        if task.state in (Task.STATE_COMPLETED, Task.STATE_FAILED, Task.STATE_CANCELLED):
            return task
        assert time.monotonic() < deadline, f"task still {Task.State.Name(task.state)}"
        await asyncio.sleep(0.3)


async def assert_seeded_once(channel: grpc.aio.Channel, tenant: str) -> None:
    fleet = fleet_pb2_grpc.FleetServiceStub(channel)
    parent = f"tenants/{tenant}"
    riders = await fleet.ListRiders(
        fleet_pb2.ListRidersRequest(parent=parent), metadata=auth(tenant)
    )
    vehicles = await fleet.ListVehicles(
        fleet_pb2.ListVehiclesRequest(parent=parent), metadata=auth(tenant)
    )
    fleets = await fleet.ListFleets(
        fleet_pb2.ListFleetsRequest(parent=parent), metadata=auth(tenant)
    )
    fences = await telemetry_pb2_grpc.TelemetryServiceStub(channel).ListGeofences(
        telemetry_pb2.ListGeofencesRequest(parent=parent), metadata=auth(tenant)
    )
    assert (len(riders.riders), len(vehicles.vehicles), len(fleets.fleets)) == (3, 3, 2)
    assert len(fences.geofences) == len(city.ZONES) + 1 + len(city.OUTLETS)
    for rider in riders.riders:
        shifts = await fleet.ListShifts(
            fleet_pb2.ListShiftsRequest(parent=rider.name), metadata=auth(tenant)
        )
        documents = await fleet.ListDocuments(
            fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=auth(tenant)
        )
        assert len(shifts.shifts) == 1
        assert len(documents.documents) in (1, 2)
        assert all(
            d.verification_state == fleet_pb2.ComplianceDocument.VERIFICATION_STATE_VERIFIED
            for d in documents.documents
        )
