"""AssignBatch timed to readiness end to end, over gRPC and Connect: an order not ready yet goes
to the rider arriving about when it is ready, not to the nearest; an order ready now to the
nearest; and the batch-assigned rider's wait at the pickup is recorded on the step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_connect,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
)

from tests.support.auth import auth, headers, rider_auth, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

T = task_pb2.Task
Step = task_pb2.TaskStep


async def order(channel: grpc.aio.Channel, tenant: str, ready_in: timedelta | None) -> T:
    task = T(
        kind=T.KIND_DELIVERY,
        steps=[
            Step(
                kind=Step.KIND_PICKUP,
                location=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
            ),
            Step(
                kind=Step.KIND_DROP_OFF,
                location=common_pb2.GeoPoint(latitude=CENTRE[0] - 0.01, longitude=CENTRE[1]),
            ),
        ],
    )
    if ready_in is not None:
        task.ready_time.FromDatetime(datetime.now(UTC) + ready_in)
    return await task_pb2_grpc.TaskServiceStub(channel).CreateTask(
        task_pb2.CreateTaskRequest(parent=f"tenants/{tenant}", task=task), metadata=auth(tenant)
    )


async def test_an_order_not_ready_yet_goes_to_the_rider_arriving_about_then(
    grpc_channel: grpc.aio.Channel, server: RunningServer
) -> None:
    tenant = unique_tenant()
    near = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    timed = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.02, CENTRE[1], 2, 10)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(grpc_channel)
    found = await dispatch.FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(
            parent=f"tenants/{tenant}",
            point=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
            max_riders=2,
            radius_m=5000,
        ),
        metadata=auth(tenant),
    )
    assert [r.rider for r in found.riders] == [near, timed]
    # The kitchen expects the order ready when the farther rider would get there.
    later = await order(grpc_channel, tenant, found.riders[1].eta.ToTimedelta())
    now = await order(grpc_channel, tenant, None)

    for names, expected in (([later.name], timed), ([now.name], near)):
        plan = await dispatch.AssignBatch(
            dispatch_pb2.AssignBatchRequest(
                parent=f"tenants/{tenant}", tasks=names, riders=[near, timed]
            ),
            metadata=auth(tenant),
        )
        assert [(a.rider, list(a.tasks)) for a in plan.assignments] == [(expected, names)]

    # Over Connect, applied: the timed rider gets the order and waits for it at the counter.
    client = dispatch_connect.DispatchServiceClient(server.http_url)
    applied = await client.assign_batch(
        dispatch_pb2.AssignBatchRequest(
            parent=f"tenants/{tenant}", tasks=[later.name], riders=[near, timed], apply=True
        ),
        headers=headers(tenant),
    )
    assert applied.applied
    assert [a.rider for a in applied.assignments] == [timed]
    tasks = task_pb2_grpc.TaskServiceStub(grpc_channel)
    md = rider_auth(tenant, timed.rsplit("/", 1)[1])
    await tasks.StartTask(task_pb2.StartTaskRequest(name=later.name), metadata=md)
    await tasks.ArriveAtStep(
        task_pb2.ArriveAtStepRequest(name=later.name, step_id="0"), metadata=md
    )
    await asyncio.sleep(1.1)
    await tasks.MarkTaskReady(task_pb2.MarkTaskReadyRequest(name=later.name), metadata=auth(tenant))
    done = await tasks.CompleteStep(
        task_pb2.CompleteStepRequest(name=later.name, step_id="0"), metadata=md
    )
    assert done.rider == timed
    wait = done.steps[0].wait_duration.ToTimedelta()
    assert timedelta(seconds=1) <= wait <= timedelta(seconds=10)
