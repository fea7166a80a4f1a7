"""Batch dispatch on the real database and Redis: riders' positions and dispatch profiles in
the live index, tasks in Postgres. A plan changes nothing; applying it leaves each task
ASSIGNED to its planned rider with an audited ``assigned`` event; riders that are stale,
ineligible or busy are not used, and a task that is not open or that changes while the plan
is applied is reported unassigned."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from bengobox.logistics.v1 import dispatch_pb2

from logistics.api import edge
from logistics.api.batch import assign_batch
from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import InvalidArgument
from logistics.domain.fleet import Rider, VehicleType
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind, TaskState
from logistics.domain.telemetry import EARTH_RADIUS_M, Ping, epoch_us
from logistics.geo.distance import StraightLine
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import DispatchProfile
from logistics.services.directory import Outlets
from logistics.services.dispatch.batch import BatchDispatchService, BatchPlan
from logistics.services.fleet import FleetService
from logistics.services.tasks.service import TaskService
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls

NAIROBI = (-1.2864, 36.8172)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def at(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


class CancelsOnFirstAssign(TaskService):
    """Someone cancels ``victim`` just as the plan starts to be applied."""

    victim: ResourceName | None = None

    async def assign(
        self,
        caller: Caller,
        name: ResourceName,
        rider: ResourceName,
        reason: str | None,
        etag: str | None,
        *,
        only_if_unassigned: bool = False,
    ) -> Task:
        victim, self.victim = self.victim, None
        if victim is not None:
            await self.cancel(caller, victim, "customer called", None)
        return await super().assign(
            caller, name, rider, reason, etag, only_if_unassigned=only_if_unassigned
        )


@dataclass
class World:
    tenant: TenantSlug
    caller: Caller
    now: datetime
    tasks: CancelsOnFirstAssign
    fleets: FleetService
    index: LiveIndex
    batch: BatchDispatchService

    async def rider(
        self,
        where: tuple[float, float],
        *,
        seen: timedelta = timedelta(seconds=5),
        eligible: bool = True,
        busy: bool = False,
        weight_kg: float = 0.0,
    ) -> ResourceName:
        """An active rider on a motorbike, last seen ``seen`` ago at ``where``."""
        rider = await self.fleets.create_rider(
            self.caller, self.tenant, Rider(id=uuid.uuid4(), display_name="Wanjiru"), None
        )
        rider_id = str(rider.id)
        ping = Ping(1, epoch_us(self.now - seen), where[0], where[1], accuracy_m=5.0)
        await self.index.ingest(self.tenant, rider_id, [ping], {1}, self.now - seen, 0)
        await self.index.set_profile(
            self.tenant,
            rider_id,
            DispatchProfile(
                vehicle_type=VehicleType.MOTORBIKE.value,
                weight_kg=weight_kg,
                volume_l=0.0,
                item_count=0,
                fleet_id=None,
                zone=None,
                eligible_until=self.now + timedelta(hours=2) if eligible else None,
                busy=busy,
                load=0,
            ),
        )
        return ResourceName(self.tenant, "riders", rider.id)

    async def task(
        self, pickup: tuple[float, float], drop_off: tuple[float, float], outlet: str
    ) -> ResourceName:
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            outlet_id=outlet,
            steps=(
                Step("pickup", StepKind.PICKUP, *pickup),
                Step("drop", StepKind.DROP_OFF, *drop_off),
            ),
        )
        created = await self.tasks.create(self.caller, self.tenant, task, {}, None)
        return ResourceName(self.tenant, "tasks", created.task.id)

    async def state(self, name: ResourceName) -> tuple[TaskState, uuid.UUID | None]:
        task = await self.tasks.get(self.caller, name)
        return task.state, task.rider_id

    async def trail(self, name: ResourceName) -> list[tuple[str, str, str | None]]:
        rows = await self.tasks.events(self.caller, name, 0, 100)
        return [(e.type, e.actor, e.reason) for _, e in rows]


@pytest.fixture
async def redis_client(server_urls: ServerUrls) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(server_urls.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def world(store: Store, redis_client: aioredis.Redis, tmp_path: Path) -> AsyncIterator[World]:
    tenant = TenantSlug(unique_tenant())
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    caller = Caller(tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
    tasks = CancelsOnFirstAssign(
        store, Outlets(None), LocalBlobStore(tmp_path), clock, max_active_tasks=3
    )
    index = LiveIndex(redis_client)
    batch = BatchDispatchService(
        store, tasks, index, StraightLine(), clock, max_active_tasks=3, time_limit_s=5.0
    )
    yield World(tenant, caller, now, tasks, FleetService(store, Outlets(None)), index, batch)
    async for key in redis_client.scan_iter(match=f"{LiveIndex.prefix(tenant)}*", count=500):
        await redis_client.delete(key)


def shares(plan: BatchPlan) -> dict[ResourceName, set[ResourceName]]:
    return {a.rider: set(a.tasks) for a in plan.assignments}


async def test_a_plan_is_returned_unapplied_then_applied_to_the_planned_riders(
    world: World,
) -> None:
    # Two deliveries from the Junction outlet to neighbouring streets, one from Sarit 6 km away.
    junction, sarit = at(0), at(6000, 0)
    a = await world.task(junction, at(1500, 200), "junction")
    b = await world.task(junction, at(1700, 400), "junction")
    c = await world.task(sarit, at(7000, 500), "sarit")
    near_junction = await world.rider(at(-300))
    near_sarit = await world.rider(at(6200))
    far = await world.rider(at(-15000))

    planned = await world.batch.assign_batch(
        world.caller, world.tenant, [a, b, c], [far, near_junction, near_sarit], apply=False
    )

    assert shares(planned) == {near_junction: {a, b}, near_sarit: {c}}
    assert planned.unassigned == ()
    assert not planned.applied
    assert all(a.cost > 0 for a in planned.assignments)
    for task in (a, b, c):
        assert await world.state(task) == (TaskState.CREATED, None)

    applied = await world.batch.assign_batch(
        world.caller, world.tenant, [a, b, c], [far, near_junction, near_sarit], apply=True
    )

    assert applied.applied
    assert shares(applied) == shares(planned)
    assert [x.cost for x in applied.assignments] == [x.cost for x in planned.assignments]
    for task, rider in ((a, near_junction), (b, near_junction), (c, near_sarit)):
        assert await world.state(task) == (TaskState.ASSIGNED, rider.id)
        assert (await world.trail(task))[-1] == ("assigned", "dispatcher@test", "batch plan")


async def test_stale_ineligible_and_busy_riders_are_not_used(world: World) -> None:
    task = await world.task(at(0), at(1000), "junction")
    stale = await world.rider(at(10), seen=timedelta(minutes=5))
    ineligible = await world.rider(at(20), eligible=False)
    busy = await world.rider(at(30), busy=True)
    unknown = ResourceName(world.tenant, "riders", uuid.uuid4())  # never seen at all

    plan = await world.batch.assign_batch(
        world.caller, world.tenant, [task], [stale, ineligible, busy, unknown], apply=True
    )

    assert plan.assignments == ()
    assert plan.unassigned == (task,)
    assert await world.state(task) == (TaskState.CREATED, None)

    available = await world.rider(at(5000))
    plan = await world.batch.assign_batch(
        world.caller, world.tenant, [task], [stale, available], apply=False
    )
    assert shares(plan) == {available: {task}}


async def test_a_task_not_open_or_changed_while_applying_is_left_unassigned(
    world: World,
) -> None:
    taken = await world.task(at(0), at(1000), "junction")
    rider = await world.rider(at(-100))
    await world.tasks.assign(world.caller, taken, rider, "by hand", None)
    first = await world.task(at(0, 3000), at(800, 3000), "westlands")
    cancelled = await world.task(at(0, -3000), at(800, -3000), "yaya")
    riders = [rider, await world.rider(at(0, 2900)), await world.rider(at(0, -2900))]

    world.tasks.victim = cancelled
    plan = await world.batch.assign_batch(
        world.caller, world.tenant, [taken, first, cancelled], riders, apply=True
    )

    assert plan.unassigned == (taken, cancelled)
    assert [t for a in plan.assignments for t in a.tasks] == [first]
    assert await world.state(cancelled) == (TaskState.CANCELLED, None)
    assert await world.state(taken) == (TaskState.ASSIGNED, rider.id)


async def test_capacity_keeps_heavy_loads_apart(world: World) -> None:
    # Two 6 kg parcels from one outlet and a rider who carries 10 kg: one each for two riders.
    names = []
    for i in range(2):
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            outlet_id="junction",
            steps=(
                Step("pickup", StepKind.PICKUP, *at(0)),
                Step("drop", StepKind.DROP_OFF, *at(1000, 100 * i)),
            ),
            items=(Item(weight_kg=6.0),),
        )
        created = await world.tasks.create(world.caller, world.tenant, task, {}, None)
        names.append(ResourceName(world.tenant, "tasks", created.task.id))
    small = await world.rider(at(-50), weight_kg=10)
    other = await world.rider(at(-4000), weight_kg=10)

    plan = await world.batch.assign_batch(
        world.caller, world.tenant, names, [small, other], apply=False
    )

    assert sorted(len(a.tasks) for a in plan.assignments) == [1, 1]


async def test_the_batch_is_checked_before_anything_is_read(world: World) -> None:
    task = await world.task(at(0), at(1000), "junction")
    rider = await world.rider(at(0))
    with pytest.raises(InvalidArgument) as twice:
        await world.batch.assign_batch(
            world.caller, world.tenant, [task, task], [rider], apply=False
        )
    assert twice.value.violations[0].field == "tasks[1]"
    with pytest.raises(InvalidArgument) as none:
        await world.batch.assign_batch(world.caller, world.tenant, [task], [], apply=False)
    assert none.value.violations[0].field == "riders"
    too_many = [ResourceName(world.tenant, "tasks", uuid.uuid4()) for _ in range(501)]
    with pytest.raises(InvalidArgument):
        await world.batch.assign_batch(world.caller, world.tenant, too_many, [rider], apply=False)


async def test_the_rpc_takes_names_and_renders_the_plan(world: World) -> None:
    task = await world.task(at(0), at(1000), "junction")
    rider = await world.rider(at(-100))
    # What the edge interceptor does for a verified token.
    token = edge._caller_var.set(world.caller)
    try:
        response = await assign_batch(
            world.batch,
            dispatch_pb2.AssignBatchRequest(
                parent=f"tenants/{world.tenant}",
                tasks=[str(task), str(ResourceName(world.tenant, "tasks", uuid.uuid4()))],
                riders=[str(rider)],
                apply=True,
            ),
        )
        with pytest.raises(InvalidArgument) as other_tenant:
            await assign_batch(
                world.batch,
                dispatch_pb2.AssignBatchRequest(
                    parent=f"tenants/{world.tenant}",
                    tasks=[f"tenants/someone-else/tasks/{uuid.uuid4()}"],
                    riders=[str(rider)],
                ),
            )
    finally:
        edge._caller_var.reset(token)
    assert [(a.rider, list(a.tasks)) for a in response.assignments] == [(str(rider), [str(task)])]
    assert response.assignments[0].cost > 0
    assert len(response.unassigned_tasks) == 1  # the task that does not exist
    assert response.applied
    assert other_tenant.value.violations[0].field == "tasks[0]"
