"""Offline-safe answers to offers end to end, on the rider stream (gRPC) and RespondToOffer
(gRPC and Connect): a replay after reconnect gets the first outcome, even once the offer is
forgotten; an acceptance is answered once the task is the rider's, so the next buffered action
applies to it; a late acceptance is refused once and for good; a reused id or a device time
out of bounds is refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import redis.asyncio as aioredis
from bengobox.logistics.v1 import (
    dispatch_connect,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import timestamp_pb2

from tests.e2e.test_auto_dispatch import new_task
from tests.support.auth import auth, headers, rider_auth, unique_tenant
from tests.support.dispatch import CENTRE, rider_online
from tests.support.errors import fails
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

Auto = dispatch_pb2.AutoDispatchResponse
Request = telemetry_pb2.StreamLocationsRequest


@pytest.fixture(scope="module")
async def fast_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls, LOGISTICS_OFFER_TIMEOUT_SECONDS="1.5", LOGISTICS_DISPATCH_CANDIDATES="1"
    ) as running:
        yield running


@pytest.fixture
async def channel(fast_server: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(fast_server.grpc_target) as ch:
        yield ch


@dataclass
class Offered:
    tenant: str
    rider: str
    task: str
    offer: telemetry_pb2.TaskOffer
    call: Any  # the rider's stream
    dispatching: asyncio.Future[Any]

    @property
    def rider_md(self) -> Any:
        return rider_auth(self.tenant, self.rider.rsplit("/", 1)[1])


def at(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


def answer(offer_id: str, accept: bool, action_id: str, **fields: Any) -> Request:
    return Request(
        offer_response=telemetry_pb2.OfferResponse(
            offer_id=offer_id, accept=accept, action_id=action_id, **fields
        )
    )


async def stream(channel: grpc.aio.Channel, o: Offered) -> Any:
    return telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(metadata=o.rider_md)


async def next_of(call: Any, kind: str) -> Any:
    while True:
        reply = await asyncio.wait_for(call.read(), 10)
        if reply.HasField(kind):
            return getattr(reply, kind)


async def offered(channel: grpc.aio.Channel) -> Offered:
    """A rider online with its stream open, and AutoDispatch offering it a task."""
    tenant = unique_tenant()
    rider = await rider_online(channel, tenant, CENTRE[0] + 0.001, CENTRE[1], 2, 10)
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
        metadata=rider_auth(tenant, rider.rsplit("/", 1)[1])
    )
    await asyncio.sleep(0.3)  # the stream subscribes to the rider's inbox
    task = await new_task(channel, tenant)
    dispatching = asyncio.ensure_future(
        dispatch_pb2_grpc.DispatchServiceStub(channel).AutoDispatch(
            dispatch_pb2.AutoDispatchRequest(task=task), metadata=auth(tenant)
        )
    )
    offer = await next_of(call, "offer")
    return Offered(tenant, rider, task, offer, call, dispatching)


async def trail(channel: grpc.aio.Channel, o: Offered) -> list[str]:
    got = await task_pb2_grpc.TaskServiceStub(channel).ListTaskEvents(
        task_pb2.ListTaskEventsRequest(parent=o.task), metadata=auth(o.tenant)
    )
    return [e.type for e in got.events]


async def forget(server_urls: ServerUrls, o: Offered) -> None:
    """The live index loses the offer (it expires, or Redis is rebuilt)."""
    client = aioredis.from_url(server_urls.redis_url)
    try:
        assert await client.delete(f"lg:{{{o.tenant}}}:o:{o.offer.offer_id}") == 1
    finally:
        await client.aclose()


async def test_an_acceptance_on_the_stream_is_answered_once_assigned_and_replayed_alike(
    channel: grpc.aio.Channel, server_urls: ServerUrls
) -> None:
    o = await offered(channel)
    action_id = str(uuid.uuid4())
    occurred = at(datetime.now(UTC) - timedelta(seconds=1))
    await o.call.write(answer(o.offer.offer_id, True, action_id, occurred_time=occurred))

    result = await next_of(o.call, "offer_result")
    assert (result.offer_id, result.action_id, result.assigned) == (
        o.offer.offer_id,
        action_id,
        True,
    )
    assert not result.HasField("error")
    # The app's next buffered action, sent once the answer came, finds the task its own.
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    started = await tasks.StartTask(
        task_pb2.StartTaskRequest(name=o.task, action_id=str(uuid.uuid4())), metadata=o.rider_md
    )
    assert started.state == task_pb2.Task.STATE_EN_ROUTE
    assert (await o.dispatching).outcome == Auto.OUTCOME_ASSIGNED
    o.call.cancel()

    # Reconnected, the app resends the answer it had no reply to: the same outcome, nothing
    # applied twice, even once the live index has forgotten the offer.
    await forget(server_urls, o)
    again = await stream(channel, o)
    await again.write(answer(o.offer.offer_id, True, action_id, occurred_time=occurred))
    assert await next_of(again, "offer_result") == result
    again.cancel()
    assert await trail(channel, o) == ["created", "assigned", "en_route"]


async def test_a_declined_offer_replayed_over_connect_gets_the_same_answer(
    channel: grpc.aio.Channel, fast_server: Listeners, server_urls: ServerUrls
) -> None:
    o = await offered(channel)
    client = dispatch_connect.DispatchServiceClient(fast_server.http_url)
    rider_id = o.rider.rsplit("/", 1)[1]
    md = headers(o.tenant, ["logistics:telemetry"], rider_id=rider_id)
    decline = dispatch_pb2.RespondToOfferRequest(
        offer_id=o.offer.offer_id, accept=False, reason="too far", action_id=str(uuid.uuid4())
    )

    first = await client.respond_to_offer(decline, headers=md)
    assert not first.assigned
    await forget(server_urls, o)
    assert await client.respond_to_offer(decline, headers=md) == first
    # Without an id a retry finds nothing to answer.
    with pytest.raises(ConnectError) as unknown:
        await client.respond_to_offer(
            dispatch_pb2.RespondToOfferRequest(offer_id=o.offer.offer_id), headers=md
        )
    assert unknown.value.code == Code.NOT_FOUND
    # The same id for another answer is refused and changes nothing.
    changed = dispatch_pb2.RespondToOfferRequest()
    changed.CopyFrom(decline)
    changed.accept = True
    with pytest.raises(ConnectError) as reused:
        await client.respond_to_offer(changed, headers=md)
    assert reused.value.code == Code.ALREADY_EXISTS
    assert (await o.dispatching).outcome == Auto.OUTCOME_MANUAL
    o.call.cancel()
    assert "assigned" not in await trail(channel, o)


async def test_a_late_acceptance_is_refused_for_good_and_bad_stamps_are_refused(
    channel: grpc.aio.Channel, server_urls: ServerUrls
) -> None:
    o = await offered(channel)
    assert (await o.dispatching).outcome == Auto.OUTCOME_MANUAL  # nobody answered in time
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
    late = dispatch_pb2.RespondToOfferRequest(
        offer_id=o.offer.offer_id,
        accept=True,
        action_id=str(uuid.uuid4()),
        occurred_time=at(datetime.now(UTC) - timedelta(seconds=30)),  # made in time, offline
    )
    await fails(
        dispatch.RespondToOffer(late, metadata=o.rider_md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "OFFER_CLOSED",
    )
    await forget(server_urls, o)
    await fails(
        dispatch.RespondToOffer(late, metadata=o.rider_md),
        grpc.StatusCode.FAILED_PRECONDITION,
        "OFFER_CLOSED",
    )
    ahead = dispatch_pb2.RespondToOfferRequest(
        offer_id=o.offer.offer_id,
        accept=True,
        action_id=str(uuid.uuid4()),
        occurred_time=at(datetime.now(UTC) + timedelta(minutes=10)),
    )
    await fails(
        dispatch.RespondToOffer(ahead, metadata=o.rider_md), grpc.StatusCode.INVALID_ARGUMENT
    )
    bad_id = dispatch_pb2.RespondToOfferRequest(
        offer_id=o.offer.offer_id, accept=True, action_id="not-a-uuid"
    )
    await fails(
        dispatch.RespondToOffer(bad_id, metadata=o.rider_md), grpc.StatusCode.INVALID_ARGUMENT
    )
    # On the stream the refusal comes back as the result's error.
    await o.call.write(answer(o.offer.offer_id, True, late.action_id))
    result = await next_of(o.call, "offer_result")
    assert not result.assigned
    assert result.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    o.call.cancel()
    assert "assigned" not in await trail(channel, o)
