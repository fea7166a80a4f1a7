"""CarrierService end to end: the real server over gRPC, the sandbox carrier over real HTTP,
and the sandbox's signed callbacks reaching the server's HTTP listener and moving the task; a
forged, a stale and a replayed callback refused or ignored."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    carrier_pb2,
    carrier_pb2_grpc,
    flow_pb2,
    flow_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
)
from google.protobuf import field_mask_pb2

from logistics.carriers.sandbox import SandboxConfig, SandboxServer
from logistics.events.signing import sign
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth
from tests.support.errors import details
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, T, drop_off, pickup
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

Account = carrier_pb2.CarrierAccount
S = carrier_pb2.CarrierJobStatus


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SandboxConfig(seed=3)) as running:
        yield running


class Carriers:
    def __init__(self, channel: grpc.aio.Channel, tenant: str) -> None:
        self.stub = carrier_pb2_grpc.CarrierServiceStub(channel)
        self.tasks = task_pb2_grpc.TaskServiceStub(channel)
        self.parent = f"tenants/{tenant}"
        self.admin = auth(tenant, ["logistics:admin", "logistics:dispatch", "logistics:read"])

    async def account(self, sandbox: SandboxServer, **fields: object) -> Account:
        given: dict[str, object] = {
            "display_name": "Sandbox couriers",
            "adapter": Account.ADAPTER_ON_DEMAND,
            "base_url": sandbox.url,
            "credentials": carrier_pb2.CarrierCredentials(
                api_key=sandbox.config.api_key, signing_secret=sandbox.config.signing_secret
            ),
            "vehicle_types": ["motorbike"],
            "priority": 1,
            **fields,
        }
        account = Account(**given)  # type: ignore[arg-type]
        return await self.stub.CreateCarrierAccount(
            carrier_pb2.CreateCarrierAccountRequest(parent=self.parent, carrier_account=account),
            metadata=self.admin,
        )

    async def task(self) -> T:
        return await self.tasks.CreateTask(
            task_pb2.CreateTaskRequest(
                parent=self.parent, task=T(kind=T.KIND_DELIVERY, steps=[pickup(), drop_off()])
            ),
            metadata=self.admin,
        )

    async def book(self, task: T, account: Account, request_id: str = "") -> carrier_pb2.CarrierJob:
        return await self.stub.CreateCarrierJob(
            carrier_pb2.CreateCarrierJobRequest(
                parent=task.name, carrier_account=account.name, request_id=request_id
            ),
            metadata=self.admin,
        )

    async def job(self, name: str) -> carrier_pb2.CarrierJob:
        return await self.stub.GetCarrierJob(
            carrier_pb2.GetCarrierJobRequest(name=name), metadata=self.admin
        )

    async def state(self, task: T) -> int:
        found = await self.tasks.GetTask(
            task_pb2.GetTaskRequest(name=task.name), metadata=self.admin
        )
        return found.state


@pytest.fixture(scope="module")
async def lenient(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    """A server that may call private addresses: the sandbox carrier runs on 127.0.0.1."""
    async with server_in_process(server_urls, LOGISTICS_ALLOW_PRIVATE_TARGETS="true") as running:
        yield running


@pytest.fixture
async def carriers(lenient: Listeners, tenant: str) -> AsyncIterator[Carriers]:
    async with grpc.aio.insecure_channel(lenient.grpc_target) as channel:
        yield Carriers(channel, tenant)


async def test_a_server_that_may_not_call_private_addresses_does_not_book_them(
    grpc_channel: grpc.aio.Channel, tenant: str, sandbox: SandboxServer
) -> None:
    strict = Carriers(grpc_channel, tenant)
    account = await strict.account(sandbox)
    task = await strict.task()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await strict.book(task, account)
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
    assert sandbox.book.calls == 0
    assert await strict.state(task) == T.STATE_CREATED


async def test_an_account_keeps_its_credentials_sealed_and_out_of_every_answer(
    carriers: Carriers, sandbox: SandboxServer, owner: object
) -> None:
    created = await carriers.account(sandbox)
    assert created.name.startswith(f"{carriers.parent}/carrierAccounts/")
    assert not created.HasField("credentials")
    assert created.mode == Account.MODE_TEST
    row = await owner.fetchrow(  # type: ignore[attr-defined]
        "SELECT credentials FROM carrier_accounts WHERE id = $1", uuid.UUID(created.name[-36:])
    )
    assert sandbox.config.api_key not in row["credentials"]
    assert row["credentials"].startswith("v1.")
    listed = await carriers.stub.ListCarrierAccounts(
        carrier_pb2.ListCarrierAccountsRequest(parent=carriers.parent), metadata=carriers.admin
    )
    assert [a.name for a in listed.carrier_accounts] == [created.name]

    changed = Account(name=created.name, priority=5, etag=created.etag)
    updated = await carriers.stub.UpdateCarrierAccount(
        carrier_pb2.UpdateCarrierAccountRequest(
            carrier_account=changed, update_mask=field_mask_pb2.FieldMask(paths=["priority"])
        ),
        metadata=carriers.admin,
    )
    assert (updated.priority, updated.display_name) == (5, "Sandbox couriers")
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await carriers.stub.UpdateCarrierAccount(
            carrier_pb2.UpdateCarrierAccountRequest(
                carrier_account=changed, update_mask=field_mask_pb2.FieldMask(paths=["priority"])
            ),
            metadata=carriers.admin,
        )
    assert stale.value.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION)


async def test_a_bad_account_is_refused_naming_each_field(
    carriers: Carriers, sandbox: SandboxServer
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await carriers.account(sandbox, base_url="ftp://x", mode=Account.MODE_LIVE, priority=5000)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert details(refused.value)[1] >= {
        "carrier_account.base_url",
        "carrier_account.priority",
    }


async def test_a_task_booked_with_a_carrier_is_moved_by_its_callbacks_to_completion(
    carriers: Carriers, sandbox: SandboxServer
) -> None:
    account = await carriers.account(sandbox)
    task = await carriers.task()
    job = await carriers.book(task, account, request_id="book-1")
    again = await carriers.book(task, account, request_id="book-1")
    assert again.name == job.name
    assert len(sandbox.book.deliveries()) == 1
    assert job.status == S.CARRIER_JOB_STATUS_PENDING
    assert job.quoted_price.amount > 0
    assert job.quoted_price.currency_code == "KES"
    assert await carriers.state(task) == T.STATE_ASSIGNED

    sandbox.advance(job.carrier_ref, "at_pickup")

    async def at(state: int) -> bool:
        return await carriers.state(task) == state

    await eventually(lambda: at(T.STATE_ARRIVED))
    sandbox.advance(job.carrier_ref, "delivered")
    await eventually(lambda: at(T.STATE_COMPLETED))
    done = await carriers.job(job.name)
    assert done.status == S.CARRIER_JOB_STATUS_DELIVERED
    assert done.final_price.amount == job.quoted_price.amount
    assert done.courier.display_name
    assert [e.carrier_status for e in done.history][1:] == [
        "pending",
        "courier_assigned",
        "pickup_enroute",
        "at_pickup",
        "picked_up",
        "dropoff_enroute",
        "at_dropoff",
        "delivered",
    ]
    listed = await carriers.stub.ListCarrierJobs(
        carrier_pb2.ListCarrierJobsRequest(parent=task.name), metadata=carriers.admin
    )
    assert [j.name for j in listed.carrier_jobs] == [job.name]


async def test_a_forged_a_stale_and_a_replayed_callback_change_nothing(
    carriers: Carriers, sandbox: SandboxServer, lenient: Listeners
) -> None:
    account = await carriers.account(sandbox)
    task = await carriers.task()
    job = await carriers.book(task, account)
    url = f"{lenient.http_url}/v1/{account.name}/callbacks"
    secret = sandbox.config.signing_secret

    def callback(status: str, event_id: str, at: int | None = None) -> tuple[bytes, dict[str, str]]:
        delivery = {**sandbox.book.get(job.carrier_ref).view(), "status": status}
        body = json.dumps(
            {
                "id": event_id,
                "seq": 99,
                "occurred_at": "2026-12-03T12:00:00+00:00",
                "delivery": delivery,
            }
        ).encode()
        return body, sign([secret], event_id, at or int(time.time()), body)

    async with httpx.AsyncClient() as client:
        body, signed = callback("pickup_enroute", "evt_first")
        first = await client.post(url, content=body, headers=signed)
        assert (first.status_code, first.json()) == (200, {"applied": True})
        assert await carriers.state(task) == T.STATE_EN_ROUTE

        replayed = await client.post(url, content=body, headers=signed)
        assert (replayed.status_code, replayed.json()) == (200, {"applied": False})

        forged_body = body.replace(b"pickup_enroute", b"delivered")
        forged = await client.post(url, content=forged_body, headers=signed)
        assert forged.status_code == 401

        old_body, old = callback("delivered", "evt_old", at=int(time.time()) - 3600)
        stale = await client.post(url, content=old_body, headers=old)
        assert stale.status_code == 401

        late_body, late = callback("courier_assigned", "evt_late")
        behind = await client.post(url, content=late_body, headers=late)
        assert (behind.status_code, behind.json()) == (200, {"applied": False})

    assert await carriers.state(task) == T.STATE_EN_ROUTE
    history = (await carriers.job(job.name)).history
    # Besides the booking's own status and the sandbox's "pending" callback (behind the job
    # by the time it lands, so kept unapplied): the first once, the late one kept unapplied.
    ours = [(e.event_id, e.applied) for e in history if e.event_id in ("evt_first", "evt_late")]
    assert ours == [("evt_first", True), ("evt_late", False)]
    assert all(not e.applied for e in history if e.event_id.startswith("evt_") and e.status == 1)


async def test_a_carrier_failure_fails_the_task_with_its_reason(
    carriers: Carriers, sandbox: SandboxServer, owner: object
) -> None:
    account = await carriers.account(sandbox)
    task = await carriers.task()
    job = await carriers.book(task, account)
    sandbox.advance(job.carrier_ref, "picked_up")
    sandbox.advance(job.carrier_ref, "failed", "recipient not home")

    async def failed() -> bool:
        return await carriers.state(task) == T.STATE_FAILED

    await eventually(failed)
    found = await carriers.job(job.name)
    assert found.failure_reason == "recipient not home"
    row = await owner.fetchrow(  # type: ignore[attr-defined]
        "SELECT data FROM outbox WHERE event_type = 'carrier.failure' AND data->>'task' = $1",
        task.name,
    )
    assert row is not None
    assert "recipient not home" in json.dumps(row["data"])


async def tender(carriers: Carriers, task: T) -> carrier_pb2.CarrierJob:
    return await carriers.stub.CreateCarrierJob(
        carrier_pb2.CreateCarrierJobRequest(
            parent=task.name, strategy=carrier_pb2.TENDER_STRATEGY_CHEAPEST
        ),
        metadata=carriers.admin,
    )


async def test_a_tender_books_the_cheapest_and_passes_over_a_failing_carrier_whose_breaker_opens(
    carriers: Carriers,
) -> None:
    async with (
        SandboxServer(SandboxConfig(seed=1, base_fee=30_000)) as dear,
        SandboxServer(SandboxConfig(seed=2, base_fee=10_000)) as cheap,
        SandboxServer(SandboxConfig(seed=3, base_fee=1_000, failure_rate=1.0)) as broken,
    ):
        await carriers.account(dear)
        cheap_account = await carriers.account(cheap)
        await carriers.account(broken)
        booked = []
        for _ in range(3):
            task = await carriers.task()
            job = await tender(carriers, task)
            assert job.carrier_account == cheap_account.name
            assert await carriers.state(task) == T.STATE_ASSIGNED
            booked.append(job)
        assert len(cheap.book.deliveries()) == 3
        assert dear.book.deliveries() == []
        # 3 attempts for the first task, then the fifth failure in a row opened the circuit
        # during the second: the third task's tender did not call the broken carrier at all.
        assert broken.book.calls == 5


async def test_a_tender_no_carrier_takes_sends_the_task_to_manual_dispatch(
    carriers: Carriers, owner: object
) -> None:
    async with SandboxServer(SandboxConfig(seed=4, decline_rate=1.0)) as declining:
        await carriers.account(declining)
        task = await carriers.task()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await tender(carriers, task)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert details(refused.value)[0] == "NO_CARRIER"
    found = await carriers.tasks.GetTask(
        task_pb2.GetTaskRequest(name=task.name), metadata=carriers.admin
    )
    assert (found.state, found.manual_dispatch) == (T.STATE_CREATED, True)
    failures = await owner.fetch(  # type: ignore[attr-defined]
        "SELECT data FROM outbox WHERE event_type = 'carrier.failure' AND data->>'task' = $1",
        task.name,
    )
    assert len(failures) == 1
    assert "no courier" in json.loads(failures[0]["data"])["reason"]


@pytest.fixture
async def working(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    """As ``lenient``, with the worker's timers running: flows take their first steps."""
    async with server_in_process(
        server_urls, run_timers=True, LOGISTICS_ALLOW_PRIVATE_TARGETS="true"
    ) as running:
        yield running


async def test_a_return_leg_a_carrier_delivers_completes_its_flow(
    working: Listeners, sandbox: SandboxServer, tenant: str, store: Store, database: Database
) -> None:
    """A carrier's callbacks move a task as a rider's actions would: the flow waiting for the
    task hears of its end in the same transaction."""
    async with grpc.aio.insecure_channel(working.grpc_target) as channel:
        api, carriers = Api(channel, tenant, store, database), Carriers(channel, tenant)
        order = await api.create(pickup(), drop_off())
        await api.assign(order.name, await api.rider())
        await api.start(order.name)
        await api.arrive(order.name, "0")
        await api.complete(order.name, "0")
        await api.arrive(order.name, "1")
        failed = await api.tasks.FailTask(
            task_pb2.FailTaskRequest(
                name=order.name,
                reason="refused at the door",
                reason_code=flow_pb2.FAILED_DELIVERY_REASON_REFUSED,
            ),
            metadata=api.md,
        )
        assert failed.flow

        async def return_leg() -> T | None:
            listed = await api.tasks.ListTasks(
                task_pb2.ListTasksRequest(parent=api.parent, origin_task=order.name),
                metadata=api.md,
            )
            return listed.tasks[0] if listed.tasks else None

        leg = await eventually(return_leg, within=30)
        assert leg.kind == T.KIND_RETURN
        job = await carriers.book(leg, await carriers.account(sandbox))
        sandbox.advance(job.carrier_ref, "delivered")
        flows = flow_pb2_grpc.FlowServiceStub(channel)

        async def flow_completed() -> bool:
            flow = await flows.GetFlow(flow_pb2.GetFlowRequest(name=failed.flow), metadata=api.md)
            return flow.state == flow_pb2.Flow.STATE_COMPLETED

        await eventually(flow_completed, within=30)
        assert await carriers.state(leg) == T.STATE_COMPLETED
