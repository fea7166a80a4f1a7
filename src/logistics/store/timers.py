"""The timer queue: claims due timers across tenants, one at a time, each in its own
transaction, so a timer fires once whatever the number of workers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.timers import DueTimer
from logistics.store.db import Database
from logistics.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

RETRY = timedelta(minutes=1)


TimerHandler = Callable[[UnitOfWork, DueTimer], Awaitable[None]]


class TimerQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def fire_one(self, now: datetime, handler: TimerHandler) -> bool:
        """Claims the earliest due timer, runs ``handler`` in its tenant's transaction and marks
        it fired there. False when nothing is due (or every due timer is being fired)."""
        async with self._db.transaction() as conn:
            row = await conn.fetchrow(
                """SELECT t.id, t.tenant_id, t.kind, t.subject_id, t.due_time, n.slug
                   FROM timers t JOIN tenants n ON n.id = t.tenant_id
                   WHERE t.fire_time IS NULL AND t.due_time <= $1
                   ORDER BY t.due_time LIMIT 1 FOR UPDATE OF t SKIP LOCKED""",
                now,
            )
            if row is None:
                return False
            await conn.execute(
                "SELECT set_config('app.tenant_id', $1, true)", str(row["tenant_id"])
            )
            uow = UnitOfWork(conn, TenantSlug(row["slug"]), TenantId(row["tenant_id"]))
            timer = DueTimer(row["id"], row["kind"], row["subject_id"], row["due_time"])
            try:
                async with conn.transaction():  # a savepoint: a failed handler undoes only itself
                    await handler(uow, timer)
            except Exception:
                # One broken timer must not hold back the others: it is tried again later.
                logger.exception(
                    "timer %s (%s) failed; retrying in %s", timer.id, timer.kind, RETRY
                )
                uow.forget_after_commit()
                await conn.execute(
                    "UPDATE timers SET due_time = $2 WHERE id = $1", row["id"], now + RETRY
                )
                return True
            await conn.execute("UPDATE timers SET fire_time = $2 WHERE id = $1", row["id"], now)
        await uow.run_after_commit()
        return True
