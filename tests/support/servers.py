"""The service under test, on free ports: as a child process (``start_server``) where a test
needs a real process (signals, shutdown, outages, several replicas, its log), else in this
process (``server_in_process``), which starts in a fraction of the time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from logistics.config import Settings
from logistics.store.migrate import migrate
from tests.support.auth import JWT_SECRET, SECRETS_KEYS


@dataclass(frozen=True)
class ServerUrls:
    database_url: str
    redis_url: str
    nats_url: str


@dataclass(frozen=True)
class Listeners:
    """Where a running service answers: gRPC, and HTTP (Connect, REST, /readyz)."""

    grpc_target: str
    http_url: str


@dataclass(frozen=True)
class RunningServer(Listeners):
    """``logistics serve`` as a child process, its output in ``log_path``."""

    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def fresh_database(admin_url: str) -> AsyncIterator[str]:
    """A new database on ``admin_url``'s server, migrated; its URL. Dropped afterwards."""
    name = f"logistics_test_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    database_url = with_database(admin_url, name)
    try:
        await migrate(database_url)
        yield database_url
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    """One statement on a short-lived connection (a session-long one may be dropped)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def settings_env(urls: ServerUrls, grpc_port: int, http_port: int, **extra: str) -> dict[str, str]:
    """The ``LOGISTICS_*`` variables of a test server; ``extra`` adds or overrides."""
    env = {
        "LOGISTICS_DATABASE_URL": urls.database_url,
        "LOGISTICS_REDIS_URL": urls.redis_url,
        "LOGISTICS_NATS_URL": urls.nats_url,
        "LOGISTICS_JWT_SECRET": JWT_SECRET,
        "LOGISTICS_SECRETS_KEYS": SECRETS_KEYS,
        "LOGISTICS_BIND_HOST": "127.0.0.1",
        "LOGISTICS_GRPC_PORT": str(grpc_port),
        "LOGISTICS_HTTP_PORT": str(http_port),
        "LOGISTICS_SHUTDOWN_GRACE_SECONDS": "3",
    }
    env.update(extra)
    return env


def server_env(urls: ServerUrls, grpc_port: int, http_port: int, **extra: str) -> dict[str, str]:
    """A child process's whole environment: this one's, less any ``LOGISTICS_*`` of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    env.update(settings_env(urls, grpc_port, http_port, **extra))
    return env


async def _until_ready(http_url: str, stopped: Callable[[], bool]) -> bool:
    """True once ``/readyz`` answers 200; False if ``stopped()`` first, or after 45 s.

    A server starts in a few seconds; the margin is for a shared machine under load."""
    deadline = time.monotonic() + 45.0
    async with httpx.AsyncClient(trust_env=False) as client:
        while time.monotonic() < deadline:
            if stopped():
                return False
            try:
                if (await client.get(f"{http_url}/readyz")).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    return False


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
    if not await _until_ready(http_url, lambda: process.poll() is not None):
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
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


@contextlib.asynccontextmanager
async def server_in_process(
    urls: ServerUrls, *, run_timers: bool = False, **extra: str
) -> AsyncIterator[Listeners]:
    """``run_server`` on this event loop with the test settings and ``extra``
    (``LOGISTICS_*`` names, as a child would read them), yielded once /readyz answers 200,
    drained on exit.

    For a test that needs a setting changed, not a process: no start-up import of the whole
    service, no signals, no log file. The server shares this process's globals (its codecs
    are installed here too); only the garbage-collector tuning a serving process does at
    start-up is left out, so that it does not change how the rest of the tests run.
    ``run_timers`` also runs the worker's jobs (due timers, the outbox relay), as ``dev`` does.
    """
    from logistics import app  # the whole service: imported by the tests that start one

    settings = Settings.from_env(settings_env(urls, free_port(), free_port(), **extra))
    stop = asyncio.Event()
    with mock.patch.object(app, "settle_garbage_collector", return_value=None):
        serving = asyncio.create_task(app.run_server(settings, stop, run_timers=run_timers))
        http_url = f"http://127.0.0.1:{settings.http_port}"
        try:
            if not await _until_ready(http_url, serving.done):
                if serving.done():
                    serving.result()  # raises what stopped it
                raise RuntimeError(f"server not ready at {http_url}")
            yield Listeners(f"127.0.0.1:{settings.grpc_port}", http_url)
        finally:
            stop.set()
            await asyncio.wait_for(serving, settings.shutdown_grace_seconds + 15)
