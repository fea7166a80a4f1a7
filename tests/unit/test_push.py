"""Pushed server streams: run on a call until they end or the server drains, or iterated
through a bounded buffer (api.push, Edge.run_until_drained)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from prometheus_client import CollectorRegistry

from logistics.api.auth import Authenticator
from logistics.api.edge import Edge, RpcMetrics
from logistics.api.push import PushStream, Send

SECRET = "push-test-secret-" + "p" * 32


def make_edge() -> Edge:
    return Edge(Authenticator(secret=SECRET), RpcMetrics(CollectorRegistry()))


class Source:
    """Sends ``limit`` numbers (endless with None), then raises ``error`` if given; records
    whether its ``finally`` ran."""

    def __init__(self, limit: int | None = None, error: Exception | None = None) -> None:
        self.limit = limit
        self.error = error
        self.sent = 0
        self.closed = False

    async def run(self, send: Send[int]) -> None:
        try:
            for i in itertools.count() if self.limit is None else range(self.limit):
                await send(i)
                self.sent += 1
                await asyncio.sleep(0)
            if self.error is not None:
                raise self.error
        finally:
            self.closed = True


async def test_a_pushed_stream_runs_on_the_call_until_it_ends() -> None:
    source, received = Source(limit=5), []

    async def send(item: int) -> None:
        received.append(item)

    await make_edge().run_until_drained(PushStream(source.run).run(send))
    assert received == [0, 1, 2, 3, 4]
    assert source.closed


async def test_a_pushed_stream_is_cancelled_when_draining_starts_and_the_call_ends_cleanly() -> (
    None
):
    edge, source, received = make_edge(), Source(), []

    async def send(item: int) -> None:
        received.append(item)
        if item == 10:
            edge.draining.set()

    await asyncio.wait_for(edge.run_until_drained(PushStream(source.run).run(send)), 5)
    assert source.closed
    assert 10 <= received[-1] < 20  # stopped soon after draining began


async def test_nothing_is_sent_when_already_draining() -> None:
    edge, source, received = make_edge(), Source(), []
    edge.draining.set()

    async def send(item: int) -> None:
        received.append(item)

    await edge.run_until_drained(PushStream(source.run).run(send))
    assert received == []


async def test_what_ended_a_pushed_stream_is_raised_on_the_call() -> None:
    source = Source(limit=2, error=ValueError("bad batch"))

    async def send(item: int) -> None:
        pass

    with pytest.raises(ValueError, match="bad batch"):
        await make_edge().run_until_drained(PushStream(source.run).run(send))


async def test_cancelling_the_call_cancels_the_pushed_stream() -> None:
    source = Source()

    async def send(item: int) -> None:
        await asyncio.sleep(0.001)

    call = asyncio.create_task(make_edge().run_until_drained(PushStream(source.run).run(send)))
    await asyncio.sleep(0.05)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert source.closed


async def test_iterated_it_yields_every_message_in_order_then_raises_what_ended_it() -> None:
    stream = PushStream(Source(limit=100, error=ValueError("limit")).run, buffer=8)
    received: list[int] = []

    async def read_all() -> None:
        async for item in stream:
            received.append(item)

    with pytest.raises(ValueError, match="limit"):
        await read_all()
    assert received == list(range(100))


async def test_iterated_the_sender_waits_once_the_buffer_is_full() -> None:
    source = Source()
    stream = PushStream(source.run, buffer=4)
    assert await anext(stream) == 0
    await asyncio.sleep(0.05)  # nobody reads: the source fills the buffer and waits
    assert source.sent <= 1 + 4
    await stream.aclose()
    await asyncio.sleep(0)
    assert source.closed
