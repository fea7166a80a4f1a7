"""UpdateTask end to end: a dispatcher's edits over gRPC and Connect, what each state allows,
the etag against a rider's action, the trail, the audit row and ``task.updated``; and, with the
relay running, the rider's stream and a dispatcher's live view told of a moved step."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    task_connect,
    task_pb2,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import field_mask_pb2, timestamp_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import bearer, token, unique_tenant
from tests.support.errors import fails
from tests.support.servers import Listeners, RunningServer, ServerUrls, server_in_process
from tests.support.tasks import DISPATCHER, Api, T, drop_off, pickup, point

pytestmark = pytest.mark.e2e

ABORTED, FAILED_PRECONDITION = grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION
INVALID, DENIED = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def update(api: Api, task: task_pb2.Task, *paths: str, md: Any = None) -> Any:
    return api.tasks.UpdateTask(
        task_pb2.UpdateTaskRequest(task=task, update_mask=field_mask_pb2.FieldMask(paths=paths)),
        metadata=md or api.md,
    )


def in_hours(hours: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.now(UTC) + timedelta(hours=hours))
    return ts


async def test_a_dispatcher_reschedules_and_moves_a_drop_off_of_an_assigned_task(api: Api) -> None:
    created = await api.create(pickup(), drop_off(address="Ngong Rd 1"), priority=2)
    rider = await api.rider()
    await api.assign(created.name, rider)
    task = await api.get(created.name)
    task.priority = 7
    task.notes = "gate B"
    task.delivery_deadline.CopyFrom(in_hours(3))
    task.steps[1].location.CopyFrom(point(-1.31, 36.79))
    task.steps[1].address = "Ngong Rd 9"
    task.steps[1].contact_phone = "+254700000001"
    edited = await update(api, task, "priority", "notes", "delivery_deadline", "steps")
    assert edited.etag != task.etag
    assert (edited.priority, edited.notes, edited.state) == (7, "gate B", T.STATE_ASSIGNED)
    assert edited.steps[1].address == "Ngong Rd 9"
    assert edited.steps[1].location.latitude == pytest.approx(-1.31)
    assert edited.steps[0] == task.steps[0]
    assert await api.get(created.name) == edited
    trail = await api.events(created.name)
    assert trail[-1].type == "updated"
    assert trail[-1].actor == DISPATCHER
    subject, data = (await api.outbox(created.name))[-1]
    assert subject == "logistics.task.updated"
    assert data["changed"] == [
        "priority",
        "notes",
        "delivery_deadline",
        "steps[1].location",
        "steps[1].address",
        "steps[1].contact_phone",
    ]
    assert data["rider"] == rider
    audit = await api.sql(
        "SELECT action, before->>'priority' AS was FROM audit_log WHERE resource = $1 "
        "ORDER BY id DESC LIMIT 1",
        created.name,
    )
    assert (audit[0]["action"], audit[0]["was"]) == ("task.update", "2")
    timers = await api.sql(
        "SELECT due_time FROM timers WHERE subject_id = $1 AND kind = 'task.delivery_breached'",
        edited.name.rsplit("/", 1)[1],
    )
    assert timers[0]["due_time"] == edited.delivery_deadline.ToDatetime(UTC)


async def test_an_edit_that_changes_nothing_writes_nothing(api: Api) -> None:
    task = await api.create(pickup(), drop_off(), notes="ring")
    same = await update(api, await api.get(task.name), "notes")
    assert same.etag == task.etag
    assert [e.type for e in await api.events(task.name)] == ["created"]


async def test_a_stale_etag_is_aborted_after_a_riders_action(api: Api) -> None:
    task, rider = await api.on_the_way(pickup(), drop_off())
    read = await api.get(task.name)
    await api.arrive(task.name, "0", md=api.rider_md(rider))  # the rider acts first
    read.notes = "late edit"
    await fails(update(api, read, "notes"), ABORTED, "ETAG_MISMATCH")
    assert (await api.get(task.name)).notes == ""


async def test_what_the_state_forbids_is_refused_and_changes_nothing(api: Api) -> None:
    task, _ = await api.at("0", pickup(), drop_off())
    current = await api.get(task.name)
    current.steps[0].location.CopyFrom(point(-1.2, 36.7))
    current.items.add(sku="extra", quantity=1)
    await fails(update(api, current, "steps"), FAILED_PRECONDITION, "TASK_NOT_EDITABLE")
    await api.complete(task.name, "0")
    current = await api.get(task.name)
    current.items.add(sku="extra", quantity=1)
    await fails(update(api, current, "items"), FAILED_PRECONDITION, "TASK_NOT_EDITABLE")
    cancelled = await api.create(pickup(), drop_off())
    await api.cancel(cancelled.name)
    ended = await api.get(cancelled.name)
    ended.priority = 9
    await fails(update(api, ended, "priority"), FAILED_PRECONDITION, "TASK_NOT_EDITABLE")
    assert (await api.get(cancelled.name)).priority == 0


async def test_bad_edits_name_the_field(api: Api) -> None:
    task = await api.get((await api.create(pickup(), drop_off())).name)
    assert await fails(update(api, task, "kind"), INVALID) == {"update_mask"}
    assert await fails(update(api, task, "state"), INVALID) == {"update_mask"}
    task.priority = 11
    assert await fails(update(api, task, "priority"), INVALID) == {"task.priority"}
    task.priority = 0
    task.steps[1].id = "7"
    assert await fails(update(api, task, "steps"), INVALID) == {"task.steps[1].id"}
    task.steps[1].id = "1"
    task.steps[1].kind = task_pb2.TaskStep.KIND_PICKUP
    assert await fails(update(api, task, "steps"), INVALID) == {"task.steps[1].kind"}
    past = task_pb2.Task(name=task.name, delivery_deadline=in_hours(-1))
    assert await fails(update(api, past, "delivery_deadline"), INVALID) == {
        "task.delivery_deadline"
    }


async def test_a_riders_own_token_cannot_edit(api: Api) -> None:
    task, rider = await api.on_the_way(pickup(), drop_off())
    current = await api.get(task.name)
    current.notes = "mine now"
    await fails(update(api, current, "notes", md=api.rider_md(rider)), DENIED)


async def test_update_task_over_connect(server: RunningServer, api: Api) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}
    task = await api.get((await api.create(pickup(), drop_off())).name)
    task.priority = 5
    edited = await client.update_task(
        task_pb2.UpdateTaskRequest(
            task=task, update_mask=field_mask_pb2.FieldMask(paths=["priority"])
        ),
        headers=headers,
    )
    assert edited.priority == 5
    with pytest.raises(ConnectError) as caught:
        await client.update_task(task_pb2.UpdateTaskRequest(task=task), headers=headers)
    assert caught.value.code == Code.ABORTED  # the etag read before the first edit


# --- the rider's stream and the live view, with the relay running -------------------------------


@pytest.fixture(scope="module")
async def relaying(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls, run_timers=True, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2"
    ) as running:
        yield running


async def until(items: list[Any], check: Any, within: float = 15.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for item in items:
            if check(item):
                return item
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing matched in {items}")


async def test_the_rider_and_the_live_view_are_told_of_a_moved_step(
    relaying: Listeners, store: Store, database: Database
) -> None:
    async with grpc.aio.insecure_channel(relaying.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        task = await api.create(pickup(), drop_off())
        rider = await api.rider()
        await api.assign(task.name, rider)
        rider_id = rider.rsplit("/", 1)[1]
        telemetry = telemetry_pb2_grpc.TelemetryServiceStub(channel)
        stream = telemetry.StreamLocations(
            metadata=bearer(token(api.tenant, ["logistics:telemetry"], rider_id=rider_id))
        )
        view = telemetry.SubscribeFleet(
            telemetry_pb2.SubscribeFleetRequest(
                parent=api.parent,
                subscription=telemetry_pb2.FleetSubscription(
                    bounding_box=telemetry_pb2.BoundingBox(
                        south_west=common_pb2.GeoPoint(latitude=-1.5, longitude=36.5),
                        north_east=common_pb2.GeoPoint(latitude=-1.0, longitude=37.0),
                    ),
                    include_tasks=True,
                ),
            ),
            metadata=bearer(token(api.tenant, ["logistics:read"])),
        )
        replies: list[telemetry_pb2.StreamLocationsResponse] = []
        frames: list[telemetry_pb2.FleetFrame] = []

        async def read_stream() -> None:
            async for reply in stream:
                replies.append(reply)

        async def read_view() -> None:
            async for response in view:
                frames.append(response.frame)

        readers = [asyncio.create_task(read_stream()), asyncio.create_task(read_view())]
        try:
            await until(frames, lambda f: f.snapshot)
            await asyncio.sleep(0.5)  # the stream's inbox is subscribed once it is open
            current = await api.get(task.name)
            current.steps[1].location.CopyFrom(point(-1.32, 36.80))
            edited = await update(api, current, "steps")
            told = await until(replies, lambda r: r.HasField("task_update"))
            assert told.task_update.task == task.name
            assert list(told.task_update.changed_fields) == ["steps[1].location"]
            assert told.task_update.etag == edited.etag
            await until(frames, lambda f: any(t.task == task.name for t in f.task_changes))
        finally:
            stream.cancel()
            view.cancel()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
