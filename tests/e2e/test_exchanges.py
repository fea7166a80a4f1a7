"""Exchanges end to end through the real server, over gRPC and Connect: the new item delivered
and the old one collected in one visit, completed only with proof of both sides (the rider's
photo of the old item and the condition found), the proofs listed with the items they show,
and the old item brought back by the task's last step."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import task_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.completing import Complete, completer, refused
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import Api, Step, T, drop_off, pickup, point

pytestmark = pytest.mark.e2e

CODE, PHOTO = Step.PROOF_KIND_ONE_TIME_CODE, Step.PROOF_KIND_PHOTO
EXCHANGE = task_pb2.TASK_PURPOSE_EXCHANGE
GOOD, DAMAGED = task_pb2.ITEM_CONDITION_GOOD, task_pb2.ITEM_CONDITION_DAMAGED
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
WAREHOUSE = point(-1.2833, 36.8167)


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


@pytest.fixture(params=["grpc", "connect"])
def complete(request: pytest.FixtureRequest, api: Api, server: RunningServer) -> Complete:
    return completer(request.param, api, server)


def shows(*findings: tuple[int, int]) -> list[task_pb2.ReturnItemFinding]:
    return [task_pb2.ReturnItemFinding(item=i, condition=c) for i, c in findings]


async def exchange_of(api: Api, order: str = "") -> task_pb2.Task:
    """A new phone for the old one: fetched at the warehouse, swapped at the customer's door
    against a one-time code, the old one brought back to the warehouse."""
    task: task_pb2.Task = await api.create(
        pickup(),
        drop_off(CODE, code="4821"),
        drop_off(location=WAREHOUSE),
        purpose=EXCHANGE,
        origin_task=order,
        items=[
            task_pb2.TaskItem(sku="phone-new", condition=task_pb2.ITEM_CONDITION_NEW),
            task_pb2.TaskItem(sku="phone-old", condition=GOOD, collect=True),
        ],
    )
    return task


async def at_the_door(api: Api, swap: task_pb2.Task, rider: str, md: Any) -> task_pb2.Task:
    """The exchange assigned to ``rider``, the new item picked up (acting with ``md``), the
    rider arrived at the customer's door."""
    await api.assign(swap.name, rider)
    await api.start(swap.name, md=md)
    await api.arrive(swap.name, "0", md=md)
    await api.complete(swap.name, "0", md=md)
    arrived: task_pb2.Task = await api.arrive(swap.name, "1", md=md)
    return arrived


async def test_an_exchange_completes_its_visit_only_with_proof_of_both_sides(
    api: Api, complete: Complete
) -> None:
    order, _ = await api.at("1", pickup(), drop_off())
    await api.complete(order.name, "1")
    swap = await exchange_of(api, order.name)
    assert [e.type for e in await api.events(order.name)][-1] == "exchange_created"
    at_door = await at_the_door(api, swap, await api.rider(), api.md)

    def visit(*proofs: task_pb2.Proof) -> task_pb2.CompleteStepRequest:
        return task_pb2.CompleteStepRequest(name=swap.name, step_id="1", proofs=list(proofs))

    code = task_pb2.Proof(kind=CODE, text="4821")
    unjudged = task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((1, 0)))
    message = await refused(complete(visit(code, unjudged)), "EXCHANGE_PROOF_REQUIRED")
    assert message == (
        "step 1 is an exchange's visit: no condition recorded for collected items[1] (phone-old)"
    )
    message = await refused(complete(visit(code)), "EXCHANGE_PROOF_REQUIRED")
    assert "no photo of collected items[1] (phone-old)" in message
    photo_only = task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((1, DAMAGED)))
    message = await refused(complete(visit(photo_only)), "PROOF_REQUIRED")  # the code first
    assert await api.get(swap.name) == at_door  # nothing changed, no proof kept
    assert await api.proofs(swap.name) == []

    old = task_pb2.Proof(
        kind=PHOTO, content=PNG, items=shows((1, DAMAGED)), location=point(-1.3, 36.78)
    )
    new = task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((0, GOOD)))
    swapped = await complete(visit(code, old, new))
    assert (swapped.state, swapped.current_step) == (T.STATE_EN_ROUTE, 2)
    # The items keep the condition the upstream reported; the rider's findings are the proofs'.
    assert [i.condition for i in swapped.items] == [task_pb2.ITEM_CONDITION_NEW, GOOD]
    proofs = await api.proofs(swap.name)
    shown = sorted((p.kind, [(f.item, f.condition) for f in p.items]) for p in proofs)
    assert shown == [(CODE, []), (PHOTO, [(0, GOOD)]), (PHOTO, [(1, DAMAGED)])]
    *_, (_, data) = [e for e in await api.outbox(swap.name) if e[0].endswith("step_completed")]
    findings = data["task"]["steps"][1]["findings"]
    assert sorted((f["item"], f["condition"]) for f in findings) == [(0, "good"), (1, "damaged")]

    # The return leg: the old phone back at the warehouse.
    await api.arrive(swap.name, "2")
    done = await complete(task_pb2.CompleteStepRequest(name=swap.name, step_id="2"))
    assert done.state == T.STATE_COMPLETED


async def test_an_exchange_needs_both_kinds_of_item_and_a_way_back(api: Api) -> None:
    items = [task_pb2.TaskItem(sku="new"), task_pb2.TaskItem(sku="old", collect=True)]
    no_way_back = api.create_request(pickup(), drop_off(), purpose=EXCHANGE, items=items)
    assert await fails(
        api.tasks.CreateTask(no_way_back, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    ) == {"task.steps"}
    nothing_to_collect = api.create_request(
        pickup(), drop_off(), drop_off(), purpose=EXCHANGE, items=items[:1]
    )
    assert await fails(
        api.tasks.CreateTask(nothing_to_collect, metadata=api.md),
        grpc.StatusCode.INVALID_ARGUMENT,
    ) == {"task.items"}
    returned = api.create_request(
        pickup(), drop_off(), drop_off(), purpose=EXCHANGE, items=items, kind=T.KIND_RETURN
    )
    assert await fails(
        api.tasks.CreateTask(returned, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    ) == {"task.purpose"}
    assert await api.listed() == []


async def test_a_proof_naming_an_item_the_task_lacks_is_invalid(api: Api) -> None:
    swap = await exchange_of(api)
    await api.assign(swap.name, await api.rider())
    await api.start(swap.name)
    await api.arrive(swap.name, "0")
    stray = task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((5, DAMAGED)))
    fields = await fails(api.complete(swap.name, "0", stray), grpc.StatusCode.INVALID_ARGUMENT)
    assert fields == {"proofs[0].items[0].item"}
    bad = task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((1, 42)))
    fields = await fails(api.complete(swap.name, "0", bad), grpc.StatusCode.INVALID_ARGUMENT)
    assert fields == {"proofs[0].items[0].condition"}
    assert await api.proofs(swap.name) == []


async def test_a_replayed_visit_is_answered_once_and_other_findings_are_another_action(
    api: Api,
) -> None:
    swap = await exchange_of(api)
    rider = await api.rider()
    md = api.rider_md(rider)
    await at_the_door(api, swap, rider, md)
    action = str(uuid.uuid4())
    code = task_pb2.Proof(kind=CODE, text="4821")

    def photo(condition: int) -> task_pb2.Proof:
        return task_pb2.Proof(kind=PHOTO, content=PNG, items=shows((1, condition)))

    first = await api.complete(swap.name, "1", code, photo(DAMAGED), md=md, action_id=action)
    again = await api.complete(swap.name, "1", code, photo(DAMAGED), md=md, action_id=action)
    assert again == first
    assert len(await api.proofs(swap.name)) == 2
    await fails(
        api.complete(swap.name, "1", code, photo(GOOD), md=md, action_id=action),
        grpc.StatusCode.ALREADY_EXISTS,
        "ACTION_ID_REUSED",
    )
