"""Returns linked to their order, end to end through the real server (gRPC, and Connect for the
customer's return): the forward task named, checked and stored, listed by it, told on its own
trail; purposes and item conditions kept; bad links refused precisely and storing nothing."""

from __future__ import annotations

import csv
import io
import uuid

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import task_connect, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.e2e.test_task_import import csv_text, export_tasks, import_tasks, row
from tests.support.auth import token, unique_tenant
from tests.support.completing import Complete, completer, refused
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import DISPATCHER, Api, T, drop_off, pickup

pytestmark = pytest.mark.e2e

INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
RETURN, CUSTOMER_RETURN = T.KIND_RETURN, task_pb2.TASK_PURPOSE_CUSTOMER_RETURN
DAMAGED, OPENED = task_pb2.ITEM_CONDITION_DAMAGED, task_pb2.ITEM_CONDITION_OPENED
PHOTO = task_pb2.TaskStep.PROOF_KIND_PHOTO
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


async def delivered(api: Api) -> task_pb2.Task:
    """A delivery the rider has completed: the order a return is about."""
    task, _ = await api.at("1", pickup(), drop_off())
    done: task_pb2.Task = await api.complete(task.name, "1")
    assert done.state == T.STATE_COMPLETED
    return done


def return_of(api: Api, origin: str, request_id: str = "", **fields: object) -> object:
    """A customer return of ``origin``: from the customer's door back to the warehouse."""
    fields.setdefault("kind", RETURN)
    fields.setdefault("purpose", CUSTOMER_RETURN)
    fields.setdefault(
        "items",
        [task_pb2.TaskItem(sku="kettle-2l", quantity=1, condition=DAMAGED, collect=True)],
    )
    return api.create_request(
        pickup(), drop_off(), request_id=request_id, origin_task=origin, **fields
    )


async def test_a_customer_return_is_linked_to_its_delivered_order(api: Api) -> None:
    order = await delivered(api)
    made = await api.tasks.CreateTask(return_of(api, order.name, "ret-1"), metadata=api.md)
    assert made.origin_task == order.name
    assert made.purpose == CUSTOMER_RETURN
    assert [(i.sku, i.condition, i.collect) for i in made.items] == [("kettle-2l", DAMAGED, True)]
    assert await api.get(made.name) == made
    assert await api.listed(origin_task=order.name) == [made.name]
    assert await api.listed(purpose=CUSTOMER_RETURN) == [made.name]
    assert await api.listed(purpose=task_pb2.TASK_PURPOSE_EXCHANGE) == []

    # The order's trail names the return; the return's own trail starts as any task's.
    trail = await api.events(order.name)
    assert trail[-1].type == "return_created"
    assert trail[-1].reason == f"{made.name} (customer_return)"
    assert trail[-1].actor == DISPATCHER
    assert [e.type for e in await api.events(made.name)] == ["created"]
    [(subject, data)] = await api.outbox(made.name)
    assert subject == "logistics.task.created"
    assert data["task"]["origin_task_id"] == order.name.rsplit("/", 1)[1]
    assert data["task"]["purpose"] == "customer_return"
    assert data["task"]["items"][0]["condition"] == "damaged"

    # A retry is the same return, and tells the order nothing twice.
    again = await api.tasks.CreateTask(return_of(api, order.name, "ret-1"), metadata=api.md)
    assert again.name == made.name
    assert [e.type for e in await api.events(order.name)].count("return_created") == 1


async def test_the_link_and_purpose_are_fixed_at_creation(api: Api) -> None:
    order = await delivered(api)
    made = await api.tasks.CreateTask(return_of(api, order.name), metadata=api.md)
    for path in ("origin_task", "purpose"):
        request = task_pb2.UpdateTaskRequest(task=made, update_mask={"paths": [path]})
        await fails(api.tasks.UpdateTask(request, metadata=api.md), INVALID)
    # Sent whole, as read back, the edit changes the notes and leaves the link alone.
    edited = task_pb2.Task()
    edited.CopyFrom(made)
    edited.notes = "ring the bell"
    updated = await api.tasks.UpdateTask(task_pb2.UpdateTaskRequest(task=edited), metadata=api.md)
    assert (updated.origin_task, updated.purpose, updated.notes) == (
        order.name,
        CUSTOMER_RETURN,
        "ring the bell",
    )


async def test_a_bad_link_is_refused_precisely_and_stores_nothing(api: Api) -> None:
    order = await delivered(api)
    other = unique_tenant()
    cases = [
        (f"tenants/{other}/tasks/{uuid.uuid4()}", INVALID, None),
        ("tasks/nope", INVALID, None),
        (f"{api.parent}/riders/{uuid.uuid4()}", INVALID, None),
        (f"{api.parent}/tasks/{uuid.uuid4()}", NOT_FOUND, None),
    ]
    for origin, code, reason in cases:
        fields = await fails(
            api.tasks.CreateTask(return_of(api, origin), metadata=api.md), code, reason
        )
        if code is INVALID:
            assert fields == {"task.origin_task"}, origin
    # A return of an order that was never delivered.
    open_order = await api.create(pickup(), drop_off())
    await fails(
        api.tasks.CreateTask(return_of(api, open_order.name), metadata=api.md),
        FAILED_PRECONDITION,
        "ORIGIN_TASK_STATE",
    )
    # A purpose that does not fit the kind, a failed delivery's leg with no forward task.
    wrong_kind = return_of(api, order.name, kind=T.KIND_DELIVERY)
    assert await fails(api.tasks.CreateTask(wrong_kind, metadata=api.md), INVALID) == {
        "task.purpose"
    }
    orphan = return_of(api, "", purpose=task_pb2.TASK_PURPOSE_FAILED_DELIVERY)
    assert await fails(api.tasks.CreateTask(orphan, metadata=api.md), INVALID) == {
        "task.origin_task"
    }
    bad_condition = return_of(api, order.name, items=[task_pb2.TaskItem(sku="x", condition=99)])
    assert await fails(api.tasks.CreateTask(bad_condition, metadata=api.md), INVALID) == {
        "task.items[0].condition"
    }
    assert await api.listed(kind=RETURN) == []
    assert [e.type for e in await api.events(order.name)].count("return_created") == 0
    filter_of_other = api.tasks.ListTasks(
        task_pb2.ListTasksRequest(parent=api.parent, origin_task=f"tenants/{other}/tasks/x"),
        metadata=api.md,
    )
    assert await fails(filter_of_other, INVALID) == {"origin_task"}


async def test_a_batch_links_each_return_or_says_why_not(api: Api) -> None:
    order = await delivered(api)
    missing = f"{api.parent}/tasks/{uuid.uuid4()}"
    requests = [
        return_of(api, order.name, "b-1"),
        return_of(api, missing, "b-2"),
        return_of(api, order.name, "b-3", purpose=task_pb2.TASK_PURPOSE_EXPIRED_GOODS),
    ]
    together = task_pb2.BatchCreateTasksRequest(
        parent=api.parent, requests=requests, all_or_nothing=True
    )
    await fails(api.tasks.BatchCreateTasks(together, metadata=api.md), NOT_FOUND)
    assert await api.listed(origin_task=order.name) == []

    each = task_pb2.BatchCreateTasksRequest(parent=api.parent, requests=requests)
    answer = await api.tasks.BatchCreateTasks(each, metadata=api.md)
    assert [r.WhichOneof("result") for r in answer.results] == ["task", "status", "task"]
    assert answer.results[1].status.code == NOT_FOUND.value[0]
    assert missing in answer.results[1].status.message
    made = [answer.results[0].task.name, answer.results[2].task.name]
    assert sorted(await api.listed(origin_task=order.name)) == sorted(made)
    entries = [(e.type, e.reason) for e in await api.events(order.name)]
    assert ("return_created", f"{made[0]} (customer_return)") in entries
    assert ("return_created", f"{made[1]} (expired_goods)") in entries


async def test_a_return_over_connect_is_the_same_return(api: Api, server: RunningServer) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}
    order = await delivered(api)
    request = return_of(api, order.name, "over-connect")
    made = await client.create_task(request, headers=headers)  # type: ignore[arg-type]
    assert made.origin_task == order.name
    assert made == await api.get(made.name)
    listed = await client.list_tasks(
        task_pb2.ListTasksRequest(parent=api.parent, origin_task=order.name), headers=headers
    )
    assert [t.name for t in listed.tasks] == [made.name]
    with pytest.raises(ConnectError) as caught:
        await client.create_task(
            return_of(api, f"{api.parent}/tasks/{uuid.uuid4()}"),  # type: ignore[arg-type]
            headers=headers,
        )
    assert caught.value.code == Code.NOT_FOUND


@pytest.fixture(params=["grpc", "connect"])
def complete(request: pytest.FixtureRequest, api: Api, server: RunningServer) -> Complete:
    return completer(request.param, api, server)


async def test_the_rider_records_the_condition_of_returned_goods_at_pickup(
    api: Api, complete: Complete
) -> None:
    """A customer return end to end: linked to the completed delivery, picked up at the
    customer's door with a photo and the condition found, dropped at the warehouse."""
    order = await delivered(api)
    request = return_of(
        api,
        order.name,
        items=[
            task_pb2.TaskItem(sku="kettle-2l", condition=DAMAGED, collect=True),
            task_pb2.TaskItem(sku="lid", collect=True),
        ],
    )
    request.task.steps[0].required_proofs.append(PHOTO)
    kettle = await api.tasks.CreateTask(request, metadata=api.md)
    await api.assign(kettle.name, await api.rider())
    await api.start(kettle.name)
    await api.arrive(kettle.name, "0")

    def pickup_with(*findings: tuple[int, int]) -> task_pb2.CompleteStepRequest:
        photo = task_pb2.Proof(
            kind=PHOTO,
            content=PNG,
            items=[task_pb2.ReturnItemFinding(item=i, condition=c) for i, c in findings],
        )
        return task_pb2.CompleteStepRequest(name=kettle.name, step_id="0", proofs=[photo])

    message = await refused(complete(pickup_with((0, DAMAGED))), "ITEM_CONDITION_REQUIRED")
    assert message == (
        "step 0 picks up returned goods: record the condition found of items[1] (lid)"
    )
    assert await api.proofs(kettle.name) == []
    picked = await complete(pickup_with((0, DAMAGED), (1, OPENED)))
    assert picked.state == T.STATE_EN_ROUTE
    [photo] = await api.proofs(kettle.name)
    assert [(f.item, f.condition) for f in photo.items] == [(0, DAMAGED), (1, OPENED)]
    await api.arrive(kettle.name, "1")
    done = await complete(task_pb2.CompleteStepRequest(name=kettle.name, step_id="1"))
    assert done.state == T.STATE_COMPLETED
    assert await api.listed(origin_task=order.name) == [kettle.name]


async def test_an_import_links_returns_and_refuses_bad_links_by_row(
    api: Api, server: RunningServer
) -> None:
    order = await delivered(api)
    open_order = await api.create(pickup(), drop_off())
    rma = {"kind": "return", "purpose": "customer_return"}
    rows = [
        row(1, origin_task=order.name, **rma),
        row(2, origin_task=f"{api.parent}/tasks/{uuid.uuid4()}", **rma),
        row(3, origin_task=f"tenants/{unique_tenant()}/tasks/{uuid.uuid4()}", **rma),
        row(4, origin_task=open_order.name, **rma),
        row(5, origin_task=order.name, purpose="customer_return"),  # kind delivery
        row(6, origin_task="order-981", **rma),
        row(7, purpose="failed_delivery"),
    ]
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
        response = await import_tasks(client, api.tenant, csv_text(rows))
        assert response.status_code == 200, response.text
        report = response.json()
        exported = (await export_tasks(client, api.tenant)).text
    assert (report["rows"], report["created"]) == (7, 1)
    errors = {e["row"]: (e["field"], e["message"]) for e in report["errors"]}
    assert errors == {
        2: ("origin_task", f"task {rows[1]['origin_task']} not found"),
        3: ("origin_task", f"names a task of another tenant than {api.tenant}"),
        4: (
            "origin_task",
            f"a customer_return task needs its origin task completed; {open_order.name} is created",
        ),
        5: ("purpose", "customer_return needs kind RETURN"),
        6: ("origin_task", "is not a task's name (tenants/{tenant}/tasks/{id})"),
        7: ("origin_task", "is required for failed_delivery"),
    }
    [made] = await api.listed(origin_task=order.name)
    assert (await api.get(made)).purpose == CUSTOMER_RETURN
    assert (await api.events(order.name))[-1].reason == f"{made} (customer_return)"
    # The export writes the link and the purpose back, as the import reads them.
    [line] = [r for r in csv.DictReader(io.StringIO(exported)) if r["origin_task"]]
    assert (line["origin_task"], line["purpose"], line["kind"]) == (
        order.name,
        "customer_return",
        "return",
    )
