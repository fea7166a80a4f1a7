"""AutoDispatch end to end: offers over real rider streams, answers, timeouts, manual dispatch;
and no double assignment under 1,000 concurrent dispatches."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import field_mask_pb2

from tests.support.auth import auth, rider_auth, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

Auto = dispatch_pb2.AutoDispatchResponse


@pytest.fixture(scope="module")
async def fast_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls,
        LOGISTICS_OFFER_TIMEOUT_SECONDS="1.5",
        LOGISTICS_DISPATCH_CANDIDATES="3",
        LOGISTICS_MAX_ACTIVE_TASKS="1",
    ) as running:
        yield running


@pytest.fixture
async def channel(fast_server: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(fast_server.grpc_target) as ch:
        yield ch


@dataclass
class RiderApp:
    """A rider's stream that answers every offer it gets as told."""

    name: str
    call: grpc.aio.StreamStreamCall  # type: ignore[type-arg]
    accept: bool
    offers: list[str]

    async def run(self) -> None:
        async for reply in self.call:
            if reply.HasField("offer"):
                self.offers.append(reply.offer.task)
                await self.call.write(
                    telemetry_pb2.StreamLocationsRequest(
                        offer_response=telemetry_pb2.OfferResponse(
                            offer_id=reply.offer.offer_id, accept=self.accept
                        )
                    )
                )


async def app(channel: grpc.aio.Channel, tenant: str, rider: str, accept: bool) -> RiderApp:
    rider_id = rider.rsplit("/", 1)[1]
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
        metadata=rider_auth(tenant, rider_id)
    )
    return RiderApp(rider, call, accept, [])


async def new_task(channel: grpc.aio.Channel, tenant: str) -> str:
    task = await task_pb2_grpc.TaskServiceStub(channel).CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}",
            task=task_pb2.Task(
                kind=task_pb2.Task.KIND_DELIVERY,
                steps=[
                    task_pb2.TaskStep(
                        kind=task_pb2.TaskStep.KIND_PICKUP,
                        location=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
                    )
                ],
            ),
        ),
        metadata=auth(tenant),
    )
    return task.name


async def test_the_nearest_rider_that_accepts_gets_the_task(channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    near = await rider_online(channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    far = await rider_online(channel, tenant, CENTRE[0] + 0.004, CENTRE[1], 2, 10)
    declining, accepting = (
        await app(channel, tenant, near, False),
        await app(channel, tenant, far, True),
    )
    listeners = [asyncio.create_task(a.run()) for a in (declining, accepting)]
    await asyncio.sleep(0.3)  # both streams are open and subscribed
    task = await new_task(channel, tenant)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
    result = await dispatch.AutoDispatch(
        dispatch_pb2.AutoDispatchRequest(task=task), metadata=auth(tenant)
    )
    assert (result.outcome, result.rider) == (Auto.OUTCOME_ASSIGNED, far)
    assert declining.offers == [task]  # offered first, declined
    assert accepting.offers == [task]
    got = await task_pb2_grpc.TaskServiceStub(channel).GetTask(
        task_pb2.GetTaskRequest(name=task), metadata=auth(tenant)
    )
    assert (got.state, got.rider) == (task_pb2.Task.STATE_ASSIGNED, far)
    for call in (declining.call, accepting.call):
        call.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)


async def test_when_no_one_answers_the_task_goes_to_manual_dispatch(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    rider = await rider_online(channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    silent = await app(channel, tenant, rider, True)
    offers: list[str] = []

    async def ignore() -> None:
        async for reply in silent.call:
            if reply.HasField("offer"):
                offers.append(reply.offer.offer_id)

    listener = asyncio.create_task(ignore())
    await asyncio.sleep(0.3)
    task = await new_task(channel, tenant)
    result = await dispatch_pb2_grpc.DispatchServiceStub(channel).AutoDispatch(
        dispatch_pb2.AutoDispatchRequest(task=task), metadata=auth(tenant)
    )
    assert result.outcome == Auto.OUTCOME_MANUAL
    assert len(offers) == 2  # the first radius, then the wider one
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    got = await tasks.GetTask(task_pb2.GetTaskRequest(name=task), metadata=auth(tenant))
    assert got.state == task_pb2.Task.STATE_CREATED
    assert got.manual_dispatch
    events = await tasks.ListTaskEvents(
        task_pb2.ListTaskEventsRequest(parent=task), metadata=auth(tenant)
    )
    assert [e.type for e in events.events] == ["created", "dispatch_widened", "manual_dispatch"]
    # An answer after the offer closed is refused, and changes nothing.
    rider_id = rider.rsplit("/", 1)[1]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await dispatch_pb2_grpc.DispatchServiceStub(channel).RespondToOffer(
            dispatch_pb2.RespondToOfferRequest(offer_id=offers[0], accept=True),
            metadata=rider_auth(tenant, rider_id),
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    silent.call.cancel()
    await asyncio.gather(listener, return_exceptions=True)


async def test_a_thousand_concurrent_assignments_never_double_assign(
    channel: grpc.aio.Channel,
) -> None:
    """Real concurrent clients: 1,000 AssignTask calls over 40 tasks and 25 riders (each rider
    may hold one active task). Every task ends with at most one rider, every rider with at most
    one task, and every success is reflected in the database."""
    tenant = unique_tenant()
    riders = [
        await rider_online(channel, tenant, CENTRE[0] + i * 0.0005, CENTRE[1], 2, 10)
        for i in range(25)
    ]
    tasks = [await new_task(channel, tenant) for _ in range(40)]
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
    rnd = random.Random(7)
    pairs = [(rnd.choice(tasks), rnd.choice(riders)) for _ in range(1000)]

    refusals: list[grpc.StatusCode] = []

    async def attempt(task: str, rider: str) -> tuple[str, str] | None:
        try:
            await dispatch.AssignTask(
                dispatch_pb2.AssignTaskRequest(task=task, rider=rider, reason="race"),
                metadata=auth(tenant),
            )
        except grpc.aio.AioRpcError as error:
            refusals.append(error.code())
            return None
        return task, rider

    results = await asyncio.gather(*(attempt(t, r) for t, r in pairs))
    assert any(results)
    assert set(refusals) <= {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED}
    service = task_pb2_grpc.TaskServiceStub(channel)
    holders: dict[str, list[str]] = {}
    for task in tasks:
        got = await service.GetTask(task_pb2.GetTaskRequest(name=task), metadata=auth(tenant))
        if got.rider:
            holders.setdefault(got.rider, []).append(task)
    assert all(len(held) == 1 for held in holders.values())
    assert set(holders) <= set(riders)
    assert holders  # the race produced assignments


async def test_an_order_not_ready_yet_is_offered_first_to_the_rider_arriving_about_then(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    near = await rider_online(channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    timed = await rider_online(channel, tenant, CENTRE[0] + 0.02, CENTRE[1], 2, 10)
    apps = [await app(channel, tenant, near, True), await app(channel, tenant, timed, True)]
    listeners = [asyncio.create_task(a.run()) for a in apps]
    await asyncio.sleep(0.3)
    task = await new_task(channel, tenant)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
    found = await dispatch.FindNearestRiders(
        dispatch_pb2.FindNearestRidersRequest(parent=f"tenants/{tenant}", task=task, max_riders=2),
        metadata=auth(tenant),
    )
    assert [r.rider for r in found.riders] == [near, timed]  # by score: the nearest first
    # The kitchen expects the order ready when the farther rider would get there.
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    current = await tasks.GetTask(task_pb2.GetTaskRequest(name=task), metadata=auth(tenant))
    ready = datetime.now(UTC) + found.riders[1].eta.ToTimedelta()
    current.ready_time.FromDatetime(ready)
    await tasks.UpdateTask(
        task_pb2.UpdateTaskRequest(
            task=current, update_mask=field_mask_pb2.FieldMask(paths=["ready_time"])
        ),
        metadata=auth(tenant),
    )
    result = await dispatch.AutoDispatch(
        dispatch_pb2.AutoDispatchRequest(task=task), metadata=auth(tenant)
    )
    assert (result.outcome, result.rider) == (Auto.OUTCOME_ASSIGNED, timed)
    assert [a.offers for a in apps] == [[], [task]]
    for a in apps:
        a.call.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
