"""BatchCreateTasks end to end over gRPC and Connect: all or nothing (every bad request named,
nothing stored), per-request results (tasks beside google.rpc.Status errors), idempotency per
request id shared with CreateTask, and a full batch of 1,000 in one call."""

from __future__ import annotations

import time
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import fleet_pb2, task_connect, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.rpc import code_pb2, error_details_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import DISPATCHER, PICKUP, Api, T, drop_off, pickup, point

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def batch(api: Api, *requests: task_pb2.CreateTaskRequest, all_or_nothing: bool) -> Any:
    return api.tasks.BatchCreateTasks(
        task_pb2.BatchCreateTasksRequest(
            parent=api.parent, requests=list(requests), all_or_nothing=all_or_nothing
        ),
        metadata=api.md,
    )


def good(api: Api, n: int) -> task_pb2.CreateTaskRequest:
    return api.create_request(pickup(), drop_off(), request_id=f"order-{n}", order_id=f"order-{n}")


def bad_location(api: Api) -> task_pb2.CreateTaskRequest:
    return api.create_request(pickup(), drop_off(location=point(95, 0)))


async def stored(api: Api) -> int:
    return len(await api.listed(page_size=1000))


async def test_all_or_nothing_names_every_bad_request_and_stores_none(api: Api) -> None:
    no_steps = api.create_request()
    del no_steps.task.steps[:]
    call = batch(api, good(api, 1), bad_location(api), good(api, 2), no_steps, all_or_nothing=True)
    fields = await fails(call, grpc.StatusCode.INVALID_ARGUMENT)
    assert fields == {"requests[1].task.steps[1].location", "requests[3].task.steps"}
    assert await stored(api) == 0
    assert await api.outbox(f"{api.parent}/tasks/any") == []


async def test_all_or_nothing_stores_every_task_with_its_trail_and_event(api: Api) -> None:
    answer = await batch(api, good(api, 1), good(api, 2), all_or_nothing=True)
    assert [t.order_id for t in answer.tasks] == ["order-1", "order-2"]
    assert [r.task for r in answer.results] == list(answer.tasks)
    for task in answer.tasks:
        assert task.state == T.STATE_CREATED
        assert await api.get(task.name) == task
        assert [e.type for e in await api.events(task.name)] == ["created"]
        assert [s for s, _ in await api.outbox(task.name)] == ["logistics.task.created"]
    audit = await api.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'task.created' AND resource = ANY($1)",
        [t.name for t in answer.tasks],
    )
    assert audit[0][0] == 2


async def test_per_request_results_store_the_good_and_explain_the_bad(api: Api) -> None:
    first = await batch(api, good(api, 1), good(api, 3), all_or_nothing=False)
    reused = good(api, 3)
    reused.task.priority = 5  # the same request id, another body
    answer = await batch(
        api,
        good(api, 1),  # a retry: the task made before
        bad_location(api),
        reused,
        good(api, 2),
        good(api, 2),  # the same id twice in one batch
        all_or_nothing=False,
    )
    results = answer.results
    assert results[0].task == first.tasks[0]
    assert results[1].status.code == code_pb2.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in results[1].status.details)
    assert [v.field for v in bad.field_violations] == ["task.steps[1].location"]
    assert results[2].status.code == code_pb2.ALREADY_EXISTS
    assert results[3].task.order_id == "order-2"
    assert results[4].status.code == code_pb2.INVALID_ARGUMENT
    assert [t.name for t in answer.tasks] == [results[0].task.name, results[3].task.name]
    assert await stored(api) == 3


async def test_a_batch_retry_returns_a_task_made_by_create_task(api: Api) -> None:
    made = await api.tasks.CreateTask(good(api, 7), metadata=api.md)
    answer = await batch(api, good(api, 7), all_or_nothing=True)
    assert answer.tasks[0].name == made.name
    assert await stored(api) == 1


async def test_bad_batches_are_refused_whole(api: Api) -> None:
    assert await fails(batch(api, all_or_nothing=True), grpc.StatusCode.INVALID_ARGUMENT) == {
        "requests"
    }
    other = good(api, 1)
    other.parent = "tenants/someone-else"
    answer = await batch(api, other, all_or_nothing=False)
    assert answer.results[0].status.code == code_pb2.INVALID_ARGUMENT


async def test_a_thousand_tasks_in_one_call(api: Api) -> None:
    requests = [good(api, n) for n in range(1000)]
    started = time.perf_counter()
    answer = await batch(api, *requests, all_or_nothing=True)
    took = time.perf_counter() - started
    assert len(answer.tasks) == 1000
    assert await stored(api) == 1000
    timers = await api.sql(
        "SELECT count(*) FROM timers WHERE subject_id = ANY($1::uuid[])",
        [t.name.rsplit("/", 1)[1] for t in answer.tasks],
    )
    assert timers[0][0] == 0  # no deadlines, no timers
    assert took < 10, f"1,000 tasks took {took:.1f} s"


async def test_batch_create_over_connect(server: RunningServer, api: Api) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}
    request = task_pb2.BatchCreateTasksRequest(
        parent=api.parent, requests=[good(api, 1), bad_location(api)], all_or_nothing=False
    )
    answer = await client.batch_create_tasks(request, headers=headers)
    assert answer.results[0].task.order_id == "order-1"
    assert answer.results[1].status.code == code_pb2.INVALID_ARGUMENT
    request.all_or_nothing = True
    with pytest.raises(ConnectError) as caught:
        await client.batch_create_tasks(request, headers=headers)
    assert caught.value.code == Code.INVALID_ARGUMENT


async def test_a_pickup_naming_only_an_outlet_is_placed_there_or_refused_naming_the_step(
    api: Api,
) -> None:
    kitchen = await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(
                name=f"{api.parent}/outlets/kitchen-1",
                display_name="Central kitchen",
                location=point(-1.2864, 36.8172),
                address="Moi Avenue 12",
            )
        ),
        metadata=api.md,
    )
    at_kitchen = task_pb2.TaskStep(kind=PICKUP, outlet_id="kitchen-1")
    nowhere = task_pb2.TaskStep(kind=PICKUP, outlet_id="nowhere")
    placed = api.create_request(at_kitchen, drop_off(), request_id="pos-1")
    answer = await batch(api, placed, api.create_request(nowhere, drop_off()), all_or_nothing=False)
    first, refused = answer.results
    assert first.task.steps[0].location == kitchen.location
    assert first.task.steps[0].address == "Moi Avenue 12"
    assert refused.status.code == code_pb2.INVALID_ARGUMENT
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in refused.status.details)
    assert [v.field for v in bad.field_violations] == ["task.steps[0].outlet_id"]
    # The request_id stands for the task as sent, as CreateTask's does: a retry is the same.
    again = await batch(api, placed, all_or_nothing=True)
    assert again.tasks[0].name == first.task.name
    retried_alone = await api.create(at_kitchen, drop_off(), request_id="pos-1")
    assert retried_alone.name == first.task.name
    assert await fails(
        batch(api, api.create_request(nowhere, drop_off()), all_or_nothing=True),
        grpc.StatusCode.INVALID_ARGUMENT,
    ) == {"requests[0].task.steps[0].outlet_id"}
    assert await stored(api) == 1
