"""Cold chain on the real database: readings stored once (a resent or concurrent batch too),
an excursion recorded once per episode (trail, event) without touching the task's etag, the
stream's per-reading rejections, a bad RecordTemperatures storing nothing, paging, and another
tenant seeing none of it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.coldchain import Reading
from logistics.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from logistics.domain.fleet import Rider
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.paging import PageRequest
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.services.coldchain.service import ColdChainService, Rejection, TaskReading
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.tasks.service import TaskService
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock

NOW = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)


class World:
    def __init__(self, store: Store, database: Database, tmp_path: Path) -> None:
        self.store, self.database = store, database
        self.clock = ManualClock(NOW)
        self.tenant = TenantSlug(unique_tenant())
        self.dispatcher = Caller(self.tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
        self.tasks = TaskService(store, Outlets(None), LocalBlobStore(tmp_path), self.clock)
        self.coldchain = ColdChainService(store, self.clock)

    async def task(self, *items: Item) -> ResourceName:
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=(
                Step("0", StepKind.PICKUP, -1.28, 36.81),
                Step("1", StepKind.DROP_OFF, -1.3, 36.7),
            ),
            items=items or (Item("milk", min_temperature_c=2, max_temperature_c=8),),
        )
        created = await self.tasks.create(self.dispatcher, self.tenant, task, {}, None)
        return ResourceName(self.tenant, "tasks", created.task.id)

    async def rider(self, name: ResourceName) -> Caller:
        fleets = FleetService(self.store, Outlets(None))
        rider = await fleets.create_rider(
            self.dispatcher, self.tenant, Rider(id=uuid.uuid4(), display_name="Amina"), None
        )
        riders = ResourceName(self.tenant, "riders", rider.id)
        await self.tasks.assign(self.dispatcher, name, riders, None, None)
        return Caller(self.tenant, "rider", frozenset({Scope.TELEMETRY}), rider_id=str(rider.id))

    async def outbox(self, name: ResourceName) -> list[str]:
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT event_type FROM outbox WHERE data->>'name' = $1 ORDER BY seq", str(name)
            )
        return [r["event_type"] for r in rows]


@pytest.fixture
def world(store: Store, database: Database, tmp_path: Path) -> World:
    return World(store, database, tmp_path)


def warm(minutes: float, celsius: float = 11.0, probe: str = "probe-1") -> Reading:
    return Reading(probe, NOW - timedelta(minutes=30 - minutes), celsius)


async def test_an_excursion_is_recorded_once_and_a_resent_batch_is_stored_once(
    world: World,
) -> None:
    name = await world.task()
    before = await world.tasks.get(world.dispatcher, name)
    batch = [warm(0, 5.0), *(warm(m) for m in range(1, 8))]

    first = await world.coldchain.record(world.dispatcher, name, batch)
    again = await world.coldchain.record(world.dispatcher, name, batch)

    assert (first.stored, first.duplicates) == (8, 0)
    assert (again.stored, again.duplicates) == (0, 8)
    task = await world.tasks.get(world.dispatcher, name)
    assert task.temperature_excursion
    assert task.temperature_excursion_active
    assert task.last_temperature == warm(7)
    assert task.version == before.version  # a reading is not an edit: the etag holds
    trail = await world.tasks.events(world.dispatcher, name, 0, 100)
    excursions = [e for _, e in trail if e.type == "temperature_excursion"]
    assert len(excursions) == 1
    assert excursions[0].temperature is not None
    assert excursions[0].temperature.reading == warm(6)  # 5 minutes after the first at 11 °C
    assert excursions[0].reason
    assert "11 °C on probe probe-1, outside 2 to 8 °C" in (excursions[0].reason)

    await world.coldchain.record(world.dispatcher, name, [warm(9, 6.0)])

    task = await world.tasks.get(world.dispatcher, name)
    assert task.temperature_excursion
    assert not task.temperature_excursion_active
    assert await world.outbox(name) == [
        "task.created",
        "task.temperature_excursion",
        "task.temperature_recovered",
    ]


async def test_concurrent_batches_store_each_reading_once_and_alarm_once(world: World) -> None:
    name = await world.task()
    batch = [warm(m / 2) for m in range(40)]

    results = await asyncio.gather(
        *(world.coldchain.record(world.dispatcher, name, batch[i::2] + batch) for i in range(2))
    )

    assert sum(r.stored for r in results) == 40
    page = await world.coldchain.readings(world.dispatcher, name, PageRequest(100))
    assert len(page.items) == 40
    assert (await world.outbox(name)).count("task.temperature_excursion") == 1


async def test_a_bad_reading_refuses_the_call_and_stores_nothing(world: World) -> None:
    name = await world.task()
    bad = [warm(0), Reading("probe-1", NOW + timedelta(minutes=10), 4.0), warm(1, 300.0)]

    with pytest.raises(InvalidArgument) as refused:
        await world.coldchain.record(world.dispatcher, name, bad)

    fields = [v.field for v in refused.value.violations]
    assert fields == ["readings[1].record_time", "readings[2].celsius"]
    assert (await world.coldchain.readings(world.dispatcher, name, PageRequest(10))).items == []
    with pytest.raises(InvalidArgument):
        await world.coldchain.record(world.dispatcher, name, [])
    missing = ResourceName(world.tenant, "tasks", uuid.uuid4())
    with pytest.raises(NotFound):
        await world.coldchain.record(world.dispatcher, missing, [warm(0)])
    await world.tasks.cancel(world.dispatcher, name, "customer cancelled", None)
    with pytest.raises(FailedPrecondition):
        await world.coldchain.record(world.dispatcher, name, [warm(2)])


async def test_the_stream_stores_a_riders_readings_and_rejects_each_bad_one(
    world: World,
) -> None:
    mine = await world.task()
    rider = await world.rider(mine)
    other = await world.task()  # not the rider's
    readings = [
        TaskReading(mine, warm(0, 4.0)),
        TaskReading(other, warm(0, 4.0)),
        TaskReading(mine, Reading("probe 1", NOW, 4.0)),  # a space: not a device id
        TaskReading(mine, warm(1, 4.5)),
        TaskReading(InvalidArgument.field("task", "is not a task name"), warm(2)),
        TaskReading(mine, warm(3), problem="record_time is required"),
    ]

    outcome = await world.coldchain.record_stream(rider, readings)

    assert (outcome.stored.stored, outcome.stored.duplicates) == (2, 0)
    assert [(r.index, r.reason) for r in outcome.rejected] == [
        (1, Rejection.UNKNOWN_TASK),
        (2, Rejection.INVALID),
        (4, Rejection.UNKNOWN_TASK),
        (5, Rejection.INVALID),
    ]
    again = await world.coldchain.record_stream(rider, readings[:1])
    assert (again.stored.stored, again.stored.duplicates) == (0, 1)


async def test_readings_page_in_time_order_and_stay_in_their_tenant(world: World) -> None:
    name = await world.task(Item("bread"))  # ambient: stored, never judged
    probes = ["probe-b", "probe-a"]
    await world.coldchain.record(
        world.dispatcher, name, [warm(m, 40.0, p) for m in range(10) for p in probes]
    )

    seen: list[Reading] = []
    page = PageRequest(7)
    while True:
        found = await world.coldchain.readings(world.dispatcher, name, page)
        seen.extend(found.items)
        if found.next is None:
            break
        page = PageRequest(7, found.next)

    assert len(seen) == 20
    assert len(set(seen)) == 20
    assert [r.record_time for r in seen] == sorted(r.record_time for r in seen)
    assert await world.outbox(name) == ["task.created"]
    stranger = Caller(TenantSlug(unique_tenant()), "x", frozenset({Scope.ADMIN}))
    async with world.store.read(stranger.tenant) as uow:
        assert (await uow.temperatures.page(name.id, PageRequest(10))).items == []
