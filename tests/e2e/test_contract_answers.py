"""The contract's answers as clients read them, over gRPC and Connect (protobuf and JSON):
FindNearestRiders says why riders were left out when asked, AssignTask returns the task with
its etag, and TrackTask's states are Task.State values."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_connect,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_connect,
    telemetry_pb2,
)
from connectrpc.protocol import ProtocolType
from google.protobuf import json_format

from tests.support.auth import auth, headers, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

Reason = dispatch_pb2.RidersLeftOut
MOTORBIKE = common_pb2.VEHICLE_TYPE_MOTORBIKE
TRANSPORTS = ["grpc", "connect-proto", "connect-json"]

FindNearest = Callable[
    [dispatch_pb2.FindNearestRidersRequest], Awaitable[dispatch_pb2.FindNearestRidersResponse]
]
Assign = Callable[[dispatch_pb2.AssignTaskRequest], Awaitable[dispatch_pb2.AssignTaskResponse]]


def dispatch_client(
    transport: str, server: RunningServer, channel: grpc.aio.Channel, tenant: str
) -> tuple[FindNearest, Assign]:
    """FindNearestRiders and AssignTask over the gRPC port or the HTTP listener."""
    if transport == "grpc":
        stub = dispatch_pb2_grpc.DispatchServiceStub(channel)
        md = auth(tenant)
        return (
            lambda r: stub.FindNearestRiders(r, metadata=md),
            lambda r: stub.AssignTask(r, metadata=md),
        )
    client = dispatch_connect.DispatchServiceClient(
        server.http_url, protocol=ProtocolType.CONNECT, proto_json=transport == "connect-json"
    )
    h = headers(tenant)
    return (
        lambda r: client.find_nearest_riders(r, headers=h),
        lambda r: client.assign_task(r, headers=h),
    )


async def post_json(
    server: RunningServer, method: str, body: object, tenant: str
) -> httpx.Response:
    """A Connect unary call in JSON, as a browser's fetch would make it."""
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        return await http.post(
            f"/bengobox.logistics.v1.DispatchService/{method}", json=body, headers=headers(tenant)
        )


async def create_task(channel: grpc.aio.Channel, tenant: str) -> task_pb2.Task:
    point = common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1])
    return await task_pb2_grpc.TaskServiceStub(channel).CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}",
            task=task_pb2.Task(
                kind=task_pb2.Task.KIND_DELIVERY,
                steps=[task_pb2.TaskStep(kind=task_pb2.TaskStep.KIND_PICKUP, location=point)],
            ),
        ),
        metadata=auth(tenant),
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_explained_search_counts_the_riders_left_out_by_reason(
    transport: str, server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    lat, lng = CENTRE
    nearest = await rider_online(grpc_channel, tenant, lat + 0.001, lng, MOTORBIKE, 10)
    await rider_online(grpc_channel, tenant, lat + 0.002, lng, MOTORBIKE, 10)
    await rider_online(grpc_channel, tenant, lat + 0.0012, lng, MOTORBIKE, 10, on_shift=False)
    await rider_online(grpc_channel, tenant, lat + 0.0015, lng, MOTORBIKE, 10, with_vehicle=False)
    await rider_online(grpc_channel, tenant, lat + 0.05, lng, MOTORBIKE, 10)  # 5.6 km north
    find, _ = dispatch_client(transport, server, grpc_channel, tenant)
    request = dispatch_pb2.FindNearestRidersRequest(
        parent=f"tenants/{tenant}",
        point=common_pb2.GeoPoint(latitude=lat, longitude=lng),
        max_riders=1,
        radius_m=3000,
    )

    plain = await find(request)
    assert [c.rider for c in plain.riders] == [nearest]
    assert not plain.HasField("explanation")

    request.explain = True
    explained = await find(request)
    assert [c.rider for c in explained.riders] == [nearest]
    assert explained.explanation.riders_examined == 4
    assert {(r.reason, r.riders) for r in explained.explanation.left_out} == {
        (Reason.REASON_BEYOND_MAX_RIDERS, 1),
        (Reason.REASON_OFF_SHIFT, 1),
        (Reason.REASON_NO_VEHICLE, 1),
        (Reason.REASON_OUTSIDE_RADIUS, 1),
    }


async def test_an_empty_answer_says_why_in_json(server: RunningServer) -> None:
    """A Connect JSON client sees the reasons by name, and an empty list of riders."""
    tenant = unique_tenant()
    body = {
        "parent": f"tenants/{tenant}",
        "point": {"latitude": CENTRE[0], "longitude": CENTRE[1]},
        "explain": True,
    }
    reply = await post_json(server, "FindNearestRiders", body, tenant)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"explanation": {}}  # nobody near: nothing examined, nothing left out


async def test_a_point_and_a_task_together_are_refused(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    """``origin`` is a oneof: a JSON body naming both is not a request."""
    tenant = unique_tenant()
    task = await create_task(grpc_channel, tenant)
    body = {
        "parent": f"tenants/{tenant}",
        "point": {"latitude": CENTRE[0], "longitude": CENTRE[1]},
        "task": task.name,
    }
    reply = await post_json(server, "FindNearestRiders", body, tenant)
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "invalid_argument"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_assign_task_returns_the_task_and_an_etag_the_next_call_can_use(
    transport: str, server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    rider = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.001, CENTRE[1], MOTORBIKE, 10)
    task = await create_task(grpc_channel, tenant)
    _, assign = dispatch_client(transport, server, grpc_channel, tenant)

    answer = await assign(
        dispatch_pb2.AssignTaskRequest(task=task.name, rider=rider, reason="t", etag=task.etag)
    )

    assert (answer.task.name, answer.task.rider) == (task.name, rider)
    assert answer.task.state == task_pb2.Task.STATE_ASSIGNED
    assert answer.task.etag
    assert answer.task.etag != task.etag
    started = await task_pb2_grpc.TaskServiceStub(grpc_channel).StartTask(
        task_pb2.StartTaskRequest(name=task.name, etag=answer.task.etag), metadata=auth(tenant)
    )
    assert started.state == task_pb2.Task.STATE_EN_ROUTE


async def test_assign_task_in_json_names_the_state(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    rider = await rider_online(grpc_channel, tenant, CENTRE[0] + 0.001, CENTRE[1], MOTORBIKE, 10)
    task = await create_task(grpc_channel, tenant)
    body = {"task": task.name, "rider": rider, "reason": "json"}
    reply = await post_json(server, "AssignTask", body, tenant)
    assert reply.status_code == 200, reply.text
    body = reply.json()["task"]
    assert (body["name"], body["rider"], body["state"]) == (task.name, rider, "STATE_ASSIGNED")
    assert body["etag"]


@pytest.mark.parametrize("proto_json", [False, True], ids=["connect-proto", "connect-json"])
async def test_track_task_states_are_task_states_over_connect(
    proto_json: bool, server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    task = await create_task(grpc_channel, tenant)
    client = telemetry_connect.TelemetryServiceClient(
        server.http_url, protocol=ProtocolType.CONNECT, proto_json=proto_json
    )
    updates: list[telemetry_pb2.TrackTaskResponse] = []

    async def follow() -> None:
        stream = client.track_task(
            telemetry_pb2.TrackTaskRequest(task=task.name), headers=headers(tenant)
        )
        async for update in stream:
            updates.append(update)

    reader = asyncio.create_task(follow())
    for _ in range(200):
        if updates:
            break
        await asyncio.sleep(0.05)
    await task_pb2_grpc.TaskServiceStub(grpc_channel).CancelTask(
        task_pb2.CancelTaskRequest(name=task.name, reason="test"), metadata=auth(tenant)
    )
    await asyncio.wait_for(reader, 20)  # the stream ends with the task

    assert updates[0].state == task_pb2.Task.STATE_CREATED
    assert updates[-1].state == task_pb2.Task.STATE_CANCELLED
    assert json_format.MessageToDict(updates[-1])["state"] == "STATE_CANCELLED"
