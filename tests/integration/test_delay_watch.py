"""The predicted-arrival check (``services.tasks.delays``) on real PostgreSQL and Redis: a timer
per assigned task fired by the timer runner, ``task.delayed`` for the tasks predicted late and
for no other, once per crossing however many checks follow; and what one check costs."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.fleet import Rider
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.tasks import Step, StepKind, Task, TaskKind
from logistics.domain.telemetry import Ping, epoch_us
from logistics.geo.distance import StraightLine
from logistics.geo.live_index import LiveIndex
from logistics.services.directory import Outlets
from logistics.services.etas import Estimator
from logistics.services.fleet import FleetService
from logistics.services.tasks.delays import DelayWatch
from logistics.services.tasks.service import TaskService
from logistics.services.timers import TimerRunner
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls

# Far from the other tests' clocks (the SLA tests live in the 1980s): only these timers are due.
START = datetime(1995, 6, 1, 12, 0, tzinfo=UTC)
RIDER_AT = (-1.2864, 36.8172)
PICKUP = (-1.2414, 36.8172)  # 5 km north: about 16 min as the line goes (no routing engine)
TASKS = 100  # half of them due at the pickup in 12 min, half in 30


@pytest.fixture
async def redis_client(server_urls: ServerUrls) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(server_urls.redis_url)
    yield client
    await client.aclose()


async def delayed(database: Database, store: Store, tenant: TenantSlug) -> list[str]:
    tenant_id = await store.tenants.find(tenant)
    async with database.transaction(tenant_id) as conn:
        rows = await conn.fetch(
            "SELECT data FROM outbox WHERE event_type = 'task.delayed' ORDER BY seq"
        )
    return [r["data"]["name"] for r in rows]


async def test_each_late_task_is_warned_once_and_what_a_check_costs(
    store: Store, database: Database, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
    tasks = TaskService(store, Outlets(None), LocalBlobStore(tmp_path), clock)
    fleets = FleetService(store, Outlets(None))
    index = LiveIndex(redis_client)
    watch = DelayWatch(index, Estimator(StraightLine(), clock), clock, interval_s=30)
    runner = TimerRunner(
        TimerQueue(database),
        clock,
        task_timers=tasks.handle_sla_timer,
        delay_timers=watch.handle,
        interval_s=0.01,
    )
    late: set[str] = set()
    try:
        for i in range(TASKS):
            minutes = 12 if i % 2 == 0 else 30
            task = Task(
                id=uuid.uuid4(),
                kind=TaskKind.DELIVERY,
                steps=(
                    Step(id="0", kind=StepKind.PICKUP, latitude=PICKUP[0], longitude=PICKUP[1]),
                    Step(id="1", kind=StepKind.DROP_OFF, latitude=-1.23, longitude=36.82),
                ),
                pickup_deadline=START + timedelta(minutes=minutes),
            )
            created = (await tasks.create(caller, tenant, task, {}, None)).task
            rider = await fleets.create_rider(
                caller, tenant, Rider(id=uuid.uuid4(), display_name=f"R{i}"), None
            )
            ping = Ping(1, epoch_us(START), *RIDER_AT, accuracy_m=5.0)
            await index.ingest(str(tenant), str(rider.id), [ping], {1}, START, 0)
            name = ResourceName(tenant, "tasks", created.id)
            await tasks.assign(caller, name, ResourceName(tenant, "riders", rider.id), "test", None)
            if minutes == 12:
                late.add(str(name))

        wall, cpu = time.perf_counter(), time.process_time()
        fired = await runner.fire_due(limit=10 * TASKS)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert fired == TASKS  # one check per assigned task, nothing else due
        warned = await delayed(database, store, tenant)
        assert sorted(warned) == sorted(late)
        print(
            f"\n{fired} checks: {wall * 1000 / fired:.2f} ms wall, "
            f"{cpu * 1000 / fired:.2f} ms CPU of this process per check"
        )

        clock.set(START + timedelta(seconds=31))  # the next round: still late, no new warning
        assert await runner.fire_due(limit=10 * TASKS) == TASKS
        assert sorted(await delayed(database, store, tenant)) == sorted(late)
    finally:
        tenant_id = await store.tenants.find(tenant)
        async with database.transaction() as conn:
            await conn.execute(
                "DELETE FROM timers WHERE tenant_id = $1 AND fire_time IS NULL", tenant_id
            )
        async for key in redis_client.scan_iter(match=f"{LiveIndex.prefix(tenant)}*"):
            await redis_client.delete(key)
