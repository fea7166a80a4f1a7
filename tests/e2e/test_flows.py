"""Durable flows end to end, through real server and worker processes killed (SIGKILL) and
started again in the middle of a flow: a failed drop-off re-attempted until the attempts run
out, then returned to origin, each step of the flow taken exactly once, visible through
GetFlow, ListFlows, the tasks' trails and the outbox."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import flow_pb2, flow_pb2_grpc, task_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer, ServerUrls, server_env, start_server, stop_server
from tests.support.tasks import Api, T, drop_off, pickup

# Server and worker processes are started several times: more than the default 120 s under load.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

F = flow_pb2.Flow
ABSENT = flow_pb2.FAILED_DELIVERY_REASON_CUSTOMER_ABSENT


class Service:
    """A ``logistics serve`` and, when asked, a ``logistics worker`` (which fires the
    flows' timers), each killed without warning and started again at will."""

    def __init__(self, urls: ServerUrls, logs: Path, tenant: str, store: Store, db: Database):
        self.urls, self.logs = urls, logs
        self.tenant, self.store, self.db = tenant, store, db
        self.server: RunningServer | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.channel: grpc.aio.Channel | None = None
        self.api: Api
        self.flows: flow_pb2_grpc.FlowServiceStub
        self.starts = 0

    async def start(self, *, worker: bool) -> None:
        """The server, ready; the worker, running (its timer loop started)."""
        self.starts += 1
        self.server = await start_server(self.urls, self.logs)
        self.channel = grpc.aio.insecure_channel(self.server.grpc_target)
        self.api = Api(self.channel, self.tenant, self.store, self.db)
        self.flows = flow_pb2_grpc.FlowServiceStub(self.channel)
        if worker:
            await self.start_worker()

    async def start_worker(self) -> None:
        """``logistics worker``, returned once it says it runs (a loaded machine may take
        tens of seconds to import it)."""
        env = server_env(self.urls, 0, 0, LOGISTICS_TIMER_INTERVAL_SECONDS="0.1")
        self.starts += 1
        path = self.logs / f"worker-{self.starts}.log"
        with path.open("wb") as log:
            # Popen only forks and execs, as start_server's does.
            self.worker = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, "-m", "logistics.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while b"worker running" not in path.read_bytes():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker not running: {path.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.kill()
            self.worker.wait()
        self.worker = None

    async def kill(self) -> None:
        """SIGKILL to both processes: no drain, no goodbye."""
        self.kill_worker()
        if self.channel is not None:
            await self.channel.close()
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait()
        self.server = None

    async def stop(self) -> None:
        self.kill_worker()
        if self.channel is not None:
            await self.channel.close()
        if self.server is not None:
            stop_server(self.server)

    async def flow(self, name: str) -> flow_pb2.Flow:
        return await self.flows.GetFlow(flow_pb2.GetFlowRequest(name=name), metadata=self.api.md)

    async def flow_when(
        self, name: str, ready: Callable[[flow_pb2.Flow], bool], within: float = 30.0
    ) -> flow_pb2.Flow:
        deadline = time.monotonic() + within
        while True:
            flow = await self.flow(name)
            if ready(flow) or time.monotonic() > deadline:
                return flow
            await asyncio.sleep(0.1)

    async def failed_drop(self, task: str) -> task_pb2.Task:
        """``task`` taken by a new rider to its drop-off, failed there: nobody home."""
        rider = await self.api.rider()
        await self.api.assign(task, rider)
        await self.api.start(task)
        await self.api.arrive(task, "0")
        await self.api.complete(task, "0")
        await self.api.arrive(task, "1")
        request = task_pb2.FailTaskRequest(name=task, reason="nobody home", reason_code=ABSENT)
        failed: task_pb2.Task = await self.api.tasks.FailTask(request, metadata=self.api.md)
        return failed

    async def delivered(self, task: str) -> None:
        rider = await self.api.rider()
        await self.api.assign(task, rider)
        await self.api.start(task)
        for step in (await self.api.get(task)).steps:
            await self.api.arrive(task, step.id)
            await self.api.complete(task, step.id)


@pytest.fixture
async def service(
    server_urls: ServerUrls, tmp_path: Path, store: Store, database: Database
) -> AsyncIterator[Service]:
    running = Service(server_urls, tmp_path, unique_tenant(), store, database)
    try:
        yield running
    finally:
        await running.stop()


def names(flow: flow_pb2.Flow) -> list[str]:
    return [s.name for s in flow.steps]


async def outbox_flow_events(service: Service, flow: str) -> list[tuple[str, Any]]:
    rows = await service.api.sql(
        """SELECT event_type, data FROM outbox WHERE data->>'name' = $1 ORDER BY seq""", flow
    )
    return [
        (r["event_type"], r["data"]["step"]["name"] if r["data"].get("step") else "") for r in rows
    ]


async def test_a_failed_drop_survives_kills_and_each_step_happens_once(service: Service) -> None:
    # 1. A server without a worker: the drop-off fails, the flow starts and waits for its timer.
    await service.start(worker=False)
    task = await service.api.create(pickup(), drop_off(), order_id=f"o-{uuid.uuid4()}")
    failed = await service.failed_drop(task.name)
    assert failed.state == T.STATE_FAILED
    assert failed.flow.startswith(f"{service.api.parent}/flows/")
    assert failed.attempt == 1
    flow = await service.flow(failed.flow)
    assert (flow.state, flow.kind, list(flow.steps)) == (
        F.STATE_RUNNING,
        F.KIND_FAILED_DELIVERY,
        [],
    )
    assert flow.context["reason"] == "customer_absent"

    # 2. Killed before any step; started again with a worker, which takes the first steps.
    await service.kill()
    await service.start(worker=True)
    flow = await service.flow_when(failed.flow, lambda f: len(f.steps) >= 2)
    assert names(flow) == ["take_over", "open_reattempt"]
    second = await service.api.get(flow.waiting_on)
    assert (second.attempt, second.flow, second.state) == (2, failed.flow, T.STATE_CREATED)

    # 3. The worker killed and started again: the flow's timer has fired; nothing repeats.
    service.kill_worker()
    await service.start_worker()
    await asyncio.sleep(1.5)  # its timer loop ticks every 0.1 s
    assert names(await service.flow(failed.flow)) == ["take_over", "open_reattempt"]

    # 4. The re-attempt fails too: the next one is opened in FailTask's own transaction;
    #    the third fails, and with the attempts gone the goods go back to origin.
    await service.failed_drop(second.name)
    flow = await service.flow(failed.flow)
    assert names(flow)[-2:] == ["leg_failed", "open_reattempt"]
    third = await service.api.get(flow.waiting_on)
    assert third.attempt == 3
    await service.failed_drop(third.name)
    flow = await service.flow(failed.flow)
    back = await service.api.get(flow.waiting_on)
    assert back.kind == T.KIND_RETURN
    assert back.flow == failed.flow
    assert [(s.location.latitude, s.kind) for s in back.steps] == [
        (task.steps[1].location.latitude, task_pb2.TaskStep.KIND_PICKUP),
        (task.steps[0].location.latitude, task_pb2.TaskStep.KIND_DROP_OFF),
    ]

    # 5. Everything killed again while the return is under way; the return is delivered
    #    through the restarted server.
    await service.kill()
    await service.start(worker=False)
    await service.delivered(back.name)
    flow = await service.flow(failed.flow)
    assert flow.state == F.STATE_COMPLETED
    assert not flow.waiting_on
    expected = [
        "take_over",
        "open_reattempt",
        "leg_failed",
        "open_reattempt",
        "leg_failed",
        "open_return",
        "leg_completed",
    ]
    assert names(flow) == expected
    assert [s.seq for s in flow.steps] == list(range(1, 8))

    # Each step once: in the outbox, in the order's tasks, in the trails.
    assert await outbox_flow_events(service, failed.flow) == [
        ("flow.started", ""),
        *(("flow.step_completed", n) for n in expected),
        ("flow.completed", ""),
    ]
    order = await service.api.listed(order_id=task.order_id)
    assert sorted(order) == sorted([task.name, second.name, third.name, back.name])
    assert list(flow.tasks) == [task.name, second.name, third.name, back.name]
    trail = await service.api.events(task.name)
    assert [e.reason.split(":")[0] for e in trail if e.type == "flow_step"] == expected
    assert {e.flow for e in trail if e.type == "flow_step"} == {failed.flow}

    listed = await service.flows.ListFlows(
        flow_pb2.ListFlowsRequest(parent=service.api.parent, task=third.name),
        metadata=service.api.md,
    )
    assert [f.name for f in listed.flows] == [failed.flow]
    running = await service.flows.ListFlows(
        flow_pb2.ListFlowsRequest(parent=service.api.parent, state=F.STATE_RUNNING),
        metadata=service.api.md,
    )
    assert list(running.flows) == []


async def test_flows_are_read_by_name_and_bad_requests_are_refused(
    grpc_channel: grpc.aio.Channel, store: Store, database: Database
) -> None:
    api = Api(grpc_channel, unique_tenant(), store, database)
    flows = flow_pb2_grpc.FlowServiceStub(grpc_channel)
    missing = f"{api.parent}/flows/{uuid.uuid4()}"
    await fails(
        flows.GetFlow(flow_pb2.GetFlowRequest(name=missing), metadata=api.md),
        grpc.StatusCode.NOT_FOUND,
    )
    await fails(
        flows.GetFlow(flow_pb2.GetFlowRequest(name="flows/x"), metadata=api.md),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    other = f"tenants/{unique_tenant()}/tasks/{uuid.uuid4()}"
    await fails(
        flows.ListFlows(flow_pb2.ListFlowsRequest(parent=api.parent, task=other), metadata=api.md),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await fails(
        flows.ListFlows(flow_pb2.ListFlowsRequest(parent=api.parent, state=99), metadata=api.md),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    elsewhere = f"tenants/{unique_tenant()}/flows/{uuid.uuid4()}"
    await fails(
        flows.GetFlow(flow_pb2.GetFlowRequest(name=elsewhere), metadata=api.md),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    empty = await flows.ListFlows(flow_pb2.ListFlowsRequest(parent=api.parent), metadata=api.md)
    assert list(empty.flows) == []
    # FailTask refuses a reason code it does not know, and fails nothing.
    task, _ = await api.at("1", pickup(), drop_off())
    request = task_pb2.FailTaskRequest(name=task.name, reason="x", reason_code=42)
    await fails(api.tasks.FailTask(request, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT)
    assert (await api.get(task.name)).state == T.STATE_ARRIVED


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
P = flow_pb2.FailedDeliveryPolicy


async def test_a_refused_drop_becomes_a_return_delivered_back_with_the_evidence_kept(
    service: Service,
) -> None:
    await service.start(worker=True)
    api, flows = service.api, service.flows
    policy_name = f"{api.parent}/failedDeliveryPolicy"
    policy = await flows.GetFailedDeliveryPolicy(
        flow_pb2.GetFailedDeliveryPolicyRequest(name=policy_name), metadata=api.md
    )
    refused = next(r for r in policy.rules if r.reason == flow_pb2.FAILED_DELIVERY_REASON_REFUSED)
    assert refused.action == P.ACTION_RETURN_TO_ORIGIN
    # An admin makes an absent customer worth two attempts only; the etag guards the change.
    rule = P.Rule(
        reason=ABSENT, action=P.ACTION_REATTEMPT, max_attempts=2, fallback=P.ACTION_RETURN_TO_ORIGIN
    )
    updated = await flows.UpdateFailedDeliveryPolicy(
        flow_pb2.UpdateFailedDeliveryPolicyRequest(
            policy=P(name=policy_name, rules=[rule], etag=policy.etag)
        ),
        metadata=api.md,
    )
    assert updated.etag != policy.etag
    assert len(updated.rules) == 6
    await fails(
        flows.UpdateFailedDeliveryPolicy(
            flow_pb2.UpdateFailedDeliveryPolicyRequest(
                policy=P(name=policy_name, rules=[rule], etag=policy.etag)
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ABORTED,
    )
    await fails(
        flows.UpdateFailedDeliveryPolicy(
            flow_pb2.UpdateFailedDeliveryPolicyRequest(
                policy=P(
                    name=policy_name, rules=[P.Rule(reason=ABSENT, action=P.ACTION_HOLD_AT_HUB)]
                )
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )

    task = await api.create(pickup(), drop_off(), order_id=f"o-{uuid.uuid4()}")
    rider = await api.rider()
    await api.assign(task.name, rider)
    rider_md = api.rider_md(rider)
    await api.start(task.name, md=rider_md)
    await api.arrive(task.name, "0", md=rider_md)
    await api.complete(task.name, "0", md=rider_md)
    await api.arrive(task.name, "1", md=rider_md)
    door = task_pb2.Proof(kind=task_pb2.TaskStep.PROOF_KIND_PHOTO, content=PNG)
    where = task.steps[1].location
    failed = await api.tasks.FailTask(
        task_pb2.FailTaskRequest(
            name=task.name,
            reason="refused: wrong size",
            location=where,
            reason_code=flow_pb2.FAILED_DELIVERY_REASON_REFUSED,
            evidence=[door],
        ),
        metadata=rider_md,
    )
    assert failed.flow
    proofs = await api.proofs(task.name)
    assert [(p.step_id, p.kind, p.content_type) for p in proofs] == [
        ("1", task_pb2.TaskStep.PROOF_KIND_PHOTO, "image/png")
    ]
    assert proofs[0].location == where
    assert proofs[0].HasField("capture_time")

    flow = await service.flow_when(failed.flow, lambda f: len(f.steps) >= 2)
    assert names(flow) == ["take_over", "open_return"]
    back = await api.get(flow.waiting_on)
    assert back.kind == T.KIND_RETURN
    assert (back.origin_task, back.purpose, back.flow) == (
        task.name,
        task_pb2.TASK_PURPOSE_FAILED_DELIVERY,
        failed.flow,
    )
    assert [i.sku for i in back.items] == [i.sku for i in task.items]
    assert "return_created" in [e.type for e in await api.events(task.name)]
    await service.delivered(back.name)
    flow = await service.flow(failed.flow)
    assert flow.state == F.STATE_COMPLETED
    assert names(flow) == ["take_over", "open_return", "leg_completed"]
    assert [e for e, _ in await outbox_flow_events(service, failed.flow)] == [
        "flow.started",
        "flow.step_completed",
        "flow.step_completed",
        "flow.step_completed",
        "flow.completed",
    ]
