"""Notification watch benchmark: what one check of the watched tasks costs (the ETA and arrival
triggers), by the number of started tasks watched, whatever the ping rate. N tasks of one
tenant with an arrival and an ETA rule, their riders' positions in the live index 5 km from
the drop-off (nothing fires, so every round does the whole work), then rounds of
``NotificationAdapter.check_watches``: wall time and this process's CPU per watched task.
The last line printed is one JSON object. See docs/benchmarks.md.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    LOGISTICS_REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/notifications.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import fresh_database, servers
from logistics.domain.clock import SystemClock
from logistics.domain.ids import TenantSlug
from logistics.domain.notifications import (
    Channel,
    NotificationRule,
    Recipient,
    Trigger,
    watched_view,
)
from logistics.domain.tasks import Step, StepKind, StepState, Task, TaskKind, TaskState
from logistics.domain.telemetry import EARTH_RADIUS_M, Ping
from logistics.geo.distance import StraightLine
from logistics.geo.live_index import LiveIndex
from logistics.services.notifications import (
    DistanceEtas,
    NotificationAdapter,
    NotificationLimits,
)
from logistics.store.db import Database
from logistics.store.notification_queue import NotificationQueue
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store

DROP = (-1.3000, 36.7800)


class _NoLinks:
    def link(self, tenant: str, task_id: uuid.UUID) -> str:
        return ""


def _task(task_id: uuid.UUID, rider: str) -> dict[str, Any]:
    """A started delivery's event snapshot, its pickup done, as the outbox holds it."""
    task = Task(
        id=task_id,
        kind=TaskKind.DELIVERY,
        state=TaskState.EN_ROUTE,
        rider_id=uuid.UUID(rider),
        current_step=1,
        steps=(
            Step("0", StepKind.PICKUP, -1.28, 36.81, state=StepState.COMPLETED),
            Step("1", StepKind.DROP_OFF, *DROP, contact_phone="+254700000001"),
        ),
    )
    data: dict[str, Any] = snapshot(task, public=True)
    return data


async def run(tasks: int, rounds: int, whole: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir:
        async with (
            servers(Path(data_dir)) as urls,
            fresh_database(urls.database_url, "bench_notify") as url,
        ):
            db = await Database.connect(url, role="logistics_app", min_size=1, max_size=4)
            redis = aioredis.from_url(urls.redis_url)
            store = Store(db)
            tenant = TenantSlug(f"bench-{uuid.uuid4().hex[:8]}")
            index = LiveIndex(redis)
            now = datetime.now(UTC)
            far = DROP[0] + 5000 * 180 / (math.pi * EARTH_RADIUS_M)
            async with store.write(tenant) as uow:
                for trigger, extra in (
                    (Trigger.ARRIVING, {"within_m": 150.0}),
                    (Trigger.ETA, {"eta_threshold": timedelta(minutes=10)}),
                ):
                    await uow.notification_rules.add(
                        NotificationRule(
                            uuid.uuid4(), trigger, Recipient.CUSTOMER, Channel.PUSH, "t", **extra
                        )  # type: ignore[arg-type]
                    )
                for _ in range(tasks):
                    rider = str(uuid.uuid4())
                    task_id = uuid.uuid4()
                    task = _task(task_id, rider)
                    await uow.notifications.watch(task_id, task if whole else watched_view(task))
                    ping = Ping(1, int(now.timestamp() * 1e6), far, DROP[1], 5.0)
                    await index.ingest(tenant, rider, [ping], {1}, now, 0)
            # The watch rows carry their own task ids; the riders' positions are in Redis.
            adapter = NotificationAdapter(
                store,
                NotificationQueue(db),
                index,
                DistanceEtas(StraightLine()),
                _NoLinks(),
                SystemClock(),
                NotificationLimits(watch_limit=tasks),
            )
            await adapter.check_watches()  # warm: connections, statements
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                made = await adapter.check_watches()
                assert made == 0
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            await redis.aclose()
            await db.close()
    return {
        "watched_tasks": tasks,
        "kept": "whole snapshot" if whole else "watched_view",
        "rounds": rounds,
        "round_ms": round(wall / rounds * 1000, 1),
        "cpu_us_per_task": round(cpu / rounds / tasks * 1e6, 1),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--whole", action="store_true", help="watch the whole task snapshot (the comparison)"
    )
    args = parser.parse_args()
    results = []
    for n in args.tasks:
        result = asyncio.run(run(n, args.rounds, args.whole))
        print(json.dumps(result), file=sys.stderr)
        results.append(result)
    print(json.dumps({"notification_watch": results}))


if __name__ == "__main__":
    main()
