"""Readiness on the real database: a task's expected and marked ready times and its steps'
curbside flag and pickup wait are stored and read back as they were, on insert and on save."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

from logistics.domain import tasks as machine
from logistics.domain.ids import TenantSlug
from logistics.domain.tasks import Step, StepKind, Task, TaskKind, TaskState
from logistics.store.task_repo import task_from_json, task_json
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_ready_times_curbside_and_the_wait_survive_a_round_trip(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    task = Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(
            Step("0", StepKind.PICKUP, -1.26, 36.80, curbside=True, outlet_id="kitchen-1"),
            Step("1", StepKind.DROP_OFF, -1.29, 36.82),
        ),
        ready_time=T0 + timedelta(minutes=15),
    )
    async with store.write(tenant) as uow:
        added = await uow.tasks.add(task)
    assert (added.ready_time, added.mark_ready_time) == (task.ready_time, None)
    assert [s.curbside for s in added.steps] == [True, False]

    moving = dataclasses.replace(added, state=TaskState.EN_ROUTE)
    picked = machine.complete_step(
        machine.arrive(machine.mark_ready(moving, T0 + timedelta(minutes=9)), "0", T0),
        "0",
        frozenset(),
        T0 + timedelta(minutes=10),
    )
    async with store.write(tenant) as uow:
        saved = await uow.tasks.save(picked)
    async with store.read(tenant) as uow:
        read = await uow.tasks.get(task.id)

    assert read == saved
    assert read is not None
    assert read.mark_ready_time == T0 + timedelta(minutes=9)
    assert read.steps[0].wait_seconds == 9 * 60
    assert read.steps[0].curbside
    assert read.steps[1].wait_seconds is None
    # A rider action's stored outcome keeps the task as JSON: the ready times come back too.
    assert task_from_json(json.loads(json.dumps(task_json(read)))) == read


async def test_a_batch_insert_keeps_the_ready_time_and_curbside(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    tasks = [
        Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=(Step("0", StepKind.PICKUP, -1.26, 36.80, curbside=n % 2 == 0),),
            ready_time=T0 + timedelta(minutes=n) if n else None,
        )
        for n in range(3)
    ]
    async with store.write(tenant) as uow:
        added = await uow.tasks.add_many(tasks)
    async with store.read(tenant) as uow:
        assert await uow.tasks.get_many([t.id for t in tasks]) == added
    assert [t.ready_time for t in added] == [
        None,
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
    ]
    assert [t.steps[0].curbside for t in added] == [True, False, True]
