"""The outbox as the relay sees it: claims unpublished events across tenants in ``seq`` order,
marks them published in the claiming transaction, and purges published ones after retention.

Every statement runs in a worker transaction (``app.worker = 'on'``), the only kind the
outbox's row-level-security policy lets see more than one tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.store.db import Connection, Database


@dataclass(frozen=True)
class OutboxRow:
    """One event as ``UnitOfWork.emit`` wrote it."""

    id: uuid.UUID
    seq: int
    event_type: str
    data: dict[str, Any]
    create_time: datetime


class Claim:
    """Rows locked by one relay until its transaction ends; nobody else can claim them."""

    def __init__(self, conn: Connection, rows: list[OutboxRow]) -> None:
        self._conn = conn
        self.rows = rows

    async def mark_published(self) -> None:
        """Marks every claimed row published; it takes effect when the claim commits."""
        if self.rows:
            await self._conn.execute(
                "UPDATE outbox SET publish_time = now() WHERE id = ANY($1::uuid[])",
                [r.id for r in self.rows],
            )


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    @asynccontextmanager
    async def claim(self, limit: int) -> AsyncIterator[Claim]:
        """Locks up to ``limit`` of the oldest unpublished rows for one transaction.

        ``SKIP LOCKED`` passes over rows another relay holds, so two relays never publish the
        same rows at once; the transaction commits when the block ends normally and rolls back
        (marking nothing) on an exception or when the process dies, so the rows come back.
        """
        async with self._db.worker_transaction() as conn:
            records = await conn.fetch(
                """SELECT id, seq, event_type, data, create_time FROM outbox
                   WHERE publish_time IS NULL
                   ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED""",
                limit,
            )
            yield Claim(conn, [OutboxRow(**dict(r)) for r in records])

    async def purge_published(self, before: datetime, limit: int) -> int:
        """Deletes up to ``limit`` rows published before ``before``; returns how many.

        Only the ``limit`` oldest rows (by ``seq``, an index scan) are looked at: published
        rows leave the outbox roughly in ``seq`` order, so the old ones are at its head and a
        call costs the same however long the outbox is.
        """
        async with self._db.worker_transaction() as conn:
            result: str = await conn.execute(
                """DELETE FROM outbox WHERE seq = ANY(ARRAY(
                       SELECT seq FROM (SELECT seq, publish_time FROM outbox
                                        ORDER BY seq LIMIT $2) head
                       WHERE publish_time < $1))""",
                before,
                limit,
            )
        return int(result.rsplit(" ", 1)[-1])
