"""SQL that sets a tenant's timers in a use case's transaction (``store.timers`` fires them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain.ids import TenantId
from logistics.store.db import Connection


class TimerRepository:
    """Timers of this tenant: set (replacing a pending one of the same kind and subject)."""

    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add_many(self, timers: list[tuple[str, uuid.UUID, datetime]]) -> None:
        """New timers (kind, subject, due) of subjects that have none pending yet."""
        await self._conn.execute(
            """INSERT INTO timers (tenant_id, kind, subject_id, due_time)
               SELECT $1, kind, subject_id, due_time
               FROM unnest($2::text[], $3::uuid[], $4::timestamptz[])
                   AS t(kind, subject_id, due_time)""",
            self._tenant_id,
            [kind for kind, _, _ in timers],
            [subject for _, subject, _ in timers],
            [due for _, _, due in timers],
        )

    async def arm(self, kind: str, subject_id: uuid.UUID, due: datetime) -> None:
        """A timer due at ``due`` unless one of ``kind`` and ``subject_id`` is pending already."""
        await self._conn.execute(
            """INSERT INTO timers (tenant_id, kind, subject_id, due_time) VALUES ($1, $2, $3, $4)
               ON CONFLICT (kind, subject_id) WHERE fire_time IS NULL DO NOTHING""",
            self._tenant_id,
            kind,
            subject_id,
            due,
        )

    async def set(self, kind: str, subject_id: uuid.UUID, due: datetime | None) -> None:
        await self._conn.execute(
            "DELETE FROM timers WHERE kind = $1 AND subject_id = $2 AND fire_time IS NULL",
            kind,
            subject_id,
        )
        if due is not None:
            await self._conn.execute(
                """INSERT INTO timers (tenant_id, kind, subject_id, due_time)
                   VALUES ($1, $2, $3, $4)""",
                self._tenant_id,
                kind,
                subject_id,
                due,
            )
