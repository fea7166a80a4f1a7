"""Order readiness end to end, over gRPC and Connect: a ready time on create and UpdateTask,
MarkTaskReady (once, audited, ``task.ready``), a curbside pickup whose arrival emits
``task.rider_arrived`` for the outlet, and the rider's wait at the pickup on the step."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import task_connect, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import field_mask_pb2, timestamp_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import DISPATCHER, Api, Step, drop_off, pickup

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8  # what the sniffer takes for a photo

INVALID, FAILED_PRECONDITION = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION
DENIED, NOT_FOUND = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def in_minutes(minutes: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.now(UTC) + timedelta(minutes=minutes))
    return ts


def mark_ready(api: Api, name: str, md: Any = None, etag: str = "") -> Any:
    return api.tasks.MarkTaskReady(
        task_pb2.MarkTaskReadyRequest(name=name, etag=etag), metadata=md or api.md
    )


def curbside_pickup(**fields: Any) -> task_pb2.TaskStep:
    return pickup(curbside=True, outlet_id="java-house-9", address="Bay 3, Sarit Centre", **fields)


async def test_the_kitchen_marks_an_order_ready_once(api: Api) -> None:
    expected = in_minutes(15)
    created = await api.create(pickup(), drop_off(), ready_time=expected, order_id="pos-1001")
    assert created.ready_time == expected
    assert not created.HasField("mark_ready_time")

    ready = await mark_ready(api, created.name)
    again = await mark_ready(api, created.name)

    assert ready.HasField("mark_ready_time")
    assert ready.ready_time == expected
    assert again == ready  # the first mark stands; nothing changed
    assert await api.get(created.name) == ready
    trail = await api.events(created.name)
    assert [e.type for e in trail] == ["created", "ready"]
    assert trail[-1].actor == DISPATCHER
    ready_events = [d for s, d in await api.outbox(created.name) if s == "logistics.task.ready"]
    assert len(ready_events) == 1
    assert ready_events[0]["task"]["mark_ready_time"] is not None


async def test_mark_ready_refuses_a_rider_a_stale_etag_and_an_ended_task(api: Api) -> None:
    task, rider = await api.on_the_way(pickup(), drop_off())
    await fails(mark_ready(api, task.name, md=api.rider_md(rider)), DENIED)
    await fails(mark_ready(api, task.name, etag=task.etag), grpc.StatusCode.ABORTED)
    cancelled = await api.cancel((await api.create()).name)
    await fails(mark_ready(api, cancelled.name), FAILED_PRECONDITION, "ILLEGAL_TRANSITION")
    await fails(mark_ready(api, f"{api.parent}/tasks/{uuid.uuid4()}"), NOT_FOUND)
    assert [e.type for e in await api.events(task.name)] == ["created", "assigned", "en_route"]


async def test_an_expected_ready_time_is_edited_and_checked(api: Api) -> None:
    created = await api.create(pickup(), drop_off(), delivery_deadline=in_minutes(60))
    task = await api.get(created.name)
    task.ready_time.CopyFrom(in_minutes(20))
    edited = await api.tasks.UpdateTask(
        task_pb2.UpdateTaskRequest(
            task=task, update_mask=field_mask_pb2.FieldMask(paths=["ready_time"])
        ),
        metadata=api.md,
    )
    assert edited.ready_time == task.ready_time
    subject, data = (await api.outbox(created.name))[-1]
    assert (subject, data["changed"]) == ("logistics.task.updated", ["ready_time"])
    edited.ready_time.CopyFrom(in_minutes(90))  # after the delivery deadline
    fields = await fails(
        api.tasks.UpdateTask(
            task_pb2.UpdateTaskRequest(
                task=edited, update_mask=field_mask_pb2.FieldMask(paths=["ready_time"])
            ),
            metadata=api.md,
        ),
        INVALID,
    )
    assert fields == {"task.ready_time"}
    assert (await api.get(created.name)).ready_time == task.ready_time


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ((pickup(), drop_off(curbside=True)), "task.steps[1].curbside"),
        ((curbside_pickup(required_proofs=[Step.PROOF_KIND_SIGNATURE]), drop_off()), None),
    ],
    ids=["curbside-drop-off", "curbside-signature"],
)
async def test_bad_curbside_steps_are_refused_and_nothing_is_stored(
    api: Api, steps: tuple[task_pb2.TaskStep, ...], field: str | None
) -> None:
    fields = await fails(api.create(*steps), INVALID)
    assert fields == {field or "task.steps[0].required_proofs"}
    assert await api.listed() == []


async def test_a_curbside_arrival_tells_the_outlet_and_the_wait_is_recorded(api: Api) -> None:
    task, rider = await api.on_the_way(
        curbside_pickup(required_proofs=[Step.PROOF_KIND_PHOTO]), drop_off()
    )
    assert task.steps[0].curbside
    arrived = await api.arrive(task.name, "0", md=api.rider_md(rider))
    assert arrived.state == task_pb2.Task.STATE_ARRIVED

    trail = [e.type for e in await api.events(task.name)]
    assert trail[-2:] == ["arrived", "rider_arrived"]
    subject, data = (await api.outbox(task.name))[-1]
    assert subject == "logistics.task.rider_arrived"
    assert data["step_id"] == "0"
    assert data["curbside"] == {
        "outlet_id": "java-house-9",
        "latitude": pytest.approx(-1.2833),
        "longitude": pytest.approx(36.8167),
        "address": "Bay 3, Sarit Centre",
        "ready": False,
    }

    await asyncio.sleep(1.1)  # the rider waits at the kerb for the order
    await mark_ready(api, task.name)
    photo = task_pb2.Proof(kind=Step.PROOF_KIND_PHOTO, content=PNG)
    done = await api.complete(task.name, "0", photo, md=api.rider_md(rider))

    wait = done.steps[0].wait_duration.ToTimedelta()
    assert timedelta(seconds=1) <= wait <= timedelta(seconds=10)
    assert not done.steps[1].HasField("wait_duration")
    subject, data = (await api.outbox(task.name))[-1]
    assert subject == "logistics.task.step_completed"
    assert data["task"]["steps"][0]["wait_seconds"] == round(wait.total_seconds())


async def test_an_ordinary_pickup_emits_no_rider_arrived(api: Api) -> None:
    task, _ = await api.at("0", pickup(), drop_off())
    await mark_ready(api, task.name)
    done = await api.complete(task.name, "0")

    assert "logistics.task.rider_arrived" not in [s for s, _ in await api.outbox(task.name)]
    assert done.steps[0].wait_duration.ToTimedelta() == timedelta(0)  # ready after arrival


async def test_mark_ready_over_connect(server: RunningServer, api: Api) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}
    created = await api.create(curbside_pickup(), drop_off(), ready_time=in_minutes(10))

    ready = await client.mark_task_ready(
        task_pb2.MarkTaskReadyRequest(name=created.name), headers=headers
    )

    assert ready.HasField("mark_ready_time")
    assert ready.steps[0].curbside
    assert ready == await api.get(created.name)
    with pytest.raises(ConnectError) as caught:
        await client.mark_task_ready(
            task_pb2.MarkTaskReadyRequest(name="tenants/x/orders/1"), headers=headers
        )
    assert caught.value.code == Code.INVALID_ARGUMENT
