"""Shared fixtures: the servers under test, a fresh database per run, a running service.

With ``LOGISTICS_TEST_DATABASE_URL``, ``LOGISTICS_TEST_REDIS_URL`` and ``LOGISTICS_TEST_NATS_URL``
set (``.ci/run`` sets them) the tests use those servers; any that is unset is started embedded
for the session. Each run creates its own database and drops it at the end.
"""

from __future__ import annotations

import os

# Outage tests restart embedded servers from this process while gRPC channels are busy: a fork
# (subprocess with a preexec_fn) then runs gRPC's fork handlers in the child, which can abort it
# ("Check failed: next_worker->state == KICKED"). The children only exec, so they need none.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest

from logistics.secrets_box import Keyring
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import SECRETS_KEYS, unique_tenant
from tests.support.servers import (
    RunningServer,
    ServerUrls,
    fresh_database,
    start_server,
    stop_server,
)


@pytest.fixture(scope="session")
async def server_urls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServerUrls]:
    """The three servers, each from LOGISTICS_TEST_* or embedded, with a fresh database."""
    env = {
        k: os.environ.get(f"LOGISTICS_TEST_{k.upper()}")
        for k in ("database_url", "redis_url", "nats_url")
    }
    embedded = None
    if not all(env.values()):
        from logistics.embedded import EmbeddedServers

        embedded = EmbeddedServers(
            tmp_path_factory.mktemp("servers"),
            need_postgres=not env["database_url"],
            need_redis=not env["redis_url"],
            need_nats=not env["nats_url"],
        )
        urls = await embedded.start()
        env = {
            "database_url": env["database_url"] or urls.database_url,
            "redis_url": env["redis_url"] or urls.redis_url,
            "nats_url": env["nats_url"] or urls.nats_url,
        }
    admin_url = env["database_url"]
    assert admin_url is not None
    try:
        async with fresh_database(admin_url) as database_url:
            yield ServerUrls(database_url, str(env["redis_url"]), str(env["nats_url"]))
    finally:
        if embedded is not None:
            await embedded.stop()


@pytest.fixture(scope="session")
async def database(server_urls: ServerUrls) -> AsyncIterator[Database]:
    """The pool the service uses: connections run as the service role."""
    db = await Database.connect(
        server_urls.database_url, role="logistics_app", min_size=1, max_size=10
    )
    yield db
    await db.close()


@pytest.fixture(scope="session")
def store(database: Database) -> Store:
    return Store(database)


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    """The keyring of the test servers (``SECRETS_KEYS``)."""
    return Keyring.parse(SECRETS_KEYS)


@pytest.fixture(scope="session")
async def server(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    running = await start_server(server_urls, tmp_path_factory.mktemp("logs"))
    yield running
    stop_server(running)


@pytest.fixture
async def grpc_channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        yield channel


@pytest.fixture
def tenant() -> str:
    return unique_tenant()


@pytest.fixture(scope="session")
async def owner(server_urls: ServerUrls) -> AsyncIterator[asyncpg.Connection]:
    """The database owner's view (no row-level security), to check what was stored."""
    conn = await asyncpg.connect(server_urls.database_url)
    yield conn
    await conn.close()
