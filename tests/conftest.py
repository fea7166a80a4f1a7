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

import asyncio
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import httpx
import pytest

from logistics.api.auth import mint_token
from logistics.secrets_box import Keyring
from logistics.store.db import Database
from logistics.store.migrate import migrate
from logistics.store.unit_of_work import Store

ALL_SCOPES = ["logistics:read", "logistics:dispatch", "logistics:telemetry", "logistics:admin"]
JWT_SECRET = "test-secret-" + "x" * 40
# The keyring test servers and in-process workers seal webhook secrets with (32 bytes each).
SECRETS_KEYS = "test:dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU="


@dataclass(frozen=True)
class ServerUrls:
    database_url: str
    redis_url: str
    nats_url: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


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
    name = f"logistics_test_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    database_url = _with_database(admin_url, name)
    await migrate(database_url)
    try:
        yield ServerUrls(database_url, str(env["redis_url"]), str(env["nats_url"]))
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded is not None:
            await embedded.stop()


async def _admin(url: str, statement: str) -> None:
    """One statement on a short-lived connection (a session-long one may be dropped)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


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


def token(tenant: str, scopes: list[str] | None = None, **kwargs: object) -> str:
    return mint_token(JWT_SECRET, tenant=tenant, scopes=scopes or ALL_SCOPES, **kwargs)  # type: ignore[arg-type]


def unique_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class RunningServer:
    grpc_target: str
    http_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def server_env(urls: ServerUrls, grpc_port: int, http_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    env.update(
        LOGISTICS_DATABASE_URL=urls.database_url,
        LOGISTICS_REDIS_URL=urls.redis_url,
        LOGISTICS_NATS_URL=urls.nats_url,
        LOGISTICS_JWT_SECRET=JWT_SECRET,
        LOGISTICS_SECRETS_KEYS=SECRETS_KEYS,
        LOGISTICS_BIND_HOST="127.0.0.1",
        LOGISTICS_GRPC_PORT=str(grpc_port),
        LOGISTICS_HTTP_PORT=str(http_port),
        LOGISTICS_SHUTDOWN_GRACE_SECONDS="3",
    )
    env.update(extra)
    return env


async def start_server(urls: ServerUrls, log_dir: Path, **extra: str) -> RunningServer:
    """``logistics serve`` as a child process, returned once /readyz answers 200."""
    grpc_port, http_port = free_port(), free_port()
    log_path = log_dir / f"server-{grpc_port}.log"
    with log_path.open("wb") as log:
        # Popen only forks and execs; waiting on the child happens off the event loop.
        process = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "logistics.cli", "serve"],
            env=server_env(urls, grpc_port, http_port, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    http_url = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
            try:
                if (await client.get(f"{http_url}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        else:
            process.kill()
            raise RuntimeError(f"server not ready: {log_path.read_text()[-3000:]}")
    return RunningServer(f"127.0.0.1:{grpc_port}", http_url, process, log_path)


def stop_server(server: RunningServer, timeout: float = 15.0) -> int:
    if server.process.poll() is None:
        server.process.terminate()
    try:
        return server.process.wait(timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise


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
