"""Transfers on the real database: transfers created at once onto one shuttle run fill it to
its capacity and no further (one SHUTTLE task per run, the rest get tasks of their own); a
withdrawal racing the rider's pickup has one consistent outcome; another tenant sees none."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import FailedPrecondition, NotFound
from logistics.domain.fleet import Rider
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS, TASKS, TRANSFERS
from logistics.domain.routes import PlanRequest, StopSpec, VehicleSpec
from logistics.domain.tasks import Item, TaskKind, TaskState
from logistics.domain.transfers import Transfer, TransferState
from logistics.geo.distance import StraightLine
from logistics.services.directory import Outlets
from logistics.services.routes.matrix import MatrixCache
from logistics.services.routes.service import RouteService
from logistics.services.routes.templates import RouteTemplates
from logistics.services.tasks.service import TaskService
from logistics.services.transfers.follow import TransferFollower
from logistics.services.transfers.service import TransferService
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock

WESTLANDS, INDUSTRIAL = (-1.2676, 36.8108), (-1.3070, 36.8510)


class World:
    def __init__(self, store: Store, tmp_path: Path) -> None:
        self.store = store
        self.tenant = TenantSlug(unique_tenant())
        self.caller = Caller(self.tenant, "inventory", frozenset({Scope.DISPATCH, Scope.READ}))
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        outlets = Outlets(None)  # no registry locations: the requests' own are used
        self.tasks = TaskService(
            store,
            outlets,
            LocalBlobStore(tmp_path),
            self.clock,
            follower=TransferFollower(self.clock),
            max_active_tasks=5,
        )
        self.transfers = TransferService(store, outlets, self.clock)
        routes = RouteService(store, self.tasks, MatrixCache(StraightLine()), self.clock)
        self.templates = RouteTemplates(store, routes, self.clock)

    def transfer(self, quantity: int = 10) -> Transfer:
        now = self.clock.now()
        return Transfer(
            uuid.uuid4(),
            "wh-westlands",
            "wh-industrial",
            WESTLANDS,
            INDUSTRIAL,
            (Item(sku="rice-5kg", quantity=quantity),),
            now,
            now + timedelta(hours=6),
        )

    async def shuttle(self, items: int) -> None:
        now = self.clock.now()
        stops = (
            StopSpec(
                "wh-westlands",
                WESTLANDS,
                Window(now + timedelta(hours=1), now + timedelta(hours=2)),
            ),
            StopSpec(
                "dock", INDUSTRIAL, Window(now + timedelta(hours=2), now + timedelta(hours=3))
            ),
        )
        van = VehicleSpec("van", WESTLANDS, WESTLANDS, capacity=Capacity(item_count=items))
        await self.templates.create(
            self.caller,
            self.tenant,
            "shuttle",
            PlanRequest(stops, (van,)),
            frozenset(range(1, 8)),
            0,
        )

    async def rider(self) -> uuid.UUID:
        rider = Rider(uuid.uuid4(), "Otieno")
        async with self.store.write(self.tenant) as uow:
            await uow.riders.add(rider)
        return rider.id


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    return World(store, tmp_path)


async def test_transfers_created_at_once_fill_a_run_to_its_capacity(world: World) -> None:
    await world.shuttle(items=50)
    made = await asyncio.gather(
        *(
            world.transfers.create(world.caller, world.tenant, world.transfer(), None)
            for _ in range(8)
        )
    )
    on_run = [t for t in made if t.template_id is not None]
    own = [t for t in made if t.template_id is None]
    assert len(on_run) == 5
    assert len(own) == 3
    assert len({t.task_id for t in on_run}) == 1
    assert all(t.state is TransferState.SCHEDULED for t in made)
    async with world.store.read(world.tenant) as uow:
        shuttle = await uow.tasks.get(on_run[0].task_id)  # type: ignore[arg-type]
        runs = await uow.conn.fetchval("SELECT count(*) FROM shuttle_runs")
        kinds = [(await uow.tasks.get(t.task_id)).kind for t in own]  # type: ignore[arg-type,union-attr]
    assert shuttle is not None
    assert shuttle.kind is TaskKind.SHUTTLE
    assert sum(i.quantity for i in shuttle.items) == 50
    assert runs == 1
    assert kinds == [TaskKind.TRANSFER] * 3


async def test_a_withdrawal_racing_the_pickup_has_one_outcome(world: World) -> None:
    for _ in range(5):
        t = await world.transfers.create(world.caller, world.tenant, world.transfer(), None)
        task = TASKS.resource(world.tenant, t.task_id)  # type: ignore[arg-type]
        rider = await world.rider()
        await world.tasks.assign(
            world.caller, task, RIDERS.resource(world.tenant, rider), None, None
        )
        await world.tasks.start(world.caller, task, None, None)
        await world.tasks.arrive(world.caller, task, "0", None, None)
        withdrawal, pickup = await asyncio.gather(
            world.transfers.cancel(
                world.caller, TRANSFERS.resource(world.tenant, t.id), "recount", None
            ),
            world.tasks.complete_step(world.caller, task, "0", [], None, None),
            return_exceptions=True,
        )
        after = await world.transfers.get(world.caller, TRANSFERS.resource(world.tenant, t.id))
        carried = await world.tasks.get(world.caller, task)
        if isinstance(pickup, FailedPrecondition):  # withdrawn first: nothing was picked up
            assert after.state is TransferState.CANCELLED
            assert carried.state is TaskState.CANCELLED
            assert after.return_task_id is None
        else:  # picked up first: the withdrawal sends the goods back
            assert not isinstance(pickup, BaseException), pickup
            assert after.state is TransferState.RETURNING
            assert after.return_task_id is not None
            back = await world.tasks.get(
                world.caller, TASKS.resource(world.tenant, after.return_task_id)
            )
            assert (back.kind, back.rider_id) == (TaskKind.RETURN, rider)
        assert not isinstance(withdrawal, BaseException), withdrawal


async def test_another_tenant_sees_no_transfer(world: World, store: Store, tmp_path: Path) -> None:
    t = await world.transfers.create(world.caller, world.tenant, world.transfer(), None)
    other = World(store, tmp_path)
    with pytest.raises(NotFound):
        await other.transfers.get(other.caller, TRANSFERS.resource(other.tenant, t.id))


async def test_a_shuttle_failing_while_transfers_are_created_for_its_run(world: World) -> None:
    await world.shuttle(items=100)
    on_run = [
        await world.transfers.create(world.caller, world.tenant, world.transfer(), None)
        for _ in range(2)
    ]
    shuttle = TASKS.resource(world.tenant, on_run[0].task_id)  # type: ignore[arg-type]
    rider = await world.rider()
    await world.tasks.assign(
        world.caller, shuttle, RIDERS.resource(world.tenant, rider), None, None
    )
    await world.tasks.start(world.caller, shuttle, None, None)
    failed, *made = await asyncio.gather(
        world.tasks.fail(world.caller, shuttle, "lorry broke down", None, None),
        *(
            world.transfers.create(world.caller, world.tenant, world.transfer(), None)
            for _ in range(3)
        ),
    )
    assert failed.state is TaskState.FAILED
    # Neither side waited on the other for ever: the new ones and the rescheduled ones each
    # have a task of their own (the run's task failed: it takes no one).
    for t in [*made, *on_run]:
        now = await world.transfers.get(world.caller, TRANSFERS.resource(world.tenant, t.id))
        assert now.state is TransferState.SCHEDULED
        assert now.task_id != failed.id
        assert now.template_id is None
