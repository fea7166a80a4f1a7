"""Inventory transfers end to end through the real server: a transfer picked up and
delivered short, two transfers batched onto a shuttle run (a third that does not fit gets a
task of its own), withdrawals before and after pickup, and a failed drop-off that sends the
goods back; each transfer event in the outbox with its task's change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    fleet_pb2,
    flow_pb2,
    flow_pb2_grpc,
    task_pb2,
    transfer_connect,
    transfer_pb2,
    transfer_pb2_grpc,
)

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.errors import fails
from tests.support.protos import ts
from tests.support.servers import RunningServer, ServerUrls, start_server, stop_server
from tests.support.tasks import Api, point

pytestmark = pytest.mark.e2e

TR = transfer_pb2.Transfer
T = task_pb2.Task
Received = task_pb2.TransferReceivedItem
WESTLANDS, INDUSTRIAL = (-1.2676, 36.8108), (-1.3070, 36.8510)
RICE = task_pb2.TaskItem(sku="rice-5kg", description="Rice 5 kg", quantity=10, weight_kg=5)
OIL = task_pb2.TaskItem(sku="oil-1l", quantity=6, weight_kg=1)


class Transfers:
    """TransferService calls for the test's tenant, beside the task calls of ``Api``."""

    def __init__(self, api: Api, channel: grpc.aio.Channel) -> None:
        self.api = api
        self.channel = channel
        self.stub = transfer_pb2_grpc.TransferServiceStub(channel)

    async def warehouses(self) -> None:
        for outlet_id, (lat, lng) in (("wh-westlands", WESTLANDS), ("wh-industrial", INDUSTRIAL)):
            await self.api.fleet.UpdateOutlet(
                fleet_pb2.UpdateOutletRequest(
                    outlet=fleet_pb2.Outlet(
                        name=f"{self.api.parent}/outlets/{outlet_id}",
                        display_name=outlet_id,
                        location=point(lat, lng),
                    )
                ),
                metadata=self.api.md,
            )

    def request(self, *items: task_pb2.TaskItem, request_id: str = "", **fields: Any) -> Any:
        now = datetime.now(UTC)
        fields.setdefault("ready_time", ts(now))
        fields.setdefault("deadline", ts(now + timedelta(hours=6)))
        return transfer_pb2.CreateTransferRequest(
            parent=self.api.parent,
            request_id=request_id,
            transfer=TR(
                source_outlet_id="wh-westlands",
                destination_outlet_id="wh-industrial",
                items=list(items or (RICE, OIL)),
                **fields,
            ),
        )

    async def create(self, *items: task_pb2.TaskItem, **fields: Any) -> TR:
        made: TR = await self.stub.CreateTransfer(
            self.request(*items, **fields), metadata=self.api.md
        )
        return made

    async def get(self, name: str) -> TR:
        found: TR = await self.stub.GetTransfer(
            transfer_pb2.GetTransferRequest(name=name), metadata=self.api.md
        )
        return found

    def cancel(self, name: str, reason: str = "stock recounted", etag: str = "") -> Any:
        return self.stub.CancelTransfer(
            transfer_pb2.CancelTransferRequest(name=name, reason=reason, etag=etag),
            metadata=self.api.md,
        )

    async def flow(self, transfer: TR) -> tuple[int, list[tuple[str, int]]]:
        """The transfer's flow: its state and its steps (name, the seq a compensation
        undoes)."""
        flows = flow_pb2_grpc.FlowServiceStub(self.channel)
        found = await flows.GetFlow(
            flow_pb2.GetFlowRequest(name=transfer.flow), metadata=self.api.md
        )
        assert found.kind == flow_pb2.Flow.KIND_TRANSFER
        return found.state, [(s.name, s.compensates) for s in found.steps]

    async def events(self, name: str) -> list[str]:
        return [s.removeprefix("logistics.") for s, _ in await self.api.outbox(name)]

    async def shuttle_route(self, item_count: int = 0) -> str:
        """A daily shuttle calling at Westlands in an hour, then at Industrial Area."""
        now = datetime.now(UTC)

        def window(start_h: float, end_h: float) -> common_pb2.TimeWindow:
            return common_pb2.TimeWindow(
                start_time=ts(now + timedelta(hours=start_h)),
                end_time=ts(now + timedelta(hours=end_h)),
            )

        plan = dispatch_pb2.OptimizeRoutesRequest(
            parent=self.api.parent,
            stops=[
                dispatch_pb2.RouteStop(
                    id="wh-westlands", location=point(*WESTLANDS), window=window(1, 1.5)
                ),
                dispatch_pb2.RouteStop(
                    id="industrial-dock", location=point(*INDUSTRIAL), window=window(2, 3)
                ),
            ],
            vehicles=[
                dispatch_pb2.RouteVehicle(
                    id="lorry",
                    start=point(*WESTLANDS),
                    capacity=common_pb2.Capacity(item_count=item_count),
                )
            ],
        )
        made = await self.api.dispatch.CreateRouteTemplate(
            dispatch_pb2.CreateRouteTemplateRequest(
                parent=self.api.parent,
                route_template=dispatch_pb2.RouteTemplate(
                    display_name="Westlands-Industrial shuttle",
                    plan=plan,
                    weekdays=list(range(1, 8)),
                    run_minute=0,
                ),
            ),
            metadata=self.api.md,
        )
        return str(made.name)

    async def ride(self, task: str, *steps: tuple[str, list[Received]]) -> str:
        """A new rider takes the task and completes ``steps`` (id, lines counted in)."""
        rider = await self.api.rider()
        await self.api.assign(task, rider)
        await self.api.start(task)
        for step_id, received in steps:
            await self.api.arrive(task, step_id)
            await self.api.complete(task, step_id, received_items=received)
        return rider


@pytest.fixture
async def transfers(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Transfers:
    made = Transfers(Api(grpc_channel, unique_tenant(), store, database), grpc_channel)
    await made.warehouses()
    return made


async def test_a_transfer_picked_up_and_delivered_short(transfers: Transfers) -> None:
    api = transfers.api
    sent = transfers.request(request_id="inv-tr-77", reference="TR-77")
    t = await transfers.stub.CreateTransfer(sent, metadata=api.md)
    assert t.state == TR.STATE_SCHEDULED
    assert (t.source_location.latitude, t.destination_location.longitude) == (
        pytest.approx(WESTLANDS[0]),
        pytest.approx(INDUSTRIAL[1]),
    )
    assert (t.pickup_step_id, t.drop_off_step_id, t.route_template) == ("0", "1", "")
    # A retry is the same transfer; the same id for another transfer is refused.
    assert await transfers.stub.CreateTransfer(sent, metadata=api.md) == t
    sent.transfer.items.pop()
    await fails(
        transfers.stub.CreateTransfer(sent, metadata=api.md), grpc.StatusCode.ALREADY_EXISTS
    )

    task = await api.get(t.task)
    assert (task.kind, task.order_id, task.outlet_id) == (T.KIND_TRANSFER, "TR-77", "wh-westlands")
    assert task.purpose == task_pb2.TASK_PURPOSE_TRANSFER
    assert [s.outlet_id for s in task.steps] == ["wh-westlands", "wh-industrial"]
    assert task.steps[0].location.latitude == pytest.approx(WESTLANDS[0])
    assert task.ready_time == t.ready_time
    assert task.delivery_deadline == t.deadline
    assert [(i.sku, i.quantity) for i in task.items] == [("rice-5kg", 10), ("oil-1l", 6)]

    rider = await api.rider()
    await api.assign(task.name, rider)
    await api.start(task.name)
    await api.arrive(task.name, "0")
    # Counting in is for the drop-off only: refused at the pickup, and nothing changes.
    fields = await fails(
        api.complete(task.name, "0", received_items=[Received(sku="rice-5kg", quantity=10)]),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert fields == {"received_items"}
    assert (await api.get(task.name)).steps[0].state == task_pb2.TaskStep.STATE_ARRIVED
    await api.complete(task.name, "0")
    assert (await transfers.get(t.name)).state == TR.STATE_PICKED_UP

    await api.arrive(task.name, "1")
    fields = await fails(
        api.complete(task.name, "1", received_items=[Received(sku="sugar", quantity=1)]),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert fields == {"received_items[0].sku"}
    done = await api.complete(
        task.name,
        "1",
        received_items=[Received(sku="rice-5kg", quantity=8), Received(sku="oil-1l", quantity=6)],
    )
    assert done.state == T.STATE_COMPLETED
    short = await transfers.get(t.name)
    assert short.state == TR.STATE_SHORT
    assert [(x.sku, x.quantity) for x in short.missing_items] == [("rice-5kg", 2)]
    assert [(x.sku, x.quantity) for x in short.received_items] == [("rice-5kg", 8), ("oil-1l", 6)]

    assert await transfers.events(t.name) == [
        "transfer.created",
        "transfer.picked_up",
        "transfer.short",
    ]
    # The transfer ran as a flow: each step journalled, the task a member of it.
    state, steps = await transfers.flow(short)
    assert state == flow_pb2.Flow.STATE_COMPLETED
    assert steps == [("schedule", 0), ("pick_up", 0), ("count_in", 0)]
    assert (await api.get(task.name)).flow == t.flow
    trail = [e.reason for e in await api.events(task.name) if e.type == "flow_step"]
    assert trail[-1] == "count_in: short at wh-industrial: rice-5kg x2"
    _, event = (await api.outbox(t.name))[-1]
    assert event["missing"] == [{"sku": "rice-5kg", "quantity": 2}]
    assert event["task"] == task.name
    # Each transfer event was written in the transaction of the task change that caused it.
    rows = await api.sql(
        """SELECT o.event_type, o.data->>'name' AS name, xmin::text AS tx FROM outbox o
           WHERE o.data->>'name' IN ($1, $2) ORDER BY seq""",
        t.name,
        task.name,
    )
    tx = {(r["event_type"], r["name"] == t.name): r["tx"] for r in rows}
    assert tx["transfer.picked_up", True] == tx["task.step_completed", False]
    assert tx["transfer.short", True] == tx["task.completed", False]


async def test_transfers_are_batched_onto_a_shuttle_run_that_fits(transfers: Transfers) -> None:
    api = transfers.api
    template = await transfers.shuttle_route(item_count=30)
    first = await transfers.create(RICE)  # 10 items
    second = await transfers.create(RICE, OIL)  # 16 more: 26 of 30
    third = await transfers.create(OIL)  # 6 more would be 32: a task of its own
    assert first.task == second.task
    assert (first.route_template, first.pickup_step_id, first.drop_off_step_id) == (
        template,
        "0",
        "1",
    )
    assert first.run_date == second.run_date != ""
    assert third.task != first.task
    assert third.route_template == ""

    shuttle = await api.get(first.task)
    assert shuttle.kind == T.KIND_SHUTTLE
    assert [(i.sku, i.quantity) for i in shuttle.items] == [
        ("rice-5kg", 10),
        ("rice-5kg", 10),
        ("oil-1l", 6),
    ]
    assert [s.kind for s in shuttle.steps] == [
        task_pb2.TaskStep.KIND_PICKUP,
        task_pb2.TaskStep.KIND_DROP_OFF,
    ]
    assert shuttle.steps[0].window.start_time.ToDatetime(UTC) > datetime.now(UTC)
    listed = await transfers.stub.ListTransfers(
        transfer_pb2.ListTransfersRequest(parent=api.parent, task=first.task, page_size=1),
        metadata=api.md,
    )
    rest = await transfers.stub.ListTransfers(
        transfer_pb2.ListTransfersRequest(
            parent=api.parent, task=first.task, page_size=1, page_token=listed.next_page_token
        ),
        metadata=api.md,
    )
    assert [t.name for t in (*listed.transfers, *rest.transfers)] == [first.name, second.name]
    assert not rest.next_page_token

    # 15 sacks of the 20 sent arrive: the first transfer is filled first.
    await transfers.ride(
        first.task,
        ("0", []),
        ("1", [Received(sku="rice-5kg", quantity=15), Received(sku="oil-1l", quantity=6)]),
    )
    a, b = await transfers.get(first.name), await transfers.get(second.name)
    assert a.state == TR.STATE_DELIVERED
    assert b.state == TR.STATE_SHORT
    assert [(x.sku, x.quantity) for x in b.missing_items] == [("rice-5kg", 5)]
    assert await transfers.events(first.name) == [
        "transfer.created",
        "transfer.picked_up",
        "transfer.delivered",
    ]
    # The run has started: a transfer now gets another run or a task of its own.
    later = await transfers.create(OIL)
    assert later.task != first.task


async def test_withdrawing_before_pickup_cancels_the_work(transfers: Transfers) -> None:
    api = transfers.api
    own = await transfers.create()
    withdrawn = await transfers.cancel(own.name, etag=own.etag)
    assert withdrawn.state == TR.STATE_CANCELLED
    assert withdrawn.reason == "stock recounted"
    task = await api.get(own.task)
    assert task.state == T.STATE_CANCELLED
    assert await transfers.events(own.name) == ["transfer.created", "transfer.cancelled"]
    state, steps = await transfers.flow(withdrawn)
    assert state == flow_pb2.Flow.STATE_COMPENSATED
    assert steps == [("schedule", 0), ("cancel_leg", 1)]
    await fails(
        transfers.cancel(own.name), grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION"
    )

    # On a shuttle, only its lines come off; the last transfer off cancels the run's task.
    await transfers.shuttle_route()
    a, b = await transfers.create(RICE), await transfers.create(OIL)
    assert a.task == b.task
    await transfers.cancel(a.name)
    shuttle = await api.get(a.task)
    assert shuttle.state == T.STATE_CREATED
    assert [i.sku for i in shuttle.items] == ["oil-1l"]
    await transfers.cancel(b.name)
    assert (await api.get(a.task)).state == T.STATE_CANCELLED


async def test_withdrawing_after_pickup_brings_the_goods_back(transfers: Transfers) -> None:
    api = transfers.api
    t = await transfers.create()
    rider = await transfers.ride(t.task, ("0", []))
    going_back = await transfers.cancel(t.name)
    assert going_back.state == TR.STATE_RETURNING
    assert (await api.get(t.task)).state == T.STATE_CANCELLED
    back = await api.get(going_back.return_task)
    assert (back.kind, back.state, back.rider) == (T.KIND_RETURN, T.STATE_ASSIGNED, rider)
    assert back.origin_task == t.task  # linked to the task that carried the goods
    assert "return_created" in [e.type for e in await api.events(t.task)]
    assert [(s.kind, s.outlet_id) for s in back.steps] == [
        (task_pb2.TaskStep.KIND_DROP_OFF, "wh-westlands")
    ]
    await api.start(back.name)
    await api.arrive(back.name, "0")
    await api.complete(back.name, "0")
    returned = await transfers.get(t.name)
    assert returned.state == TR.STATE_RETURNED
    state, steps = await transfers.flow(returned)
    assert state == flow_pb2.Flow.STATE_COMPENSATED
    assert steps == [("schedule", 0), ("pick_up", 0), ("return_goods", 2), ("goods_returned", 0)]
    assert back.flow == t.flow
    assert await transfers.events(t.name) == [
        "transfer.created",
        "transfer.picked_up",
        "transfer.returning",
        "transfer.returned",
    ]


async def test_a_failed_drop_off_returns_the_goods_and_one_before_pickup_reschedules(
    transfers: Transfers,
) -> None:
    api = transfers.api
    t = await transfers.create()
    await transfers.ride(t.task, ("0", []))
    await api.arrive(t.task, "1")
    # A reason code would start the failed-delivery policy's flow for a delivery; a transfer's
    # task belongs to the transfer's flow, which sends the goods back once.
    await api.tasks.FailTask(
        task_pb2.FailTaskRequest(
            name=t.task,
            reason="warehouse closed",
            reason_code=flow_pb2.FAILED_DELIVERY_REASON_REFUSED,
        ),
        metadata=api.md,
    )
    returning = await transfers.get(t.name)
    assert returning.state == TR.STATE_RETURNING
    assert returning.reason == "its task failed: warehouse closed"
    assert (await api.get(returning.return_task)).kind == T.KIND_RETURN
    listed = await flow_pb2_grpc.FlowServiceStub(transfers.channel).ListFlows(
        flow_pb2.ListFlowsRequest(parent=api.parent, task=t.task), metadata=api.md
    )
    assert [f.name for f in listed.flows] == [t.flow]
    state, steps = await transfers.flow(returning)
    assert state == flow_pb2.Flow.STATE_COMPENSATING
    assert steps[-1] == ("return_goods", 2)

    early = await transfers.create()
    rider = await api.rider()
    await api.assign(early.task, rider)
    await api.fail(early.task, reason="gate locked")
    again = await transfers.get(early.name)
    assert again.state == TR.STATE_SCHEDULED
    assert again.task != early.task
    assert (await api.get(again.task)).state == T.STATE_CREATED
    assert await transfers.events(early.name) == ["transfer.created", "transfer.rescheduled"]
    state, steps = await transfers.flow(again)
    assert state == flow_pb2.Flow.STATE_RUNNING
    assert steps == [("schedule", 0), ("schedule", 0)]


async def test_bad_transfers_are_refused_naming_the_fields_over_connect(
    transfers: Transfers, server: RunningServer
) -> None:
    api = transfers.api
    client = transfer_connect.TransferServiceClient(server.http_url)
    made = await client.create_transfer(transfers.request(), headers=headers(api.tenant))
    assert made.state == TR.STATE_SCHEDULED
    bad = transfers.request(task_pb2.TaskItem(sku="rice-5kg", quantity=0))
    bad.transfer.destination_outlet_id = "wh-westlands"
    fields = await fails(
        transfers.stub.CreateTransfer(bad, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert fields == {"transfer.destination_outlet_id", "transfer.items[0].quantity"}
    nowhere = transfers.request()
    nowhere.transfer.destination_outlet_id = "wh-unknown"
    fields = await fails(
        transfers.stub.CreateTransfer(nowhere, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert fields == {"transfer.destination_outlet_id"}
    listed = await transfers.stub.ListTransfers(
        transfer_pb2.ListTransfersRequest(parent=api.parent), metadata=api.md
    )
    assert [t.name for t in listed.transfers] == [made.name]  # nothing stored for the others
    await fails(
        transfers.stub.GetTransfer(
            transfer_pb2.GetTransferRequest(name=f"{api.parent}/transfers/{made.name[-36:]}"),
            metadata=(("authorization", "Bearer nope"),),
        ),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_withdrawing_from_a_shuttle_after_pickup_fetches_the_goods_at_its_drop(
    transfers: Transfers,
) -> None:
    api = transfers.api
    await transfers.shuttle_route()
    stays, leaves = await transfers.create(RICE), await transfers.create(OIL)
    assert stays.task == leaves.task
    await transfers.ride(stays.task, ("0", []))
    going_back = await transfers.cancel(leaves.name, reason="sold at the source")
    assert going_back.state == TR.STATE_RETURNING
    shuttle = await api.get(stays.task)
    assert shuttle.state == T.STATE_EN_ROUTE  # the shuttle carries the other goods on
    assert [i.sku for i in shuttle.items] == ["rice-5kg"]
    back = await api.get(going_back.return_task)
    assert (back.kind, back.state, back.rider) == (T.KIND_RETURN, T.STATE_CREATED, "")
    assert [s.kind for s in back.steps] == [
        task_pb2.TaskStep.KIND_PICKUP,
        task_pb2.TaskStep.KIND_DROP_OFF,
    ]
    assert back.steps[0].location == shuttle.steps[1].location  # where the shuttle unloads
    assert back.steps[1].outlet_id == "wh-westlands"
    # At the drop, only the transfer still on board is counted in.
    await api.arrive(stays.task, "1")
    await fails(
        api.complete(stays.task, "1", received_items=[Received(sku="oil-1l", quantity=6)]),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await api.complete(stays.task, "1", received_items=[Received(sku="rice-5kg", quantity=10)])
    assert (await transfers.get(stays.name)).state == TR.STATE_DELIVERED
    assert (await transfers.get(leaves.name)).state == TR.STATE_RETURNING


async def test_a_transfer_picked_up_before_a_restart_is_counted_in_after_it(
    server_urls: ServerUrls, store: Store, database: Database, tmp_path: Path
) -> None:
    tenant = unique_tenant()
    names: dict[str, str] = {}
    for server in range(2):
        running = await start_server(server_urls, tmp_path)
        try:
            async with grpc.aio.insecure_channel(running.grpc_target) as channel:
                transfers = Transfers(Api(channel, tenant, store, database), channel)
                if server == 0:
                    await transfers.warehouses()
                    t = await transfers.create()
                    names = {"transfer": t.name, "task": t.task}
                    await transfers.ride(t.task, ("0", []))
                else:
                    assert (await transfers.get(names["transfer"])).state == TR.STATE_PICKED_UP
                    await transfers.api.arrive(names["task"], "1")
                    await transfers.api.complete(
                        names["task"], "1", received_items=[Received(sku="oil-1l", quantity=5)]
                    )
                    short = await transfers.get(names["transfer"])
                    assert short.state == TR.STATE_SHORT
                    assert [(x.sku, x.quantity) for x in short.missing_items] == [
                        ("rice-5kg", 10),
                        ("oil-1l", 1),
                    ]
        finally:
            stop_server(running)
