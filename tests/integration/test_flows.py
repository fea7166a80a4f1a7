"""Durable flows on the real database, with a clock the test sets: a failed drop-off with a
reason starts the failed-delivery flow in FailTask's transaction; its timer takes the first
steps; the legs' ends drive it on in their own transactions; each step once, whatever the
number of workers, re-drives and a worker that crashes mid-step.

Timers are shared by every tenant, so each test works in its own few days of the 1970s
(nothing else is due there) and removes its unfired timers at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain import failed_delivery as fd
from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import Window
from logistics.domain.errors import (
    EtagMismatch,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from logistics.domain.failed_delivery import FailAction, FailReason
from logistics.domain.fleet import Rider
from logistics.domain.flows import Act, Flow, FlowFilter, FlowKind, FlowState
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.paging import PageRequest
from logistics.domain.returns import TaskPurpose
from logistics.domain.tasks import Item, ProofKind, Step, StepKind, Task, TaskKind, TaskState
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.flows.engine import FlowEngine
from logistics.services.flows.legs import ACTIONS
from logistics.services.flows.service import FlowService
from logistics.services.tasks.proofs import ProofInput
from logistics.services.tasks.service import TaskService
from logistics.services.timers import TimerRunner
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store, UnitOfWork
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls

HOUR = timedelta(hours=1)
_stretches = itertools.count()
FLOW_EVENTS = (
    "flow.started",
    "flow.step_completed",
    "flow.completed",
    "flow.compensating",
    "flow.compensated",
    "flow.failed",
)


@dataclasses.dataclass
class World:
    tenant: TenantSlug
    caller: Caller
    clock: ManualClock
    engine: FlowEngine
    tasks: TaskService
    flows: FlowService
    fleets: FleetService
    store: Store
    database: Database
    blobs: LocalBlobStore
    start: datetime

    def runner(self, database: Database, engine: FlowEngine | None = None) -> TimerRunner:
        return TimerRunner(
            TimerQueue(database),
            self.clock,
            flow_timers=(engine or self.engine).handle_timer,
            interval_s=0.01,
        )

    def name(self, task: Task | uuid.UUID) -> ResourceName:
        return ResourceName(self.tenant, "tasks", task.id if isinstance(task, Task) else task)

    async def task(self) -> Task:
        """A pickup at the outlet and a drop-off in a one-hour window, carrying two items."""
        window = Window(self.start + 2 * HOUR, self.start + 3 * HOUR)
        steps = (
            Step(id="0", kind=StepKind.PICKUP, latitude=-1.28, longitude=36.82),
            Step(id="1", kind=StepKind.DROP_OFF, latitude=-1.30, longitude=36.80, window=window),
        )
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=steps,
            order_id="o-1",
            items=(Item(sku="A", quantity=2), Item(sku="B")),
        )
        return (await self.tasks.create(self.caller, self.tenant, task, {}, None)).task

    async def at_drop_off(self, task: Task) -> Task:
        """``task`` assigned to a new rider, its pickup done, arrived at the drop-off."""
        rider = await self.fleets.create_rider(
            self.caller, self.tenant, Rider(id=uuid.uuid4(), display_name="Otieno"), None
        )
        name = self.name(task)
        rider_name = ResourceName(self.tenant, "riders", rider.id)
        await self.tasks.assign(self.caller, name, rider_name, "nearest", None)
        await self.tasks.start(self.caller, name, None, None)
        first, second = task.steps[0].id, task.steps[1].id
        await self.tasks.arrive(self.caller, name, first, None, None)
        await self.tasks.complete_step(self.caller, name, first, [], None, None)
        return await self.tasks.arrive(self.caller, name, second, None, None)

    async def fail(self, task: Task, reason: FailReason | None) -> Task:
        await self.at_drop_off(task)
        return await self.tasks.fail(
            self.caller, self.name(task), "nobody home", None, None, reason_code=reason
        )

    async def deliver(self, task: Task) -> Task:
        done = await self.at_drop_off(task)
        step = done.steps[1].id
        return await self.tasks.complete_step(self.caller, self.name(task), step, [], None, None)

    async def get(self, task: Task | uuid.UUID) -> Task:
        return await self.tasks.get(self.caller, self.name(task))

    async def flow(self, task: Task) -> Flow:
        flow_id = (await self.get(task)).flow_id
        assert flow_id is not None
        return await self.flows.get(self.caller, ResourceName(self.tenant, "flows", flow_id))

    async def events(self) -> list[tuple[str, Any]]:
        """This tenant's flow events in the outbox, in order: (type, step name or state)."""
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT event_type, data FROM outbox WHERE event_type = ANY($1) ORDER BY seq",
                list(FLOW_EVENTS),
            )
        return [
            (
                r["event_type"],
                r["data"]["step"]["name"] if r["data"].get("step") else r["data"]["flow"]["state"],
            )
            for r in rows
        ]

    async def trail(self, task: Task | uuid.UUID) -> list[tuple[str, str | None]]:
        rows = await self.tasks.events(self.caller, self.name(task), 0, 1000)
        return [(e.type, e.flow) for _, e in rows]

    async def tasks_of_order(self) -> list[Task]:
        async with self.store.read(self.tenant) as uow:
            page = await uow.tasks.find(PageRequest(100), _order_filter())
        return page.items


def _order_filter() -> Any:
    from logistics.domain.task_records import TaskFilter

    return TaskFilter(order_id="o-1")


def build_world(store: Store, database: Database, tmp_path: Path) -> World:
    start = datetime(1975, 1, 1, tzinfo=UTC) + timedelta(days=5 * next(_stretches))
    clock = ManualClock(start)
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
    blobs = LocalBlobStore(tmp_path)
    engine = FlowEngine(clock)
    return World(
        tenant,
        caller,
        clock,
        engine,
        TaskService(store, Outlets(None), blobs, clock, flows=engine),
        FlowService(store),
        FleetService(store, Outlets(None)),
        store,
        database,
        blobs,
        start,
    )


@pytest.fixture
async def world(store: Store, database: Database, tmp_path: Path) -> AsyncIterator[World]:
    world = build_world(store, database, tmp_path)
    yield world
    tenant_id = await store.tenants.find(world.tenant)
    if tenant_id is not None:
        async with database.transaction() as conn:
            await conn.execute(
                "DELETE FROM timers WHERE tenant_id = $1 AND fire_time IS NULL", tenant_id
            )


@pytest.fixture
async def other_pool(server_urls: ServerUrls) -> AsyncIterator[Database]:
    db = await Database.connect(
        server_urls.database_url, role="logistics_app", min_size=1, max_size=4
    )
    yield db
    await db.close()


async def test_a_failed_drop_off_is_reattempted_next_day_and_the_flow_completes(
    world: World,
) -> None:
    task = await world.task()
    failed = await world.fail(task, FailReason.CUSTOMER_ABSENT)
    assert failed.state is TaskState.FAILED
    assert failed.flow_id is not None
    flow = await world.flow(task)
    assert (flow.state, flow.kind, flow.steps) == (FlowState.RUNNING, FlowKind.FAILED_DELIVERY, ())
    assert flow.context["max_attempts"] == 3

    assert await world.runner(world.database).fire_due() == 1
    flow = await world.flow(task)
    assert [s.name for s in flow.steps] == ["take_over", "open_reattempt"]
    leg = await world.get(flow.steps[1].task_id)  # type: ignore[arg-type]
    assert (leg.state, leg.attempt, leg.flow_id, leg.kind) == (
        TaskState.CREATED,
        2,
        flow.id,
        TaskKind.DELIVERY,
    )
    assert leg.items == task.items
    assert leg.order_id == "o-1"
    old = task.steps[1].window
    assert old is not None
    assert leg.steps[1].window == Window(old.start + timedelta(days=1), old.end + timedelta(days=1))
    assert flow.waiting_on == leg.id

    await world.deliver(leg)
    flow = await world.flow(task)
    assert flow.state is FlowState.COMPLETED
    assert flow.waiting_on is None
    assert [s.name for s in flow.steps] == ["take_over", "open_reattempt", "leg_completed"]
    assert await world.events() == [
        ("flow.started", "running"),
        ("flow.step_completed", "take_over"),
        ("flow.step_completed", "open_reattempt"),
        ("flow.step_completed", "leg_completed"),
        ("flow.completed", "completed"),
    ]
    name = f"tenants/{world.tenant}/flows/{flow.id}"
    flow_steps = [f for t, f in await world.trail(task) if t == "flow_step"]
    assert flow_steps == [name] * 3
    assert ("flow_step", name) in await world.trail(leg)
    # Nothing more happens, however often the flow is driven again.
    world.clock.advance(HOUR)
    async with world.store.write(world.tenant) as uow:
        await world.engine.task_changed(uow, None, await world.get(leg))
    assert (await world.flow(task)).steps == flow.steps


async def test_a_reattempt_failing_n_times_ends_in_a_return_to_origin(world: World) -> None:
    task = await world.task()
    await world.fail(task, FailReason.CUSTOMER_ABSENT)
    await world.runner(world.database).fire_due()
    for attempt in (2, 3):
        flow = await world.flow(task)
        leg = await world.get(flow.waiting_on)  # type: ignore[arg-type]
        assert leg.attempt == attempt
        await world.fail(leg, FailReason.CUSTOMER_ABSENT)  # the flow's leg starts no flow
    flow = await world.flow(task)
    assert [s.name for s in flow.steps] == [
        "take_over",
        "open_reattempt",
        "leg_failed",
        "open_reattempt",
        "leg_failed",
        "open_return",
    ]
    back = await world.get(flow.waiting_on)  # type: ignore[arg-type]
    assert back.kind is TaskKind.RETURN
    assert back.items == task.items
    assert (back.steps[0].latitude, back.steps[1].latitude) == (-1.30, -1.28)
    await world.deliver(back)
    flow = await world.flow(task)
    assert flow.state is FlowState.COMPLETED
    assert len(flow.tasks) == 4
    async with world.store.read(world.tenant) as uow:
        assert [f.id for f in (await uow.flows.find(PageRequest(10), FlowFilter())).items] == [
            flow.id
        ]


async def test_a_reattempt_cancelled_upstream_returns_the_goods(world: World) -> None:
    task = await world.task()
    await world.fail(task, FailReason.UNSAFE)
    await world.runner(world.database).fire_due()
    leg_id = (await world.flow(task)).waiting_on
    assert leg_id is not None
    await world.tasks.cancel(world.caller, world.name(leg_id), "order withdrawn", None)
    flow = await world.flow(task)
    assert flow.state is FlowState.COMPENSATED
    compensations = [(s.name, s.compensates) for s in flow.steps if s.compensation]
    assert compensations == [("cancel_leg", 2), ("return_goods", 1)]
    returned = await world.get(flow.steps[-1].task_id)  # type: ignore[arg-type]
    assert returned.kind is TaskKind.RETURN
    assert returned.state is TaskState.CREATED
    assert [e for e in await world.events() if e[0] != "flow.step_completed"] == [
        ("flow.started", "running"),
        ("flow.compensating", "compensating"),
        ("flow.compensated", "compensated"),
    ]


async def test_a_refused_drop_goes_back_and_a_failed_return_fails_the_flow(world: World) -> None:
    task = await world.task()
    await world.fail(task, FailReason.REFUSED)
    await world.runner(world.database).fire_due()
    flow = await world.flow(task)
    assert [s.name for s in flow.steps] == ["take_over", "open_return"]
    back = await world.get(flow.waiting_on)  # type: ignore[arg-type]
    await world.fail(back, FailReason.OTHER)
    flow = await world.flow(task)
    assert flow.state is FlowState.FAILED
    assert flow.steps[-1].name == "leg_failed"
    assert [e for e in await world.events()][-1] == ("flow.failed", "failed")


async def test_a_failure_without_a_reason_or_before_the_drop_off_starts_no_flow(
    world: World,
) -> None:
    task = await world.task()
    assert (await world.fail(task, None)).flow_id is None
    other = await world.task()
    rider = await world.fleets.create_rider(
        world.caller, world.tenant, Rider(id=uuid.uuid4(), display_name="Wanjiru"), None
    )
    await world.tasks.assign(
        world.caller, world.name(other), ResourceName(world.tenant, "riders", rider.id), "", None
    )
    failed = await world.tasks.fail(
        world.caller, world.name(other), "no order", None, None, reason_code=FailReason.OTHER
    )
    assert failed.flow_id is None
    assert await world.events() == []


async def test_many_workers_take_each_step_once(world: World, other_pool: Database) -> None:
    tasks = [await world.task() for _ in range(4)]
    for task in tasks:
        await world.fail(task, FailReason.CUSTOMER_ABSENT)
    runners = [world.runner(world.database), world.runner(other_pool), world.runner(other_pool)]
    fired = await asyncio.gather(*(r.fire_due() for r in runners))
    assert sum(fired) == 4
    for task in tasks:
        flow = await world.flow(task)
        assert [s.name for s in flow.steps] == ["take_over", "open_reattempt"]
    assert len(await world.tasks_of_order()) == 8
    # A re-drive of a flow (its timer again) finds nothing to do.
    flow = await world.flow(tasks[0])
    async with world.store.write(world.tenant) as uow:
        await uow.timers.set("flow.advance", flow.id, world.clock.now())
    assert await world.runner(world.database).fire_due() == 1
    assert (await world.flow(tasks[0])).steps == flow.steps


async def test_a_worker_that_crashes_mid_step_leaves_nothing_and_the_timer_retries(
    world: World,
) -> None:
    task = await world.task()
    await world.fail(task, FailReason.CUSTOMER_ABSENT)

    async def crash_after_the_leg(
        uow: UnitOfWork, flow: Flow, act: Act, now: datetime
    ) -> tuple[uuid.UUID | None, str]:
        await ACTIONS["open_reattempt"](uow, flow, act, now)  # the leg is made ...
        raise RuntimeError("the worker died")  # ... and the transaction never commits

    crashing = FlowEngine(world.clock, {**ACTIONS, "open_reattempt": crash_after_the_leg})
    assert await world.runner(world.database, crashing).fire_due() == 1
    assert (await world.flow(task)).steps == ()
    assert len(await world.tasks_of_order()) == 1
    # The timer comes back a minute later, and a healthy worker takes the steps once.
    assert await world.runner(world.database).fire_due() == 0
    world.clock.advance(timedelta(minutes=1))
    assert await world.runner(world.database).fire_due() == 1
    assert [s.name for s in (await world.flow(task)).steps] == ["take_over", "open_reattempt"]
    assert len(await world.tasks_of_order()) == 2


async def test_flows_are_listed_by_task_kind_and_state_and_read_by_name(world: World) -> None:
    first, second = await world.task(), await world.task()
    await world.fail(first, FailReason.CUSTOMER_ABSENT)
    await world.fail(second, FailReason.REFUSED)
    await world.runner(world.database).fire_due()
    flow = await world.flow(first)
    leg = flow.waiting_on
    assert leg is not None

    async def listed(f: FlowFilter, size: int = 10) -> list[uuid.UUID]:
        page = await world.flows.list_flows(world.caller, world.tenant, PageRequest(size), f)
        return [x.id for x in page.items]

    assert await listed(FlowFilter(task_id=first.id)) == [flow.id]
    assert await listed(FlowFilter(task_id=leg)) == [flow.id]
    assert len(await listed(FlowFilter(state=FlowState.RUNNING))) == 2
    assert await listed(FlowFilter(state=FlowState.COMPLETED)) == []
    assert len(await listed(FlowFilter(kind=FlowKind.FAILED_DELIVERY), size=1)) == 1
    reader = Caller(world.tenant, "reader", frozenset({Scope.READ}))
    got = await world.flows.get(reader, ResourceName(world.tenant, "flows", flow.id))
    assert got == flow


# The failed-delivery policy


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_the_policy_is_the_defaults_until_set_and_is_checked(world: World) -> None:
    got = await world.flows.get_policy(world.caller, world.tenant)
    assert got.rules == fd.with_defaults({})
    assert got.version == 0
    bad = fd.FailedDeliveryPolicy(
        {
            FailReason.CUSTOMER_ABSENT: fd.FailRule(FailAction.REATTEMPT, max_attempts=1),
            FailReason.REFUSED: fd.FailRule(FailAction.HOLD_AT_HUB),
            FailReason.UNSAFE: fd.FailRule(
                FailAction.REATTEMPT, max_attempts=2, fallback=FailAction.REATTEMPT
            ),
        }
    )
    with pytest.raises(InvalidArgument) as caught:
        await world.flows.update_policy(world.caller, world.tenant, bad, None)
    assert {v.field for v in caught.value.violations} == {
        "policy.rules[customer_absent].max_attempts",
        "policy.rules[refused].hub",
        "policy.rules[unsafe].fallback",
    }
    unknown = fd.FailedDeliveryPolicy(
        {FailReason.REFUSED: fd.FailRule(FailAction.HOLD_AT_HUB, hub=fd.Hub(outlet_id="nowhere"))}
    )
    with pytest.raises(InvalidArgument):
        await world.flows.update_policy(world.caller, world.tenant, unknown, None)
    reader = Caller(world.tenant, "reader", frozenset({Scope.READ}))
    with pytest.raises(PermissionDenied):
        await world.flows.update_policy(reader, world.tenant, fd.FailedDeliveryPolicy(), None)
    assert (await world.flows.get_policy(world.caller, world.tenant)).version == 0

    good = fd.FailedDeliveryPolicy(
        {FailReason.CUSTOMER_ABSENT: fd.FailRule(FailAction.REATTEMPT, max_attempts=2)}
    )
    first = await world.flows.update_policy(world.caller, world.tenant, good, None)
    assert first.rule(FailReason.CUSTOMER_ABSENT).max_attempts == 2
    assert first.rule(FailReason.REFUSED) == fd.DEFAULT_RULES[FailReason.REFUSED]
    with pytest.raises(EtagMismatch):
        await world.flows.update_policy(world.caller, world.tenant, good, '"0"')


async def test_a_drop_refused_under_a_hold_rule_goes_to_the_hub_with_its_evidence(
    world: World,
) -> None:
    hub = fd.Hub(outlet_id="hub-east", latitude=-1.25, longitude=36.9, address="East hub")
    held = fd.FailRule(FailAction.HOLD_AT_HUB, hub=hub)
    await world.flows.update_policy(
        world.caller, world.tenant, fd.FailedDeliveryPolicy({FailReason.REFUSED: held}), None
    )
    task = await world.task()
    await world.at_drop_off(task)
    photo = ProofInput(ProofKind.PHOTO, content=PNG)
    note = ProofInput(ProofKind.RECIPIENT_NAME, text="refused by Juma", location=(-1.31, 36.81))
    failed = await world.tasks.fail(
        world.caller,
        world.name(task),
        "refused at the door",
        (-1.3001, 36.8001),
        None,
        reason_code=FailReason.REFUSED,
        evidence=[photo, note],
    )
    # Written in one transaction: listed by id after their common time, so sorted here.
    proofs = sorted(
        await world.tasks.proofs(world.caller, world.name(task)), key=lambda p: p.kind.value
    )
    assert [(p.step_id, p.kind) for p in proofs] == [
        ("1", ProofKind.PHOTO),
        ("1", ProofKind.RECIPIENT_NAME),
    ]
    assert (proofs[0].latitude, proofs[0].longitude) == (-1.3001, 36.8001)
    assert proofs[0].capture_time == world.clock.now()
    assert proofs[0].file_sha256
    assert (proofs[1].latitude, proofs[1].longitude) == (-1.31, 36.81)

    await world.runner(world.database).fire_due()
    flow = await world.flow(failed)
    assert flow.context["hub"]["outlet_id"] == "hub-east"
    back = await world.get(flow.waiting_on)  # type: ignore[arg-type]
    assert back.kind is TaskKind.RETURN
    assert (back.origin_task_id, back.purpose) == (task.id, TaskPurpose.FAILED_DELIVERY)
    assert (back.steps[1].latitude, back.steps[1].outlet_id) == (-1.25, "hub-east")
    assert ("return_created", None) in [(t, f) for t, f in await world.trail(task)]


async def test_evidence_of_a_failure_that_does_not_happen_is_not_kept(world: World) -> None:
    task = await world.task()  # not assigned: it cannot fail
    with pytest.raises(FailedPrecondition):
        await world.tasks.fail(
            world.caller,
            world.name(task),
            "x",
            None,
            None,
            reason_code=FailReason.REFUSED,
            evidence=[ProofInput(ProofKind.PHOTO, content=PNG)],
        )
    assert await world.tasks.proofs(world.caller, world.name(task)) == []
    assert [p for p in world.blobs.root.rglob("*") if p.is_file()] == []


async def test_a_reattempt_is_linked_to_the_failed_task(world: World) -> None:
    task = await world.task()
    await world.fail(task, FailReason.CUSTOMER_ABSENT)
    await world.runner(world.database).fire_due()
    leg = await world.get((await world.flow(task)).waiting_on)  # type: ignore[arg-type]
    assert (leg.origin_task_id, leg.purpose, leg.attempt) == (
        task.id,
        TaskPurpose.FAILED_DELIVERY,
        2,
    )
    assert "linked_task_created" in [t for t, _ in await world.trail(task)]
