"""Dispatch end to end: a rider that streams its position becomes matchable; filters and tasks."""

from __future__ import annotations

from datetime import UTC, datetime

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

from tests.support.auth import auth, rider_auth, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.protos import ts

pytestmark = pytest.mark.e2e


async def test_the_nearest_riders_come_back_nearest_first_and_filters_hold(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    near = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    far = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.01, CENTRE[1], 2, 100)
    van = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.005, CENTRE[1], 4, 500)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    point = common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1])
    found = await dispatch.FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}", point=point, max_riders=5, radius_m=3000
        ),
        metadata=auth(tenant),
    )
    assert [c.rider for c in found.riders] == [near, van, far]
    assert found.riders[0].distance_m < found.riders[1].distance_m < found.riders[2].distance_m
    assert found.riders[0].eta.seconds >= 0
    heavy = await dispatch.FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}",
            point=point,
            capacity_needed=common_pb2.Capacity(weight_kg=50),
            vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
        ),
        metadata=auth(tenant),
    )
    assert [c.rider for c in heavy.riders] == [far]
    small_radius = await dispatch.FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}", point=point, radius_m=300
        ),
        metadata=auth(tenant),
    )
    assert [c.rider for c in small_radius.riders] == [near]


async def test_a_rider_at_its_task_limit_is_busy_and_left_out(
    grpc_channel: grpc.aio.Channel,
) -> None:
    """The test server allows the default three active tasks per rider."""
    tenant = unique_tenant()
    rider = await rider_online(grpc_channel, tenant, CENTRE[0], CENTRE[1] + 0.001, 2, 10)
    tasks = task_pb2_grpc.TaskServiceStub(grpc_channel)
    names = []
    for _ in range(4):
        task = await tasks.CreateTask(
            task_pb2.CreateTaskRequest(
                parent=f"tenants/{tenant}",
                task=task_pb2.Task(
                    kind=task_pb2.Task.KIND_DELIVERY,
                    steps=[
                        task_pb2.TaskStep(
                            kind=task_pb2.TaskStep.KIND_PICKUP,
                            location=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
                        )
                    ],
                ),
            ),
            metadata=auth(tenant),
        )
        names.append(task.name)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    by_task = dispatch_pb2.FindNearestRidersRequest(parent=f"tenants/{tenant}", task=names[3])

    async def found() -> list[str]:
        reply = await dispatch.FindNearestRiders(by_task, metadata=auth(tenant))
        return [c.rider for c in reply.riders]

    for name in names[:3]:
        assert await found() == [rider]
        await dispatch.AssignTask(
            dispatch_pb2.AssignTaskRequest(task=name, rider=rider, reason="nearest"),
            metadata=auth(tenant),
        )
    assert await found() == []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await dispatch.AssignTask(
            dispatch_pb2.AssignTaskRequest(task=names[3], rider=rider, reason="one more"),
            metadata=auth(tenant),
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_bad_requests_are_invalid_arguments(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    for request in (
        dispatch_pb2.FindNearestRidersRequest(parent=f"tenants/{tenant}"),
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}", point=common_pb2.GeoPoint(latitude=91), radius_m=10
        ),
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}", point=common_pb2.GeoPoint(), radius_m=10**6
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await dispatch.FindNearestRiders(request, metadata=auth(tenant))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_task_inside_a_zone_goes_only_to_that_zones_riders(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    outsider = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.0005, CENTRE[1], 2, 10)
    insider = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.003, CENTRE[1], 2, 10)
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    await fleet.UpdateRider(
        fleet_pb2.UpdateRiderRequest(
            rider=fleet_pb2.Rider(name=insider, zone="westlands"),
            update_mask={"paths": ["zone"]},
        ),
        metadata=auth(tenant),
    )
    await telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel).CreateGeofence(
        telemetry_pb2.CreateGeofenceRequest(
            parent=f"tenants/{tenant}",
            geofence=telemetry_pb2.Geofence(
                display_name="westlands",
                kind=telemetry_pb2.Geofence.KIND_ZONE,
                circle=telemetry_pb2.Geofence.Circle(
                    center=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
                    radius_m=2000,
                ),
            ),
        ),
        metadata=auth(tenant),
    )
    # The rider's profile follows its record when its stream opens again.
    await rider_reconnects(grpc_channel, tenant, insider)
    task = await task_pb2_grpc.TaskServiceStub(grpc_channel).CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}",
            task=task_pb2.Task(
                kind=task_pb2.Task.KIND_DELIVERY,
                steps=[
                    task_pb2.TaskStep(
                        kind=task_pb2.TaskStep.KIND_PICKUP,
                        location=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
                    )
                ],
            ),
        ),
        metadata=auth(tenant),
    )
    found = await dispatch_pb2_grpc.DispatchServiceStub(grpc_channel).FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(parent=f"tenants/{tenant}", task=task.name),
        metadata=auth(tenant),
    )
    assert [c.rider for c in found.riders] == [insider]
    assert outsider not in [c.rider for c in found.riders]


async def rider_reconnects(channel: grpc.aio.Channel, tenant: str, rider: str) -> None:
    stream = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
        metadata=rider_auth(tenant, rider.rsplit("/", 1)[1])
    )
    ping = telemetry_pb2.LocationPing(
        sequence=2,
        record_time=ts(datetime.now(UTC)),
        position=common_pb2.GeoPoint(latitude=CENTRE[0] + 0.003, longitude=CENTRE[1]),
        accuracy_m=5,
    )
    await stream.write(
        telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=[ping]))
    )
    assert (await stream.read()).ack.contiguous_sequence == 2
    await stream.done_writing()


async def test_a_batch_plan_assigns_each_task_to_a_near_rider(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    west = await rider_online(grpc_channel, tenant, CENTRE[0], CENTRE[1] - 0.01, 2, 10)
    east = await rider_online(grpc_channel, tenant, CENTRE[0], CENTRE[1] + 0.01, 2, 10)
    tasks = task_pb2_grpc.TaskServiceStub(grpc_channel)
    names = []
    for lng in (CENTRE[1] - 0.01, CENTRE[1] + 0.01):
        created = await tasks.CreateTask(
            task_pb2.CreateTaskRequest(
                parent=f"tenants/{tenant}",
                task=task_pb2.Task(
                    kind=task_pb2.Task.KIND_DELIVERY,
                    steps=[
                        task_pb2.TaskStep(
                            kind=task_pb2.TaskStep.KIND_PICKUP,
                            location=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=lng),
                        )
                    ],
                ),
            ),
            metadata=auth(tenant),
        )
        names.append(created.name)
    plan = await dispatch_pb2_grpc.DispatchServiceStub(grpc_channel).AssignBatch(
        dispatch_pb2.AssignBatchRequest(
            parent=f"tenants/{tenant}", tasks=names, riders=[west, east], apply=True
        ),
        metadata=auth(tenant),
    )
    assert plan.applied
    assert {a.rider: list(a.tasks) for a in plan.assignments} == {
        west: [names[0]],
        east: [names[1]],
    }
    for name, rider in zip(names, (west, east), strict=True):
        got = await tasks.GetTask(task_pb2.GetTaskRequest(name=name), metadata=auth(tenant))
        assert (got.state, got.rider) == (task_pb2.Task.STATE_ASSIGNED, rider)
