"""Task SLA timers on the real database with a clock the test sets: a deadline brings one
``task.sla_at_risk`` and one ``task.sla_breached`` event, once, whatever the number of workers
and across a worker crash; the tenant's policy may hand a late task back to the dispatchers;
a task that ended, or whose pickup is done, is left alone; the rider a task is taken from is
told on its stream, after the commit.

The timer queue is shared by every tenant, so each test works in its own few days of the early
1980s (no other test's timers are due there; each run has a fresh database), looks only at its
own tenant's events and removes its unfired timers at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.fleet import Rider
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.offers import InboxMessage, TaskChangeToRider
from logistics.domain.task_records import SlaPolicy
from logistics.domain.tasks import SlaState, Step, StepKind, Task, TaskKind, TaskState
from logistics.domain.timers import DueTimer
from logistics.events.rider_inbox import NatsRiderInbox
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.tasks.service import TaskService
from logistics.services.timers import TimerRunner
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store, UnitOfWork
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls
from tests.support.timers import drop_unfired_timers, new_pool

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
SLA_EVENTS = ("sla_at_risk", "sla_breached", "manual_dispatch")
_stretches = itertools.count()


@dataclasses.dataclass
class World:
    tenant: TenantSlug
    caller: Caller
    clock: ManualClock
    tasks: TaskService
    fleets: FleetService
    store: Store
    database: Database
    blobs: LocalBlobStore
    start: datetime

    def service(self, store: Store) -> TaskService:
        """The task service as another process would build it, over ``store``."""
        return TaskService(store, Outlets(None), self.blobs, self.clock)

    def runner(self, database: Database, tasks: TaskService | None = None) -> TimerRunner:
        handler = (tasks or self.service(Store(database))).handle_sla_timer
        return TimerRunner(TimerQueue(database), self.clock, task_timers=handler, interval_s=0.01)

    def name(self, task: Task) -> ResourceName:
        return ResourceName(self.tenant, "tasks", task.id)

    async def task(
        self,
        *,
        pickup: timedelta | None = None,
        delivery: timedelta | None = 2 * HOUR,
        service: TaskService | None = None,
    ) -> Task:
        """A pickup and a drop-off, with deadlines this long after the start of the stretch."""
        steps = (
            Step(id="0", kind=StepKind.PICKUP, latitude=-1.28, longitude=36.82),
            Step(id="1", kind=StepKind.DROP_OFF, latitude=-1.30, longitude=36.80),
        )
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=steps,
            pickup_deadline=self.start + pickup if pickup else None,
            delivery_deadline=self.start + delivery if delivery else None,
        )
        created = await (service or self.tasks).create(self.caller, self.tenant, task, {}, None)
        return created.task

    async def rider(self) -> ResourceName:
        rider = await self.fleets.create_rider(
            self.caller, self.tenant, Rider(id=uuid.uuid4(), display_name="Otieno"), None
        )
        return ResourceName(self.tenant, "riders", rider.id)

    async def assigned(self, task: Task) -> Task:
        return await self.tasks.assign(
            self.caller, self.name(task), await self.rider(), "nearest", None
        )

    async def get(self, task: Task) -> Task:
        return await self.tasks.get(self.caller, self.name(task))

    async def trail(self, task: Task) -> list[tuple[str, str, str | None]]:
        """The task's audit trail: (type, actor, reason)."""
        rows = await self.tasks.events(self.caller, self.name(task), 0, 1000)
        return [(e.type, e.actor, e.reason) for _, e in rows]

    async def sla_events(self, task: Task | None = None) -> list[tuple[str, str | None]]:
        """This tenant's SLA events in the outbox, in order: (subject, task name)."""
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                """SELECT subject, data FROM outbox WHERE event_type = ANY($1::text[])
                   ORDER BY seq""",
                [f"task.{kind}" for kind in SLA_EVENTS],
            )
        wanted = str(self.name(task)) if task else None
        return [
            (r["subject"], r["data"]["name"])
            for r in rows
            if wanted is None or r["data"]["name"] == wanted
        ]

    async def pending_timers(self, task: Task) -> dict[str, datetime]:
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                "SELECT kind, due_time FROM timers WHERE subject_id = $1 AND fire_time IS NULL",
                task.id,
            )
        return {r["kind"]: r["due_time"] for r in rows}

    async def fired_timers(self, task: Task) -> list[str]:
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                """SELECT kind FROM timers WHERE subject_id = $1 AND fire_time IS NOT NULL
                   ORDER BY kind""",
                task.id,
            )
        return [r["kind"] for r in rows]

    async def policy(self, action: str, at_risk_before: timedelta = 10 * MINUTE) -> None:
        await self.tasks.update_sla_policy(
            self.caller, self.tenant, SlaPolicy(at_risk_before, action), None
        )


@pytest.fixture
async def world(store: Store, database: Database, tmp_path: Path) -> AsyncIterator[World]:
    # A stretch of a few days per test, all in the 1980s: nothing else is due there.
    start = datetime(1982, 1, 1, tzinfo=UTC) + timedelta(days=3 * next(_stretches))
    clock = ManualClock(start)
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
    blobs = LocalBlobStore(tmp_path)
    world = World(
        tenant,
        caller,
        clock,
        TaskService(store, Outlets(None), blobs, clock),
        FleetService(store, Outlets(None)),
        store,
        database,
        blobs,
        start,
    )
    yield world
    await drop_unfired_timers(store, database, tenant)


@pytest.fixture
async def other_pool(server_urls: ServerUrls) -> AsyncIterator[Database]:
    db = await new_pool(server_urls)
    yield db
    await db.close()


async def test_a_deadline_brings_one_at_risk_and_then_one_breached_event(world: World) -> None:
    task = await world.task(delivery=2 * HOUR)
    assert await world.pending_timers(task) == {
        "task.delivery_at_risk": world.start + 2 * HOUR - 10 * MINUTE,
        "task.delivery_breached": world.start + 2 * HOUR,
    }
    timers = world.runner(world.database, world.tasks)

    world.clock.set(world.start + 2 * HOUR - 10 * MINUTE - timedelta(microseconds=1))
    await timers.fire_due()
    assert await world.sla_events(task) == []
    assert (await world.get(task)).sla_state is SlaState.ON_TRACK

    world.clock.set(world.start + 2 * HOUR - 10 * MINUTE)
    await timers.fire_due()
    await timers.fire_due()
    name = str(world.name(task))
    assert await world.sla_events(task) == [("logistics.task.sla_at_risk", name)]
    at_risk = await world.get(task)
    assert at_risk.sla_state is SlaState.AT_RISK
    assert at_risk.state is TaskState.CREATED

    world.clock.set(world.start + 2 * HOUR + MINUTE)
    await timers.fire_due()
    world.clock.set(world.start + 30 * HOUR)
    await timers.fire_due()
    assert await world.sla_events(task) == [
        ("logistics.task.sla_at_risk", name),
        ("logistics.task.sla_breached", name),
    ]
    breached = await world.get(task)
    assert breached.sla_state is SlaState.BREACHED
    assert (breached.state, breached.manual_dispatch) == (TaskState.CREATED, False)
    assert await world.trail(task) == [
        ("created", "dispatcher@test", None),
        ("sla_at_risk", "system", "delivery deadline"),
        ("sla_breached", "system", "delivery deadline"),
    ]
    assert await world.pending_timers(task) == {}


async def test_the_pickup_deadline_is_watched_as_well_as_the_delivery_deadline(
    world: World,
) -> None:
    task = await world.task(pickup=HOUR, delivery=3 * HOUR)
    timers = world.runner(world.database, world.tasks)
    world.clock.set(world.start + HOUR - 5 * MINUTE)
    await timers.fire_due()
    assert [t[0] for t in await world.trail(task)] == ["created", "sla_at_risk"]
    assert (await world.trail(task))[-1][2] == "pickup deadline"

    world.clock.set(world.start + HOUR)
    await timers.fire_due()
    assert (await world.trail(task))[-1] == ("sla_breached", "system", "pickup deadline")
    # Once breached, the later delivery at-risk alert does not lower the task to "at risk".
    world.clock.set(world.start + 3 * HOUR - 5 * MINUTE)
    await timers.fire_due()
    assert (await world.get(task)).sla_state is SlaState.BREACHED
    world.clock.set(world.start + 3 * HOUR)
    await timers.fire_due()
    assert [(kind, reason) for kind, _, reason in await world.trail(task)] == [
        ("created", None),
        ("sla_at_risk", "pickup deadline"),
        ("sla_breached", "pickup deadline"),
        ("sla_breached", "delivery deadline"),
    ]


async def test_a_breach_hands_an_assigned_task_back_to_manual_dispatch(world: World) -> None:
    await world.policy("manual_dispatch")
    waiting = await world.assigned(await world.task(delivery=HOUR))
    started = await world.assigned(await world.task(delivery=HOUR))
    started = await world.tasks.start(world.caller, world.name(started), None, None)
    assert waiting.state is TaskState.ASSIGNED

    world.clock.set(world.start + HOUR)
    await world.runner(world.database, world.tasks).fire_due()

    handed_back = await world.get(waiting)
    assert handed_back.state is TaskState.CREATED
    assert handed_back.rider_id is None
    assert handed_back.manual_dispatch is True
    assert handed_back.sla_state is SlaState.BREACHED
    name = str(world.name(waiting))
    assert await world.sla_events(waiting) == [
        ("logistics.task.sla_at_risk", name),
        ("logistics.task.sla_breached", name),
        ("logistics.task.manual_dispatch", name),
    ]
    assert (await world.trail(waiting))[-1] == (
        "manual_dispatch",
        "system",
        "delivery deadline breached",
    )
    # A task already on its way keeps its rider: only the breach is recorded.
    on_its_way = await world.get(started)
    assert (on_its_way.state, on_its_way.rider_id) == (TaskState.EN_ROUTE, started.rider_id)
    assert on_its_way.manual_dispatch is False
    assert [s for s, _ in await world.sla_events(started)] == [
        "logistics.task.sla_at_risk",
        "logistics.task.sla_breached",
    ]


async def test_without_the_manual_dispatch_policy_a_breach_leaves_the_rider_assigned(
    world: World,
) -> None:
    task = await world.assigned(await world.task(delivery=HOUR))
    world.clock.set(world.start + 2 * HOUR)
    await world.runner(world.database, world.tasks).fire_due()
    after = await world.get(task)
    assert (after.state, after.rider_id, after.sla_state) == (
        TaskState.ASSIGNED,
        task.rider_id,
        SlaState.BREACHED,
    )
    assert after.manual_dispatch is False


async def test_the_rider_a_breach_takes_a_task_from_is_told_once_it_is_committed(
    world: World, server_urls: ServerUrls
) -> None:
    nats = NatsClient()
    await nats.connect(server_urls.nats_url)
    try:
        inbox = NatsRiderInbox(nats)
        tasks = TaskService(world.store, Outlets(None), world.blobs, world.clock, riders=inbox)
        await world.policy("manual_dispatch")
        task = await world.assigned(await world.task(delivery=HOUR))
        received: asyncio.Queue[InboxMessage] = asyncio.Queue()
        seen_when_told: list[TaskState] = []

        async def deliver(message: InboxMessage) -> None:
            # What the app does on the nudge: it reads the task again, and must see the change.
            seen_when_told.append((await tasks.get(world.caller, world.name(task))).state)
            await received.put(message)

        stop = await inbox.subscribe(str(world.tenant), str(task.rider_id), deliver)
        try:
            await nats.flush()
            world.clock.set(world.start + HOUR)
            await world.runner(world.database, tasks).fire_due()
            told = await asyncio.wait_for(received.get(), 10)
        finally:
            await stop()
        assert isinstance(told, TaskChangeToRider)
        assert (told.task, told.unassigned, told.state) == (str(world.name(task)), True, "created")
        assert seen_when_told == [TaskState.CREATED]
    finally:
        await nats.close()


async def test_two_runners_on_two_pools_fire_each_timer_once(
    world: World, other_pool: Database
) -> None:
    tasks = [await world.task(delivery=HOUR + i * MINUTE) for i in range(6)]
    first, second = world.runner(world.database), world.runner(other_pool)

    world.clock.set(world.start + HOUR)  # every at-risk timer, no deadline yet
    await asyncio.gather(first.fire_due(), second.fire_due(), first.fire_due(), second.fire_due())
    world.clock.set(world.start + 2 * HOUR)  # every deadline
    await asyncio.gather(first.fire_due(), second.fire_due(), first.fire_due(), second.fire_due())

    for task in tasks:
        assert [s for s, _ in await world.sla_events(task)] == [
            "logistics.task.sla_at_risk",
            "logistics.task.sla_breached",
        ]
        assert await world.fired_timers(task) == ["task.delivery_at_risk", "task.delivery_breached"]
        assert await world.pending_timers(task) == {}


async def test_timers_fire_once_after_a_worker_dies_while_firing_them(
    world: World, server_urls: ServerUrls
) -> None:
    # The task and its timers are made by one process, which then goes away.
    maker = await new_pool(server_urls)
    task = await world.task(delivery=HOUR, service=world.service(Store(maker)))
    await maker.close()

    # A worker claims the at-risk timer, runs the handler and dies before committing.
    doomed = await new_pool(server_urls)
    tasks = world.service(Store(doomed))
    inside, never = asyncio.Event(), asyncio.Event()

    async def handle_then_hang(uow: UnitOfWork, timer: DueTimer) -> None:
        await tasks.handle_sla_timer(uow, timer)
        inside.set()
        await never.wait()

    dying = TimerRunner(TimerQueue(doomed), world.clock, task_timers=handle_then_hang)
    world.clock.set(world.start + HOUR - 5 * MINUTE)
    firing = asyncio.create_task(dying.fire_due())
    await asyncio.wait_for(inside.wait(), 10)
    doomed.pool.terminate()
    firing.cancel()
    with pytest.raises((asyncio.CancelledError, Exception)):
        await firing
    assert await world.sla_events(task) == []  # its work died with it

    # New workers, each on a pool of its own, pick the timers up.
    pools = [await new_pool(server_urls), await new_pool(server_urls)]
    try:
        runners = [world.runner(db) for db in pools]
        for _ in range(100):  # until the server has noticed the dead connection
            await asyncio.gather(*(r.fire_due() for r in runners))
            if await world.sla_events(task):
                break
            await asyncio.sleep(0.05)
        world.clock.set(world.start + 2 * HOUR)
        await asyncio.gather(*(r.fire_due() for r in runners * 2))
    finally:
        for db in pools:
            await db.close()

    assert [s for s, _ in await world.sla_events(task)] == [
        "logistics.task.sla_at_risk",
        "logistics.task.sla_breached",
    ]
    assert (await world.get(task)).sla_state is SlaState.BREACHED
    assert await world.fired_timers(task) == ["task.delivery_at_risk", "task.delivery_breached"]


async def test_timers_made_before_a_restart_fire_once_on_the_new_workers(
    world: World, server_urls: ServerUrls
) -> None:
    before = [await new_pool(server_urls), await new_pool(server_urls)]
    tasks = [
        await world.task(pickup=HOUR, delivery=2 * HOUR, service=world.service(Store(db)))
        for db in before
    ]
    for db in before:
        await db.close()

    after = [await new_pool(server_urls), await new_pool(server_urls)]
    try:
        runners = [world.runner(db) for db in after]
        for moment in (HOUR - MINUTE, HOUR, 2 * HOUR - MINUTE, 2 * HOUR):
            world.clock.set(world.start + moment)
            await asyncio.gather(*(r.fire_due() for r in runners * 2))
    finally:
        for db in after:
            await db.close()

    for task in tasks:
        assert [(kind, reason) for kind, _, reason in await world.trail(task)] == [
            ("created", None),
            ("sla_at_risk", "pickup deadline"),
            ("sla_breached", "pickup deadline"),
            ("sla_breached", "delivery deadline"),
        ]
        assert len(await world.fired_timers(task)) == 4


async def test_a_task_that_ends_before_its_deadline_fires_nothing(world: World) -> None:
    completed = await world.task(pickup=HOUR, delivery=2 * HOUR)
    cancelled = await world.task(pickup=HOUR, delivery=2 * HOUR)
    failed = await world.task(pickup=HOUR, delivery=2 * HOUR)
    name = world.name
    for task in (completed, failed):
        await world.assigned(task)
        await world.tasks.start(world.caller, name(task), None, None)
    for i in ("0", "1"):
        await world.tasks.arrive(world.caller, name(completed), i, None, None)
        await world.tasks.complete_step(world.caller, name(completed), i, [], None, None)
    await world.tasks.cancel(world.caller, name(cancelled), "customer called", None)
    await world.tasks.fail(world.caller, name(failed), "flat tyre", None, None)

    for task in (completed, cancelled, failed):
        assert await world.pending_timers(task) == {}
    world.clock.set(world.start + 10 * HOUR)
    await world.runner(world.database, world.tasks).fire_due()
    assert await world.sla_events() == []
    assert (await world.get(completed)).state is TaskState.COMPLETED
    assert (await world.get(completed)).sla_state is SlaState.ON_TRACK


async def test_an_ended_task_whose_timer_is_already_due_is_left_alone(world: World) -> None:
    # A timer claimed after the task ended (say it was due while the task was completing).
    task = await world.task(delivery=HOUR)
    await world.tasks.cancel(world.caller, world.name(task), None, None)
    async with world.store.write(world.tenant) as uow:
        await uow.timers.set("task.delivery_breached", task.id, world.start + HOUR)
    world.clock.set(world.start + 2 * HOUR)
    assert await world.runner(world.database, world.tasks).fire_due() >= 1
    assert await world.sla_events(task) == []
    assert await world.fired_timers(task) == ["task.delivery_breached"]
    assert (await world.get(task)).sla_state is SlaState.ON_TRACK


async def test_pickup_timers_do_nothing_once_the_pickup_is_completed(world: World) -> None:
    task = await world.assigned(await world.task(pickup=HOUR, delivery=3 * HOUR))
    name = world.name(task)
    world.clock.set(world.start + 20 * MINUTE)
    await world.tasks.start(world.caller, name, None, None)
    await world.tasks.arrive(world.caller, name, "0", None, None)
    picked_up = await world.tasks.complete_step(world.caller, name, "0", [], None, None)
    assert picked_up.state is TaskState.EN_ROUTE

    timers = world.runner(world.database, world.tasks)
    world.clock.set(world.start + 2 * HOUR)  # past the pickup deadline
    await timers.fire_due()
    assert await world.sla_events(task) == []
    assert (await world.get(task)).sla_state is SlaState.ON_TRACK
    # (and the predicted-arrival check armed by the assignment: this runner has no DelayWatch)
    assert sorted(await world.fired_timers(task)) == [
        "task.eta_check",
        "task.pickup_at_risk",
        "task.pickup_breached",
    ]

    world.clock.set(world.start + 3 * HOUR - 5 * MINUTE)  # the delivery is still watched
    await timers.fire_due()
    assert await world.sla_events(task) == [("logistics.task.sla_at_risk", str(name))]
    assert (await world.trail(task))[-1] == ("sla_at_risk", "system", "delivery deadline")


async def test_a_deadline_too_close_for_an_alert_still_breaches(world: World) -> None:
    await world.policy("none", at_risk_before=30 * MINUTE)
    world.clock.set(world.start + 2 * HOUR - 10 * MINUTE)  # already inside the at-risk window
    task = await world.task(delivery=2 * HOUR)
    pending = await world.pending_timers(task)
    assert pending["task.delivery_breached"] == world.start + 2 * HOUR
    world.clock.set(world.start + 2 * HOUR)
    await world.runner(world.database, world.tasks).fire_due()
    assert [s for s, _ in await world.sla_events(task)][-1:] == ["logistics.task.sla_breached"]
    assert (await world.get(task)).sla_state is SlaState.BREACHED
