"""Presence across replicas: two server processes share Redis and PostgreSQL and both sweep
for silent riders; a rider that stops is announced offline once, and online again once when
its pings resume on the other process."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest

from tests.support.private_redis import PrivateRedis
from tests.support.servers import RunningServer, ServerUrls, start_server, stop_server
from tests.support.telemetry import Stream, events, new_rider, pings
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

OFFLINE_S = 1.0


@pytest.fixture(scope="module")
async def replicas(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[RunningServer, RunningServer]]:
    """Two servers on a Redis of their own (so their sweeps touch no other test's riders)."""
    redis = PrivateRedis(tmp_path_factory.mktemp("presence-redis"))
    await redis.start()
    urls = dataclasses.replace(server_urls, redis_url=redis.url)
    logs = tmp_path_factory.mktemp("presence")
    settings = {
        "LOGISTICS_RIDER_OFFLINE_SECONDS": str(OFFLINE_S),
        "LOGISTICS_RIDER_STALE_SECONDS": str(OFFLINE_S),
    }
    started: list[RunningServer] = []
    try:
        for result in await asyncio.gather(
            start_server(urls, logs, **settings),
            start_server(urls, logs, **settings),
            return_exceptions=True,
        ):
            if isinstance(result, BaseException):
                raise result
            started.append(result)
        yield started[0], started[1]
    finally:
        for running in started:
            stop_server(running)
        redis.kill()


async def test_a_silent_rider_goes_offline_once_and_online_once_when_it_streams_again(
    replicas: tuple[RunningServer, RunningServer], owner: asyncpg.Connection
) -> None:
    one, other = replicas
    async with (
        grpc.aio.insecure_channel(one.grpc_target) as to_one,
        grpc.aio.insecure_channel(other.grpc_target) as to_other,
    ):
        rider = await new_rider(to_one)

        async def count(event: str) -> int:
            return len(await events(owner, rider.tenant, event))

        async def offline_count_is(n: int) -> bool:
            return await count("rider.offline") == n

        stream = Stream(to_one, rider.app)
        assert (await stream.send(*pings(1, 2))).contiguous_sequence == 2
        await stream.close()
        assert await count("rider.online") == 1

        # Both processes sweep every quarter of a second; only one may announce it.
        assert await eventually(lambda: offline_count_is(1), within=5.0)
        await asyncio.sleep(1.5 * OFFLINE_S)
        offline = await events(owner, rider.tenant, "rider.offline")
        assert [e["rider"] for e in offline] == [rider.name]

        again = Stream(to_other, rider.app)
        assert (await again.send(*pings(3))).contiguous_sequence == 3
        assert (await again.send(*pings(4))).contiguous_sequence == 4
        await again.close()
        online = await events(owner, rider.tenant, "rider.online")
        assert [e["rider"] for e in online] == [rider.name, rider.name]
