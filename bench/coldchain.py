"""Cold chain benchmark: what storing a batch of temperature readings costs (insert, the task's
row lock, the excursion detector, the episode's trail and event when one starts), and a resent
batch (every reading a duplicate). N chilled tasks of one tenant, each sent B batches of R
readings of one probe (10 s apart) by ``ColdChainService.record`` (the path the stream takes
too), C tasks at a time; half the tasks warm up halfway and raise an excursion. The last line
printed is one JSON object. See docs/benchmarks.md.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python bench/coldchain.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import fresh_database, percentile, servers
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import SystemClock
from logistics.domain.coldchain import Reading
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.services.coldchain.service import ColdChainService
from logistics.store.db import Database
from logistics.store.unit_of_work import Store


def batches(start: datetime, warm: bool, count: int, size: int) -> list[list[Reading]]:
    out = []
    for b in range(count):
        celsius = 12.0 if warm and b >= count // 2 else 4.0
        first = start + timedelta(seconds=10 * size * b)
        out.append(
            [Reading("probe-1", first + timedelta(seconds=10 * i), celsius) for i in range(size)]
        )
    return out


async def run(tasks: int, count: int, size: int, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir:
        async with (
            servers(Path(data_dir)) as urls,
            fresh_database(urls.database_url, "bench_cold") as url,
        ):
            db = await Database.connect(url, role="logistics_app", min_size=1, max_size=8)
            store = Store(db)
            tenant = TenantSlug(f"bench-{uuid.uuid4().hex[:8]}")
            caller = Caller(tenant, "gateway", frozenset({Scope.ADMIN}))
            service = ColdChainService(store, SystemClock())
            names = []
            async with store.write(tenant) as uow:
                for _ in range(tasks):
                    task = await uow.tasks.add(
                        Task(
                            uuid.uuid4(),
                            TaskKind.DELIVERY,
                            (Step("0", StepKind.PICKUP, -1.28, 36.81),),
                            items=(Item("milk", min_temperature_c=2, max_temperature_c=8),),
                        )
                    )
                    names.append(ResourceName(tenant, "tasks", task.id))
            start = datetime.now(UTC) - timedelta(seconds=10 * size * count + 600)
            plans = [batches(start, i % 2 == 0, count, size) for i in range(tasks)]
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []

            async def send(name: ResourceName, batch: list[Reading]) -> int:
                async with gate:
                    began = time.perf_counter()
                    done = await service.record(caller, name, batch)
                    latencies.append(time.perf_counter() - began)
                    return done.stored

            async def one_task(name: ResourceName, plan: list[list[Reading]]) -> int:
                return sum([await send(name, batch) for batch in plan])

            async def every_task() -> int:
                sent = [one_task(n, p) for n, p in zip(names, plans, strict=True)]
                return sum(await asyncio.gather(*sent))

            await service.record(caller, names[0], plans[0][0])  # warm: connections, statements
            cpu0, wall0 = time.process_time(), time.perf_counter()
            stored = await every_task()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            first = list(latencies)
            latencies.clear()
            cpu1, wall1 = time.process_time(), time.perf_counter()
            await every_task()
            cpu_dup, wall_dup = time.process_time() - cpu1, time.perf_counter() - wall1
            tenant_id = await store.tenants.find(tenant)
            async with db.transaction(tenant_id) as conn:
                excursions = await conn.fetchval(
                    "SELECT count(*) FROM outbox WHERE event_type = 'task.temperature_excursion'"
                )
            await db.close()
    readings = tasks * count * size
    return {
        "tasks": tasks,
        "batches_per_task": count,
        "readings_per_batch": size,
        "concurrency": concurrency,
        "stored": stored,  # less the warm-up batch's readings, stored before
        "excursions": excursions,
        "readings_per_s": round(readings / wall),
        "batch_ms_p50": round(percentile(first, 50) * 1000, 1),
        "batch_ms_p95": round(percentile(first, 95) * 1000, 1),
        "cpu_us_per_reading": round(cpu / readings * 1e6, 1),
        "resent_readings_per_s": round(readings / wall_dup),
        "resent_batch_ms_p50": round(percentile(latencies, 50) * 1000, 1),
        "resent_cpu_us_per_reading": round(cpu_dup / readings * 1e6, 1),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--readings", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    result = asyncio.run(run(args.tasks, args.batches, args.readings, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
