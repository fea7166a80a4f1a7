"""Benchmark: a CSV import of tasks through the real HTTP endpoint, against a bare COPY of the
same rows.

Generates a CSV of ``--rows`` tasks (50,000 by default; each with a request_id, an order id,
a pickup and a drop-off with windows and contacts, deadlines and notes), starts
``logistics serve`` (bench/_common.py: the servers of ``LOGISTICS_*_URL`` or
``LOGISTICS_TEST_*_URL``, else embedded, and a fresh migrated database), POSTs the file as a
stream to ``tasks:import``, then POSTs it again (every row's request_id already used: all
``unchanged``). The anchor, in the same run: the rows the import stored, dumped with ``COPY
TO`` and loaded with a bare ``COPY FROM`` into a plain table of the same columns (``tasks``
itself has row-level security, which refuses COPY). ``ratio`` is import time / COPY time.

    LOGISTICS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    LOGISTICS_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
    LOGISTICS_TEST_NATS_URL=nats://127.0.0.1:4222 .venv/bin/python bench/import_tasks.py

The last line printed is one JSON object: ``{"rows", "import_s", "rows_per_s", "copy_s",
"ratio", "reimport_unchanged_s", "server_cpu_s", "postgres_cpu_s", "server_peak_rss_mb",
...}``: ``postgres_cpu_s`` is the CPU time of the database's backends during the import (read
from /proc: meaningful only with PostgreSQL on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _common import (
    ServerUrls,
    Service,
    cpu_seconds,
    fresh_database,
    in_work_dir,
    servers,
    start_service,
    stop_process,
)

from logistics.api.auth import mint_token
from logistics.domain.task_rows import TASK_COLUMNS


def write_csv(path: Path, rows: int) -> None:
    start = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    with path.open("w", newline="") as f:
        out = csv.DictWriter(f, TASK_COLUMNS)
        out.writeheader()
        for i in range(rows):
            ready = start + timedelta(minutes=i % 600)
            out.writerow(
                {
                    "request_id": f"ORD-{i:07}",
                    "order_id": f"ORD-{i:07}",
                    "kind": "delivery",
                    "priority": str(i % 5),
                    "pickup_latitude": f"{-1.30 + (i % 97) * 0.001:.5f}",
                    "pickup_longitude": f"{36.80 + (i % 89) * 0.001:.5f}",
                    "pickup_address": f"Kitchen {i % 40}, Westlands",
                    "pickup_contact_name": f"Kitchen {i % 40}",
                    "pickup_window_start": ready.isoformat(),
                    "pickup_window_end": (ready + timedelta(minutes=20)).isoformat(),
                    "pickup_service_seconds": "120",
                    "dropoff_latitude": f"{-1.25 - (i % 83) * 0.001:.5f}",
                    "dropoff_longitude": f"{36.75 + (i % 79) * 0.001:.5f}",
                    "dropoff_address": f"House {i}, Kilimani",
                    "dropoff_contact_name": f"Customer {i}",
                    "dropoff_contact_phone": f"+2547{i:08}",
                    "dropoff_window_start": (ready + timedelta(minutes=20)).isoformat(),
                    "dropoff_window_end": (ready + timedelta(minutes=60)).isoformat(),
                    "dropoff_service_seconds": "60",
                    "dropoff_proofs": "photo" if i % 3 else "signature;photo",
                    "delivery_deadline": (ready + timedelta(minutes=75)).isoformat(),
                    "notes": "leave at the gate" if i % 7 == 0 else "",
                }
            )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def chunks(path: Path, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """The file as a streamed request body: the client holds one block at a time."""
    f = await asyncio.to_thread(path.open, "rb")
    try:
        while block := await asyncio.to_thread(f.read, size):
            yield block
    finally:
        f.close()


async def post(client: httpx.AsyncClient, url: str, path: Path, token: str) -> tuple[float, Any]:
    started = time.perf_counter()
    response = await client.post(
        url,
        content=chunks(path),
        headers={"content-type": "text/csv", "authorization": f"Bearer {token}"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"import failed: {response.status_code} {response.text[:2000]}")
    return elapsed, response.json()


async def backends_cpu(conn: asyncpg.Connection) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend of this database (the service's pool):
    PostgreSQL's share of an import, read from /proc (the server runs on this machine)."""
    pids = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    found = {}
    for row in pids:
        try:
            found[row["pid"]] = cpu_seconds(row["pid"])
        except OSError:  # ended meanwhile, or another machine's server
            continue
    return found


async def bare_copy(database_url: str, tenant: str, dump: Path) -> tuple[float, int]:
    """The tenant's stored tasks dumped, then COPYed into a plain table of the same columns."""
    conn = await asyncpg.connect(database_url)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", tenant)
        await conn.copy_from_query(
            "SELECT * FROM tasks WHERE tenant_id = $1", tenant_id, output=str(dump)
        )
        await conn.execute("CREATE TEMP TABLE bench_tasks (LIKE tasks INCLUDING DEFAULTS)")
        started = time.perf_counter()
        status = await conn.copy_to_table("bench_tasks", source=str(dump))
        return time.perf_counter() - started, int(status.split()[-1])
    finally:
        await conn.close()


async def measure(work: Path, rows: int, profile: Path | None) -> dict[str, Any]:
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    csv_path = work / "tasks.csv"
    write_csv(csv_path, rows)
    size_mb = csv_path.stat().st_size / 2**20
    async with (
        servers(work) as urls,
        fresh_database(urls.database_url, "logistics_bench_tasks") as database_url,
    ):
        scratch = ServerUrls(database_url, urls.redis_url, urls.nats_url)
        service: Service = await start_service(scratch, work, profile_to=profile)
        try:
            token = mint_token(service.jwt_secret, tenant=tenant, scopes=["logistics:dispatch"])
            endpoint = f"{service.http_url}/v1/tenants/{tenant}/tasks:import"
            rss_before = peak_rss_mb(service.pid)
            watch = await asyncpg.connect(database_url)
            try:
                pg_before = await backends_cpu(watch)
                cpu_before = cpu_seconds(service.pid)
                async with httpx.AsyncClient(timeout=600) as client:
                    import_s, report = await post(client, endpoint, csv_path, token)
                    cpu_import = cpu_seconds(service.pid) - cpu_before
                    pg_after = await backends_cpu(watch)
                    rss_after = peak_rss_mb(service.pid)
                    again_s, again = await post(client, endpoint, csv_path, token)
            finally:
                await watch.close()
        finally:
            stop_process(service.process)
        copy_s, copied = await bare_copy(database_url, tenant, work / "tasks.copy")
    assert report["created"] == rows, report
    assert report["error_count"] == 0, report
    assert again["unchanged"] == rows, again
    assert again["created"] == 0, again
    assert copied == rows, copied
    print(f"file: {rows} rows, {size_mb:.1f} MiB; load average {os.getloadavg()[0]:.2f}")
    print(f"import (all created):     {import_s:.2f} s, {rows / import_s:,.0f} rows/s")
    print(f"re-import (unchanged):    {again_s:.2f} s")
    print(f"bare COPY of the rows:    {copy_s:.3f} s")
    pg_import = sum(c - pg_before.get(pid, 0.0) for pid, c in pg_after.items())
    print(f"server CPU in the import: {cpu_import:.2f} s")
    print(f"PostgreSQL CPU (backends): {pg_import:.2f} s")
    return {
        "rows": rows,
        "import_s": round(import_s, 3),
        "rows_per_s": round(rows / import_s),
        "copy_s": round(copy_s, 3),
        "ratio": round(import_s / copy_s, 1),
        "reimport_unchanged_s": round(again_s, 3),
        "server_cpu_s": round(cpu_import, 2),
        "postgres_cpu_s": round(pg_import, 2),
        "server_start_rss_mb": round(rss_before, 1),
        "server_peak_rss_mb": round(rss_after, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--profile", type=Path, help="run the service under cProfile, to here")
    args = parser.parse_args()
    result = await in_work_dir(
        "bench-import-tasks-", lambda work: measure(work, args.rows, args.profile)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
