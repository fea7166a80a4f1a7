"""Offline-safe rider actions end to end, over gRPC and Connect: a replay answered with the first
outcome (after the etag moved on, after a failure, after a restart of the server), racing
duplicates applied once, a buffered batch applied with its device times, and device times
out of bounds refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import task_connect, task_pb2, task_pb2_grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import timestamp_pb2
from google.protobuf.field_mask_pb2 import FieldMask

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer, ServerUrls, start_server, stop_server
from tests.support.tasks import Api, Step, T, drop_off, last_id, pickup

pytestmark = pytest.mark.e2e

INVALID, FAILED_PRECONDITION = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION
ALREADY_EXISTS = grpc.StatusCode.ALREADY_EXISTS


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def at(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


def close(ts: timestamp_pb2.Timestamp, when: datetime) -> bool:
    """Equal to the microsecond PostgreSQL keeps."""
    return abs(ts.ToDatetime(UTC) - when) < timedelta(microseconds=1)


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def action(occurred: datetime | None = None, action_id: str | None = None) -> dict[str, Any]:
    """The stamp a rider app puts on an action."""
    stamp: dict[str, Any] = {"action_id": action_id or str(uuid.uuid4())}
    if occurred is not None:
        stamp["occurred_time"] = at(occurred)
    return stamp


async def assigned(api: Api) -> tuple[task_pb2.Task, str, Any]:
    """A task assigned to a new rider: the task as assigned, the rider, the rider's token."""
    task = await api.create(pickup(), drop_off())
    await created_an_hour_ago(api, task.name)
    rider = await api.rider()
    await api.assign(task.name, rider)
    return await api.get(task.name), rider, api.rider_md(rider)


async def created_an_hour_ago(api: Api, name: str) -> None:
    """So that buffered actions of the last hour happened while the task existed."""
    await api.sql(
        "UPDATE tasks SET create_time = create_time - interval '1 hour' WHERE id = $1",
        uuid.UUID(last_id(name)),
    )


async def test_a_replay_after_success_returns_the_first_task_though_the_etag_moved_on(
    api: Api,
) -> None:
    task, _, md = await assigned(api)
    start = action(ago(2))
    first = await api.start(task.name, etag=task.etag, md=md, **start)
    assert first.state == T.STATE_EN_ROUTE
    moved = await api.arrive(task.name, "0", md=md, **action())
    assert moved.etag != first.etag
    again = await api.start(task.name, etag=task.etag, md=md, **start)  # the etag is stale now
    assert again == first
    assert [e.type for e in await api.events(task.name)] == [
        "created",
        "assigned",
        "en_route",
        "arrived",
    ]
    assert (await api.get(task.name)).state == T.STATE_ARRIVED


async def test_a_replay_after_failure_returns_the_same_error_and_changes_nothing(
    api: Api,
) -> None:
    task, _, md = await assigned(api)
    too_soon = action()
    await fails(api.arrive(task.name, "0", md=md, **too_soon), FAILED_PRECONDITION)
    await api.start(task.name, md=md, **action())
    # The same arrival would succeed now; its replay still gets the first answer.
    await fails(
        api.arrive(task.name, "0", md=md, **too_soon), FAILED_PRECONDITION, "ILLEGAL_TRANSITION"
    )
    assert (await api.get(task.name)).state == T.STATE_EN_ROUTE


async def test_a_wrong_code_is_counted_once_however_often_it_is_replayed(api: Api) -> None:
    task = await api.create(pickup(), drop_off(Step.PROOF_KIND_ONE_TIME_CODE, code="4321"))
    rider = await api.rider()
    md = api.rider_md(rider)
    await api.assign(task.name, rider)
    await api.start(task.name, md=md)
    await api.arrive(task.name, "0", md=md)
    await api.complete(task.name, "0", md=md)
    await api.arrive(task.name, "1", md=md)
    wrong = action()
    code = task_pb2.Proof(kind=Step.PROOF_KIND_ONE_TIME_CODE, text="0000")
    for _ in range(3):
        await fails(
            api.complete(task.name, "1", code, md=md, **wrong), FAILED_PRECONDITION, "WRONG_CODE"
        )
    rows = await api.sql("SELECT steps FROM tasks WHERE id = $1", uuid.UUID(last_id(task.name)))
    assert rows[0]["steps"][1]["code_attempts"] == 1


async def test_racing_duplicates_apply_once(api: Api) -> None:
    task, _, md = await assigned(api)
    start = action(ago(1))
    answers = await asyncio.gather(*(api.start(task.name, md=md, **start) for _ in range(8)))
    assert all(a == answers[0] for a in answers)
    assert [e.type for e in await api.events(task.name)].count("en_route") == 1
    stored = await api.sql(
        "SELECT count(*) AS n FROM rider_actions WHERE action_id = $1",
        uuid.UUID(start["action_id"]),
    )
    assert stored[0]["n"] == 1


async def test_a_buffered_batch_applies_with_its_device_times_after_the_task_moved_on(
    api: Api,
) -> None:
    task, _, md = await assigned(api)
    times = {"start": ago(20), "arrive0": ago(15), "done0": ago(12), "arrive1": ago(8)}
    times["done1"] = ago(9)  # the device's clock stepped back: still applied, still recorded
    batch = {k: action(v) for k, v in times.items()}
    # Meanwhile a dispatcher changed the task: the buffered actions were made before that.
    current = await api.get(task.name)
    current.notes = "ring twice"
    await api.tasks.UpdateTask(
        task_pb2.UpdateTaskRequest(task=current, update_mask=FieldMask(paths=["notes"])),
        metadata=api.md,
    )
    # The app sends its buffer oldest first, each once the one before is answered.
    answers = [
        await api.start(task.name, md=md, **batch["start"]),
        await api.arrive(task.name, "0", md=md, **batch["arrive0"]),
        await api.start(task.name, md=md, **batch["start"]),  # resent: its answer was lost
        await api.complete(task.name, "0", md=md, **batch["done0"]),
        await api.arrive(task.name, "1", md=md, **batch["arrive1"]),
        await api.complete(task.name, "1", md=md, **batch["done1"]),
    ]
    assert answers[-1].state == T.STATE_COMPLETED
    assert answers[2] == answers[0]
    done = await api.get(task.name)
    assert abs(done.steps[0].arrive_time.ToDatetime(UTC) - times["arrive0"]) < timedelta(
        milliseconds=1
    )
    assert abs(done.steps[1].complete_time.ToDatetime(UTC) - times["done1"]) < timedelta(
        milliseconds=1
    )
    trail = [e for e in await api.events(task.name) if e.HasField("occurred_time")]
    assert [e.type for e in trail] == [
        "en_route",
        "arrived",
        "step_completed",
        "arrived",
        "completed",
    ]
    for event, key in zip(trail, ["start", "arrive0", "done0", "arrive1", "done1"], strict=True):
        device = event.occurred_time.ToDatetime(UTC)
        assert abs(device - times[key]) < timedelta(milliseconds=1)
        assert event.event_time.ToDatetime(UTC) > device  # the server's time beside it


async def test_device_times_out_of_bounds_and_bad_ids_are_refused(api: Api) -> None:
    task, _, md = await assigned(api)
    ahead = action(datetime.now(UTC) + timedelta(minutes=30))
    assert await fails(api.start(task.name, md=md, **ahead), INVALID) == {"occurred_time"}
    before = action(ago(60 * 24))
    assert await fails(api.start(task.name, md=md, **before), INVALID) == {"occurred_time"}
    assert await fails(api.start(task.name, md=md, action_id="not-a-uuid"), INVALID) == {
        "action_id"
    }
    assert (await api.get(task.name)).etag == task.etag
    reused = action()
    await api.start(task.name, md=md, **reused)
    await fails(api.arrive(task.name, "0", md=md, **reused), ALREADY_EXISTS, "ACTION_ID_REUSED")
    assert (await api.get(task.name)).state == T.STATE_EN_ROUTE


async def test_replays_over_connect(server: RunningServer, api: Api) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    task, rider, _ = await assigned(api)
    subject = f"rider-{last_id(rider)[:8]}"
    headers = {
        "authorization": "Bearer "
        + token(api.tenant, ["logistics:telemetry"], rider_id=last_id(rider), subject=subject)
    }
    early = task_pb2.ArriveAtStepRequest(name=task.name, step_id="0", **action(ago(3)))
    for _ in range(2):
        with pytest.raises(ConnectError) as caught:
            await client.arrive_at_step(early, headers=headers)
        assert caught.value.code == Code.FAILED_PRECONDITION
    start = task_pb2.StartTaskRequest(name=task.name, etag=task.etag, **action(ago(2)))
    first = await client.start_task(start, headers=headers)
    await client.arrive_at_step(
        task_pb2.ArriveAtStepRequest(name=task.name, step_id="0", **action(ago(1))),
        headers=headers,
    )
    assert await client.start_task(start, headers=headers) == first


async def test_a_restarted_server_answers_a_replay_from_storage(
    server_urls: ServerUrls, api: Api, tmp_path: Path
) -> None:
    task, _, md = await assigned(api)
    start = task_pb2.StartTaskRequest(name=task.name, etag=task.etag, **action(ago(1)))
    answers = []
    for _ in range(2):
        running = await start_server(server_urls, tmp_path)
        try:
            async with grpc.aio.insecure_channel(running.grpc_target) as channel:
                tasks = task_pb2_grpc.TaskServiceStub(channel)
                answers.append(await tasks.StartTask(start, metadata=md))
                if len(answers) == 1:
                    await tasks.ArriveAtStep(
                        task_pb2.ArriveAtStepRequest(name=task.name, step_id="0"), metadata=md
                    )
        finally:
            stop_server(running)
    assert answers[1] == answers[0]
    assert [e.type for e in await api.events(task.name)].count("en_route") == 1
