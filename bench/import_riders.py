"""Benchmark: a CSV import of riders through the real server, against a bare COPY of the rows.

Generates a CSV (50,000 riders by default; ``--rows``), starts ``logistics serve`` on the servers
named by ``LOGISTICS_{DATABASE,REDIS,NATS}_URL`` (falling back to ``LOGISTICS_TEST_*``), POSTs
the file as a stream, and reports rows/s and the server's peak RSS (VmHWM) before and after.
The anchor, in the same run: a bare ``COPY`` of the same file into a plain temp table through
asyncpg. Without ``LOGISTICS_DATABASE_URL`` a scratch database is created, migrated and dropped.

The last line printed is one JSON object:
``{"rows", "import_s", "rows_per_s", "copy_s", "ratio", "server_peak_rss_mb", ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from logistics.api.auth import mint_token
from logistics.secrets_box import generate_key
from logistics.store.migrate import migrate

HEADER = [
    "external_id",
    "display_name",
    "phone",
    "email",
    "fleet",
    "home_outlet_id",
    "zone",
    "vehicle_plate",
    "vehicle_type",
    "state",
]
TYPES = ["bicycle", "motorbike", "car", "van", "on_foot"]


def env(name: str) -> str | None:
    return os.environ.get(f"LOGISTICS_{name}") or os.environ.get(f"LOGISTICS_TEST_{name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_csv(path: Path, rows: int, fleet: uuid.UUID) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(
                [
                    f"EMP-{i:07}",
                    f"Rider {i}",
                    f"+2547{i:08}",
                    f"rider{i}@example.co.ke",
                    str(fleet) if i % 2 else "",
                    f"outlet-{i % 25}",
                    f"zone-{i % 40}",
                    "",
                    TYPES[i % len(TYPES)],
                    "active" if i % 10 else "suspended",
                ]
            )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    """The migrated database to use: LOGISTICS_DATABASE_URL, or a scratch one."""
    given = os.environ.get("LOGISTICS_DATABASE_URL")
    if given:
        await migrate(given)
        yield given
        return
    admin = os.environ.get("LOGISTICS_TEST_DATABASE_URL")
    if not admin:
        sys.exit("set LOGISTICS_DATABASE_URL or LOGISTICS_TEST_DATABASE_URL")
    name = f"logistics_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    try:
        await migrate(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextlib.asynccontextmanager
async def server(database_url: str, secret: str, log: Path) -> AsyncIterator[tuple[str, int]]:
    """``logistics serve`` as a child process: its base URL and pid, once ready."""
    redis_url, nats_url = env("REDIS_URL"), env("NATS_URL")
    if not (redis_url and nats_url):
        sys.exit("set LOGISTICS_{REDIS,NATS}_URL or LOGISTICS_TEST_{REDIS,NATS}_URL")
    http_port = free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    child_env.update(
        LOGISTICS_DATABASE_URL=database_url,
        LOGISTICS_REDIS_URL=redis_url,
        LOGISTICS_NATS_URL=nats_url,
        LOGISTICS_JWT_SECRET=secret,
        LOGISTICS_SECRETS_KEYS=generate_key("bench"),
        LOGISTICS_BIND_HOST="127.0.0.1",
        LOGISTICS_GRPC_PORT=str(free_port()),
        LOGISTICS_HTTP_PORT=str(http_port),
        LOGISTICS_LOG_LEVEL="WARNING",
    )
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 - fork and exec only
            [sys.executable, "-m", "logistics.cli", "serve"],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{http_port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(400):
                if process.poll() is not None:
                    sys.exit(f"server exited; see {log}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                sys.exit(f"server not ready; see {log}")
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def new_fleet(database_url: str, tenant: str) -> uuid.UUID:
    """A fleet for the rows to name (the tenant registered as the service would)."""
    conn = await asyncpg.connect(database_url)
    try:
        tenant_id, fleet = uuid.uuid4(), uuid.uuid4()
        await conn.execute("INSERT INTO tenants (id, slug) VALUES ($1, $2)", tenant_id, tenant)
        await conn.execute(
            """INSERT INTO fleets (tenant_id, id, display_name, kind)
               VALUES ($1, $2, 'Bench', 'own')""",
            tenant_id,
            fleet,
        )
    finally:
        await conn.close()
    return fleet


async def chunks(path: Path, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The file as a streamed request body: the client holds one block at a time."""
    f = await asyncio.to_thread(path.open, "rb")
    try:
        while block := await asyncio.to_thread(f.read, size):
            yield block
    finally:
        f.close()


async def post(client: httpx.AsyncClient, url: str, path: Path, token: str) -> tuple[float, dict]:  # type: ignore[type-arg]
    started = time.perf_counter()
    response = await client.post(
        url,
        content=chunks(path),
        headers={"content-type": "text/csv", "authorization": f"Bearer {token}"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"import failed: {response.status_code} {response.text[:2000]}")
    return elapsed, response.json()


async def bare_copy(database_url: str, path: Path) -> float:
    conn = await asyncpg.connect(database_url)
    try:
        columns = ", ".join(f"{c} text" for c in HEADER)
        await conn.execute(f"CREATE TEMP TABLE bench_copy ({columns})")
        started = time.perf_counter()
        await conn.copy_to_table("bench_copy", source=str(path), format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def main(rows: int) -> None:
    secret = secrets.token_hex(32)
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        async with database() as database_url:
            fleet = await new_fleet(database_url, tenant)
            csv_path = work / "riders.csv"
            write_csv(csv_path, rows, fleet)
            size_mb = csv_path.stat().st_size / 2**20
            async with server(database_url, secret, work / "server.log") as (url, pid):
                rss_before = peak_rss_mb(pid)
                token = mint_token(secret, tenant=tenant, scopes=["logistics:admin"])
                endpoint = f"{url}/v1/tenants/{tenant}/fleet/riders:import"
                async with httpx.AsyncClient(timeout=600) as client:
                    import_s, report = await post(client, endpoint, csv_path, token)
                    rss_after = peak_rss_mb(pid)
                    again_s, again = await post(client, endpoint, csv_path, token)
                    rss_final = peak_rss_mb(pid)
            copy_s = await bare_copy(database_url, csv_path)
    assert report["created"] == rows, report
    assert report["error_count"] == 0, report
    assert again["unchanged"] == rows, again
    print(f"file: {rows} rows, {size_mb:.1f} MiB")
    print(f"import (all created):   {import_s:.2f} s, {rows / import_s:,.0f} rows/s")
    print(f"re-import (unchanged):  {again_s:.2f} s, {rows / again_s:,.0f} rows/s")
    print(f"bare COPY of the file:  {copy_s:.3f} s")
    print(
        f"server VmHWM: {rss_before:.1f} MiB at start, {rss_after:.1f} after the import, "
        f"{rss_final:.1f} after the re-import"
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "import_s": round(import_s, 3),
                "rows_per_s": round(rows / import_s),
                "copy_s": round(copy_s, 3),
                "ratio": round(import_s / copy_s, 1),
                "server_peak_rss_mb": round(rss_final, 1),
                "server_start_rss_mb": round(rss_before, 1),
                "reimport_unchanged_s": round(again_s, 3),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    asyncio.run(main(parser.parse_args().rows))
