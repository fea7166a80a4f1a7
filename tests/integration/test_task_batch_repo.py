"""The batch writes of tasks on the real database: many tasks in one pipelined insert read back
in order, their trail, audit rows, outbox events and SLA timers, and request ids claimed at
once (the earlier results of ids already used), all under the tenant's row-level security."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from logistics.domain.events import TaskCreated
from logistics.domain.ids import TenantSlug
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant

FAR = datetime(2090, 1, 1, tzinfo=UTC)  # no test's timer runner reaches it


def task(n: int) -> Task:
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(Step("0", StepKind.PICKUP, -1.28, 36.81 + n / 1000),),
        order_id=f"order-{n}",
        delivery_deadline=FAR + timedelta(minutes=n),
    )


async def test_many_tasks_are_added_and_read_back_in_order(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    tasks = [task(n) for n in range(50)]
    async with store.write(tenant) as uow:
        added = await uow.tasks.add_many(tasks)
        await uow.tasks.add_created_events(added, "dispatcher")
        await uow.emit_many([TaskCreated(name=f"x/{t.id}", task=t) for t in added])
        await uow.timers.add_many(
            [("task.delivery_breached", t.id, t.delivery_deadline) for t in added]
        )
    assert [t.order_id for t in added] == [f"order-{n}" for n in range(50)]
    assert all(t.version == 1 and t.create_time is not None for t in added)
    async with store.read(tenant) as uow:
        assert await uow.tasks.get_many([t.id for t in reversed(tasks)]) == added[::-1]
        assert [e.type for _, e in await uow.tasks.events(added[7].id, 0, 10)] == ["created"]
        outbox = await uow.conn.fetchval(
            "SELECT count(*) FROM outbox WHERE subject = 'logistics.task.created'"
        )
        timers = await uow.conn.fetch(
            "SELECT subject_id FROM timers WHERE kind = 'task.delivery_breached'"
            " AND subject_id = ANY($1::uuid[])",
            [t.id for t in added],
        )
    assert outbox == 50
    assert len(timers) == 50
    async with store.write(tenant) as uow:
        await uow.conn.execute(
            "DELETE FROM timers WHERE subject_id = ANY($1::uuid[])", [t.id for t in added]
        )
    async with store.read(TenantSlug(unique_tenant())) as other:
        assert await other.tasks.get_many([t.id for t in added]) == []


async def test_request_ids_are_claimed_at_once(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with store.write(tenant) as uow:
        assert (
            await uow.claim_requests("CreateTask", [("a", "h1", first), ("b", "h2", second)]) == {}
        )
    async with store.write(tenant) as uow:
        earlier = await uow.claim_requests("CreateTask", [("a", "h1", third), ("c", "h3", third)])
    assert {k: (v.request_hash, v.resource_id) for k, v in earlier.items()} == {"a": ("h1", first)}
    async with store.write(TenantSlug(unique_tenant())) as uow:  # another tenant's keys
        assert await uow.claim_requests("CreateTask", [("a", "h9", third)]) == {}


async def test_added_tasks_are_what_reading_them_back_gives(store: Store) -> None:
    """add_many takes the stored times from RETURNING instead of reading the tasks back: the
    tasks it returns (which the audit rows and events show) must be those a read gives."""
    tenant = TenantSlug(unique_tenant())
    nairobi = timezone(timedelta(hours=3))
    tasks = [
        dataclasses.replace(
            task(n),
            pickup_deadline=datetime(2090, 1, 1, 9, n, tzinfo=nairobi),
            items=(Item(sku="sku-1", quantity=2, weight_kg=1.5),),
            metadata={"source": "pos", "n": n},
            notes="ring twice" if n else None,
        )
        for n in range(3)
    ]
    async with store.write(tenant) as uow:
        added = await uow.tasks.add_many(tasks)
    async with store.read(tenant) as uow:
        assert await uow.tasks.get_many([t.id for t in tasks]) == added
    assert added[0].pickup_deadline is not None
    assert added[0].pickup_deadline.utcoffset() == timedelta(0)


async def test_created_audit_rows_and_events_are_those_of_one_at_a_time(store: Store) -> None:
    """audit_and_emit_created sends each view once and joins it into the event's data in SQL:
    the outbox holds what emit_many stores, and the audit row the view."""
    tenant, other = TenantSlug(unique_tenant()), TenantSlug(unique_tenant())
    tasks = [
        dataclasses.replace(task(n), metadata={"n": n}, notes='a "quoted" note') for n in range(3)
    ]

    async def stored(t: TenantSlug) -> tuple[list[Any], list[Any]]:
        async with store.read(t) as uow:
            events = await uow.conn.fetch(
                "SELECT event_type, subject, data FROM outbox ORDER BY seq"
            )
            audit = await uow.conn.fetch(
                "SELECT actor, action, resource, before, after FROM audit_log ORDER BY id"
            )
        return [tuple(r) for r in events], [tuple(r) for r in audit]

    async with store.write(tenant) as uow:
        added = await uow.tasks.add_many(tasks)
        events = [TaskCreated(name=f"x/{t.id}", task=t) for t in added]
        views = [json.dumps(snapshot(t, public=True)) for t in added]
        await uow.audit_and_emit_created("dispatcher", "task.created", events, "task", views)
    async with store.write(other) as uow:
        for e in events:
            await uow.emit(TaskCreated(name=e.name, task=e.task))
            await uow.audit(
                "dispatcher", "task.created", e.resource, None, snapshot(e.task, public=True)
            )
    fast, slow = await stored(tenant), await stored(other)
    assert len(fast[0]) == 3
    assert len(fast[1]) == 3
    assert [(t, s, {**d, "tenant": "?"}) for t, s, d in fast[0]] == [
        (t, s, {**d, "tenant": "?"}) for t, s, d in slow[0]
    ]
    assert [d["tenant"] for _, _, d in fast[0]] == [tenant] * 3
    assert fast[1] == slow[1]
