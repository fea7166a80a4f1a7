"""Server streams end cleanly when the server starts draining (Edge.until_drained)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from logistics.api.auth import Authenticator
from logistics.api.edge import Edge, RpcMetrics

SECRET = "drain-test-secret-" + "d" * 32


def make_edge() -> Edge:
    return Edge(Authenticator(secret=SECRET), RpcMetrics(CollectorRegistry()))


class Source:
    """An endless or finite stream that records whether its ``finally`` ran."""

    def __init__(self, limit: int | None = None, pause_s: float = 0.001) -> None:
        self.limit = limit
        self.pause_s = pause_s
        self.produced = 0
        self.closed = False

    async def stream(self) -> AsyncIterator[int]:
        try:
            for i in itertools.count() if self.limit is None else range(self.limit):
                if self.pause_s:
                    await asyncio.sleep(self.pause_s)
                self.produced += 1
                yield i
        finally:
            self.closed = True


async def test_endless_stream_ends_cleanly_when_draining_starts_and_its_source_is_closed() -> None:
    edge = make_edge()
    source = Source()
    received: list[int] = []

    async def consume() -> None:
        async for item in edge.until_drained(source.stream()):
            received.append(item)
            if len(received) == 5:
                edge.draining.set()

    await asyncio.wait_for(consume(), timeout=5)

    assert received == [0, 1, 2, 3, 4]
    assert source.closed


async def test_draining_set_while_waiting_for_the_next_item_ends_the_stream() -> None:
    edge = make_edge()
    source = Source(pause_s=3600)  # the next item would take an hour

    async def drain_soon() -> None:
        await asyncio.sleep(0.02)
        edge.draining.set()

    drainer = asyncio.create_task(drain_soon())
    received = [item async for item in edge.until_drained(source.stream())]
    await drainer

    assert received == []
    assert source.closed


async def test_finite_stream_ends_normally() -> None:
    edge = make_edge()
    source = Source(limit=4)

    received = [item async for item in edge.until_drained(source.stream())]

    assert received == [0, 1, 2, 3]
    assert source.closed
    assert not edge.draining.is_set()


async def test_error_in_the_stream_reaches_the_caller_and_the_source_is_closed() -> None:
    edge = make_edge()
    closed = False

    async def failing() -> AsyncIterator[int]:
        nonlocal closed
        try:
            yield 1
            raise RuntimeError("boom")
        finally:
            closed = True

    received: list[int] = []

    async def consume() -> None:
        async for item in edge.until_drained(failing()):
            received.append(item)

    with pytest.raises(RuntimeError, match="boom"):
        await consume()

    assert received == [1]
    assert closed


async def test_consumer_leaving_early_closes_the_source() -> None:
    edge = make_edge()
    source = Source()
    wrapper = edge.until_drained(source.stream())

    assert await anext(wrapper) == 0
    await wrapper.aclose()  # type: ignore[attr-defined]

    assert source.closed


async def test_nothing_is_yielded_when_already_draining() -> None:
    edge = make_edge()
    edge.draining.set()
    source = Source()

    received = [item async for item in edge.until_drained(source.stream())]

    assert received == []
    assert source.produced == 0


async def test_stream_with_items_always_ready_stops_soon_after_draining() -> None:
    edge = make_edge()
    source = Source(pause_s=0)
    received = 0

    wrapper = edge.until_drained(source.stream())
    async with contextlib.aclosing(wrapper) as stream:  # type: ignore[type-var]
        async for _ in stream:
            received += 1
            if received == 3:
                edge.draining.set()
            if received == 100:
                break

    assert received <= 4
