"""The notification adapter's work across tenants: task events read on its own outbox cursor,
deferred requests whose quiet hours ended, and the watched started tasks. Each hands a
tenant's share to the adapter as that tenant's unit of work, in a worker transaction (like the
timer queue), so what the adapter writes commits with the cursor's move or the claim.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import asyncpg

from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.notifications import DueRequest, OutboxEvent, Watch
from logistics.outages import outage_of
from logistics.store.db import Connection, Database
from logistics.store.outbox_cursor import CursorRound, follow
from logistics.store.unit_of_work import UnitOfWork

__all__ = ["NotificationQueue"]

logger = logging.getLogger(__name__)

_CURSOR = "notification_cursor"


EventHandler = Callable[[UnitOfWork, list[OutboxEvent]], Awaitable[int]]
DueHandler = Callable[[UnitOfWork, list[DueRequest]], Awaitable[int]]


async def _as_tenant(conn: Connection, tenant_id: uuid.UUID, slug: str) -> UnitOfWork:
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
    return UnitOfWork(conn, TenantSlug(slug), TenantId(tenant_id))


async def _slugs(conn: Connection, tenant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await conn.fetch("SELECT id, slug FROM tenants WHERE id = ANY($1::uuid[])", tenant_ids)
    return {r["id"]: r["slug"] for r in rows}


T = TypeVar("T")


async def _each_tenant(
    conn: Connection,
    grouped: dict[tuple[uuid.UUID, str], list[T]],
    handle: Callable[[UnitOfWork, list[T]], Awaitable[int]],
) -> int:
    """``handle`` for each tenant's share, as that tenant, in a savepoint. A share whose
    handling fails is logged and passed over (its savepoint undone): one bad row must not stop
    every tenant's notifications. An outage or a deadlock ends the round, to be retried."""
    made = 0
    for (tenant_id, slug), items in grouped.items():
        uow = await _as_tenant(conn, tenant_id, slug)
        try:
            async with conn.transaction():
                made += await handle(uow, items)
        except asyncpg.TransactionRollbackError:
            raise  # a deadlock with another worker's round: this whole round is retried
        except Exception as exc:
            if outage_of(exc) is not None:
                raise
            logger.exception("notifications of %d items of %s failed", len(items), slug)
    return made


class NotificationQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def consume(self, limit: int, prefix: str, handle: EventHandler) -> CursorRound:
        """Hands the events past the adapter's cursor whose type starts with ``prefix`` to
        ``handle``, tenant by tenant (``_each_tenant``), and moves the cursor, in one
        transaction."""

        async def by_tenant(conn: Connection, rows: Sequence[asyncpg.Record]) -> int:
            grouped: dict[uuid.UUID, list[OutboxEvent]] = {}
            for r in rows:
                if r["event_type"].startswith(prefix):
                    grouped.setdefault(r["tenant_id"], []).append(
                        OutboxEvent(r["id"], r["event_type"], r["data"])
                    )
            if not grouped:
                return 0
            slugs = await _slugs(conn, list(grouped))
            return await _each_tenant(
                conn, {(t, slugs[t]): events for t, events in grouped.items()}, handle
            )

        async with self._db.worker_transaction() as conn:
            return await follow(conn, _CURSOR, limit, by_tenant)

    async def release_due(self, now: datetime, limit: int, handle: DueHandler) -> int:
        """Hands up to ``limit`` deferred requests due by ``now`` to ``handle``, tenant by
        tenant (as ``consume`` does), each row locked until the transaction ends (another
        worker skips it)."""
        async with self._db.worker_transaction() as conn:
            rows = await conn.fetch(
                """SELECT n.tenant_id, n.id, n.task_id, n.recipient_key, n.event, t.slug
                   FROM notifications n JOIN tenants t ON t.id = n.tenant_id
                   WHERE n.state = 'deferred' AND n.due_time <= $1
                   ORDER BY n.due_time LIMIT $2 FOR UPDATE OF n SKIP LOCKED""",
                now,
                limit,
            )
            grouped: dict[tuple[uuid.UUID, str], list[DueRequest]] = {}
            for r in rows:
                grouped.setdefault((r["tenant_id"], r["slug"]), []).append(
                    DueRequest(r["id"], r["task_id"], r["recipient_key"], r["event"])
                )
            return await _each_tenant(conn, grouped, handle)

    async def watches(self, limit: int) -> list[Watch]:
        """Up to ``limit`` watched tasks, the least recently changed first."""
        async with self._db.worker_transaction() as conn:
            rows = await conn.fetch(
                """SELECT w.task_id, w.task, t.slug FROM notification_watches w
                   JOIN tenants t ON t.id = w.tenant_id ORDER BY w.update_time LIMIT $1""",
                limit,
            )
        return [Watch(TenantSlug(r["slug"]), r["task_id"], r["task"]) for r in rows]

    async def purge(self, before: datetime) -> int:
        """Deletes every tenant's requests made before ``before`` (deferred ones kept), and
        the watches of tasks untouched since then; returns how many requests."""
        async with self._db.worker_transaction() as conn:
            status: str = await conn.execute(
                "DELETE FROM notifications WHERE create_time < $1 AND state <> 'deferred'",
                before,
            )
            await conn.execute("DELETE FROM notification_watches WHERE update_time < $1", before)
        return int(status.split()[-1])
