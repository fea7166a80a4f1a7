"""The stored outcomes of rider actions on the real database: a task read back whole, an error
with its fields, one row per action id under the tenant's row-level security, and the
retention sweep across tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.store.db import Database
from logistics.store.rider_actions import sweep_rider_actions
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


def task() -> Task:
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(Step("0", StepKind.PICKUP, -1.28, 36.81), Step("1", StepKind.DROP_OFF, -1.3, 36.7)),
        items=(Item("sku-1", "rice", 2),),
        delivery_deadline=datetime(2090, 1, 1, tzinfo=UTC),
        metadata={"source": "pos"},
    )


async def test_an_outcome_is_read_back_as_it_was_stored(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    rider, first, second = "rider:r1", uuid.uuid4(), uuid.uuid4()
    async with store.write(tenant) as uow:
        added = await uow.tasks.add(task())
        await uow.rider_actions.add(rider, first, "en_route", "h1", added)
        await uow.rider_actions.add(
            rider, second, "arrived", "h2", InvalidArgument.field("occurred_time", "is late")
        )
    async with store.read(tenant) as uow:
        ok = await uow.rider_actions.find(rider, first)
        refused = await uow.rider_actions.find(rider, second)
        assert await uow.rider_actions.find("rider:r2", first) is None
    assert ok is not None
    assert ok.outcome == added
    assert (ok.method, ok.request_hash) == ("en_route", "h1")
    assert refused is not None
    assert isinstance(refused.outcome, InvalidArgument)
    assert refused.outcome.message == "invalid request: occurred_time: is late"
    async with store.read(TenantSlug(unique_tenant())) as uow:  # another tenant sees nothing
        assert await uow.rider_actions.find(rider, first) is None


async def test_an_action_id_is_stored_once(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    action = uuid.uuid4()
    error = FailedPrecondition("cannot arrive", reason="ILLEGAL_TRANSITION")
    async with store.write(tenant) as uow:
        await uow.rider_actions.add("rider:r1", action, "arrived", "h", error)
    with pytest.raises(asyncpg.UniqueViolationError):
        async with store.write(tenant) as uow:
            await uow.rider_actions.add("rider:r1", action, "arrived", "h", task())


async def test_the_sweep_drops_outcomes_past_retention_in_every_tenant(
    store: Store, database: Database, owner: asyncpg.Connection
) -> None:
    old, fresh = uuid.uuid4(), uuid.uuid4()
    tenants = [TenantSlug(unique_tenant()) for _ in range(2)]
    for tenant in tenants:
        async with store.write(tenant) as uow:
            for action in (old, fresh):
                await uow.rider_actions.add("rider:r1", action, "en_route", "h", task())
    await owner.execute(
        "UPDATE rider_actions SET create_time = now() - interval '8 days' WHERE action_id = $1",
        old,
    )
    swept = await sweep_rider_actions(database, datetime.now(UTC) - timedelta(days=7))
    assert swept >= 2
    left = await owner.fetch(
        "SELECT action_id FROM rider_actions WHERE action_id = ANY($1::uuid[])", [old, fresh]
    )
    assert [r["action_id"] for r in left] == [fresh, fresh]
