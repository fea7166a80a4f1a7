"""The notification requests' record on PostgreSQL: a tenant's log sees only its own requests
even in a worker transaction (which sees every tenant's rows), and retention purges old
requests but never a deferred one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from logistics.domain.ids import TenantSlug
from logistics.domain.notifications import RequestRecord
from logistics.store.db import Database
from logistics.store.notification_queue import NotificationQueue
from logistics.store.unit_of_work import Store, UnitOfWork
from tests.support.auth import unique_tenant

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# Deferred far beyond any test's clock: the end-to-end tests' adapters release what is due.
DUE = datetime(2100, 1, 1, tzinfo=UTC)


def record(task: uuid.UUID, state: str, key: str = "customer:+254700000001") -> RequestRecord:
    return RequestRecord(
        uuid.uuid4(), task, uuid.uuid4(), "task.started", "customer", "sms", key, state,
        DUE if state == "deferred" else None, {"task": str(task)},
    )  # fmt: skip


async def test_a_tenants_log_sees_only_its_own_requests_in_a_worker_transaction(
    store: Store, database: Database
) -> None:
    task = uuid.uuid4()
    mine, theirs = TenantSlug(unique_tenant()), TenantSlug(unique_tenant())
    for tenant in (mine, theirs):
        async with store.write(tenant) as uow:
            await uow.notifications.add(record(task, "requested"), NOW)
    tenant_id = await store.tenants.find(mine)
    assert tenant_id is not None
    async with database.worker_transaction() as conn:
        uow = UnitOfWork(conn, mine, tenant_id)
        assert (
            await uow.notifications.requested_since("customer:+254700000001", NOW - timedelta(1))
            == 1
        )
        assert len(await uow.notifications.fired([task])) == 1
        assert not await uow.notifications.claim(task, "task.started", "customer", "sms")
        assert await uow.notifications.claim(task, "task.completed", "customer", "sms")


async def test_retention_purges_old_requests_but_keeps_deferred_ones(
    store: Store, database: Database
) -> None:
    tenant = TenantSlug(unique_tenant())
    old = datetime.now(UTC) - timedelta(days=40)
    kept = record(uuid.uuid4(), "deferred")
    async with store.write(tenant) as uow:
        await uow.notifications.add(record(uuid.uuid4(), "requested"), old)
        await uow.notifications.add(kept, old)
        await uow.notifications.add(record(uuid.uuid4(), "requested"), datetime.now(UTC))
    assert await NotificationQueue(database).purge(datetime.now(UTC) - timedelta(days=30)) >= 1
    async with store.read(tenant) as uow:
        rows = await uow.conn.fetch("SELECT id, state FROM notifications ORDER BY create_time")
    # The old requested one is gone; the old deferred one and the new one are left.
    assert [r["state"] for r in rows] == ["deferred", "requested"]
    assert rows[0]["id"] == kept.id
