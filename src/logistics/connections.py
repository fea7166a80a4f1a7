"""Clients of PostgreSQL, Redis and NATS: opened once per process, closed once at its end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from nats.aio.client import Client as NatsClient
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from logistics.config import Settings
from logistics.store.db import Database

__all__ = [
    "REDIS_TIMEOUT_S",
    "Connections",
    "WorkerConnections",
    "nats_ready",
    "open_database",
    "open_nats",
    "open_redis",
]

logger = logging.getLogger(__name__)

# How long a Redis command, or a connection's set-up, may take. With the pool's three retries
# (each may also reconnect) a call meeting a hung Redis answers UNAVAILABLE within about ten
# seconds instead of waiting for it forever.
REDIS_TIMEOUT_S = 1.0


@dataclass
class Connections:
    """Clients of the three servers, as ``serve`` and ``dev`` use them."""

    db: Database
    redis: aioredis.Redis
    nats: NatsClient

    @classmethod
    async def open(cls, settings: Settings) -> Connections:
        settings.require_servers()
        db = await open_database(settings, min_size=settings.database_pool_min)
        return cls(db, open_redis(settings), await open_nats(settings))

    async def close(self) -> None:
        """Closes each client; one whose server is already gone does not stop the others."""
        await _close_each(
            ("nats", lambda: _close_nats(self.nats)),
            ("redis", self.redis.aclose),
            ("postgres", self.db.close),
        )


@dataclass
class WorkerConnections:
    """The worker's clients: PostgreSQL and Redis. Its outbox relay opens a NATS connection of
    its own when it first publishes, so NATS being down at start only delays events."""

    db: Database
    redis: aioredis.Redis

    @classmethod
    async def open(cls, settings: Settings) -> WorkerConnections:
        settings.require_servers()
        db = await open_database(settings, min_size=1)
        return cls(db, open_redis(settings))

    async def close(self) -> None:
        await _close_each(("redis", self.redis.aclose), ("postgres", self.db.close))


async def open_database(settings: Settings, *, min_size: int) -> Database:
    assert settings.database_url is not None
    return await Database.connect(
        settings.database_url,
        role=settings.database_role,
        min_size=min_size,
        max_size=settings.database_pool_max,
    )


def open_redis(settings: Settings) -> aioredis.Redis:
    """A client whose connections are made on first use: Redis may be down at start."""
    assert settings.redis_url is not None
    # Every command we send is safe to repeat (the ingest script records each sequence
    # once), so a connection cut by a Redis restart is retried on a new connection.
    # A blocking pool: under load a command waits for a connection instead of failing.
    # Every command we send is short (no blocking reads), so a server that stops answering
    # (hung, or a dead peer whose socket stays open) is a timeout, not a call stuck forever;
    # a timeout is not retried (a hung server would only be waited for again), so such a
    # call answers UNAVAILABLE within about a second per command.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_pool_size,
        timeout=10,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        health_check_interval=30,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=3),
        retry_on_error=[RedisConnectionError],
    )
    return aioredis.Redis(connection_pool=pool)


NATS_PING_INTERVAL_S = 5


async def open_nats(settings: Settings) -> NatsClient:
    assert settings.nats_url is not None
    client = NatsClient()

    async def disconnected() -> None:
        if not (client.is_closed or client.is_draining):  # not when we close it ourselves
            logger.warning("disconnected from NATS; live views and offers pause, reconnecting")

    await client.connect(
        settings.nats_url,
        name=settings.service_name,
        max_reconnect_attempts=-1,
        allow_reconnect=True,
        connect_timeout=5,
        # A connection that died under the client is found by its pings: nats-py's flusher
        # stops, without reconnecting, when a write raises RuntimeError (uvloop's "handler is
        # closed" after the server crashed), and only two unanswered pings make it reconnect.
        # Its default (120 s apart) left a replica "connected" and publishing nothing for
        # minutes; 5 s apart finds it within about 15 s, for one PING a connection each 5 s.
        ping_interval=NATS_PING_INTERVAL_S,
        max_outstanding_pings=2,
        # nats-py's default callbacks log a traceback for every reconnect attempt (every
        # 2 s while NATS is down): one warning when the connection drops, one line back.
        error_cb=_nats_error,
        disconnected_cb=disconnected,
        reconnected_cb=_nats_reconnected,
    )
    return client


async def nats_ready(nc: NatsClient) -> None:
    """The readiness probe of a NATS client: connected, and a round trip answers."""
    if not nc.is_connected:
        raise ConnectionError("not connected")
    await nc.flush(timeout=1)


async def _close_each(*closers: tuple[str, Callable[[], Awaitable[None]]]) -> None:
    for name, closer in closers:
        try:
            await asyncio.wait_for(closer(), 5)
        except Exception as exc:
            logger.warning("closing %s failed: %s", name, exc)


async def _close_nats(nc: NatsClient) -> None:
    if nc.is_connected:
        await nc.drain()
    else:
        await nc.close()


async def _nats_error(exc: Exception) -> None:
    logger.debug("NATS: %s", exc)


async def _nats_reconnected() -> None:
    logger.info("reconnected to NATS")
