"""Shared pieces of the benchmarks: the servers they run against (from ``LOGISTICS_*`` or
embedded), a fresh database per run, the service as its own ``logistics serve`` process,
CPU time of a process, and percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from logistics.secrets_box import generate_key
from logistics.store.migrate import migrate

T = TypeVar("T")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ServerUrls:
    database_url: str
    redis_url: str
    nats_url: str


@asynccontextmanager
async def servers(data_dir: Path) -> AsyncIterator[ServerUrls]:
    """The servers the ``LOGISTICS_*_URL`` variables name (else ``LOGISTICS_TEST_*_URL``); any
    unset one is started embedded (under ``data_dir``) for the duration."""
    env = {
        k: os.environ.get(f"LOGISTICS_{k.upper()}") or os.environ.get(f"LOGISTICS_TEST_{k.upper()}")
        for k in ("database_url", "redis_url", "nats_url")
    }
    embedded = None
    if not all(env.values()):
        from logistics.embedded import EmbeddedServers

        embedded = EmbeddedServers(
            data_dir,
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
    try:
        yield ServerUrls(str(env["database_url"]), str(env["redis_url"]), str(env["nats_url"]))
    finally:
        if embedded is not None:
            await embedded.stop()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """A new migrated database ``<prefix>_<random>`` on the server of ``admin_url``, dropped
    at the end; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    try:
        await migrate(url)
        yield url
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Service:
    grpc_target: str
    http_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    jwt_secret: str

    @property
    def pid(self) -> int:
        return self.process.pid


async def start_service(
    urls: ServerUrls, log_dir: Path, *, profile_to: Path | None = None, **extra: str
) -> Service:
    """``logistics serve`` as a child process, returned once /readyz answers 200; with
    ``profile_to`` it runs under cProfile, which writes there when the process stops."""
    grpc_port, http_port = free_port(), free_port()
    secret = secrets.token_urlsafe(48)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    env.update(
        LOGISTICS_DATABASE_URL=urls.database_url,
        LOGISTICS_REDIS_URL=urls.redis_url,
        LOGISTICS_NATS_URL=urls.nats_url,
        LOGISTICS_JWT_SECRET=secret,
        LOGISTICS_SECRETS_KEYS=generate_key("bench"),
        LOGISTICS_BIND_HOST="127.0.0.1",
        LOGISTICS_GRPC_PORT=str(grpc_port),
        LOGISTICS_HTTP_PORT=str(http_port),
        LOGISTICS_SHUTDOWN_GRACE_SECONDS="3",
    )
    env.update(extra)
    log_path = log_dir / f"service-{grpc_port}.log"
    profile = ["-m", "cProfile", "-o", str(profile_to)] if profile_to else []
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - fork and exec only
            [sys.executable, *profile, "-m", "logistics.cli", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    http_url = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"service exited: {log_path.read_text()[-3000:]}")
            try:
                if (await client.get(f"{http_url}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        else:
            process.kill()
            raise RuntimeError(f"service not ready: {log_path.read_text()[-3000:]}")
    return Service(f"127.0.0.1:{grpc_port}", http_url, process, log_path, secret)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live descendants (a supervisor's serving processes)."""
    total = cpu_seconds(pid)
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return total
    for child in children:
        with contextlib.suppress(OSError):  # it ended meanwhile
            total += tree_cpu_seconds(child)
    return total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_open_files(wanted: int) -> int:
    """Raises the soft open-files limit towards ``wanted`` (at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


async def in_work_dir(prefix: str, measure: Callable[[Path], Awaitable[T]]) -> T:
    """Runs ``measure`` in a fresh work directory (logs, embedded servers), removed when it
    succeeds and kept for a look when it fails."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        result = await measure(work)
    except BaseException:
        print(f"logs kept in {work}", file=sys.stderr)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return result
