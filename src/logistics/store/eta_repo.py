"""SQL for tasks' latest predicted arrivals (``domain.eta.Prediction``), one row per task."""

from __future__ import annotations

import uuid

from logistics.domain.eta import Eta, EtaSource, Prediction
from logistics.domain.ids import TenantId
from logistics.store.db import Connection


class PredictionRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self, task_id: uuid.UUID) -> Prediction | None:
        row = await self._conn.fetchrow("SELECT * FROM task_etas WHERE task_id = $1", task_id)
        if row is None:
            return None
        eta = Eta(
            row["arrival_time"], row["travel_s"], EtaSource(row["source"]), row["estimate_time"]
        )
        return Prediction(
            row["task_id"], row["deadline_kind"], row["deadline"], row["step_id"], eta, row["late"]
        )

    async def put(self, p: Prediction) -> None:
        await self._conn.execute(
            """INSERT INTO task_etas (tenant_id, task_id, deadline_kind, deadline, step_id,
                   arrival_time, travel_s, source, estimate_time, late)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT (tenant_id, task_id) DO UPDATE SET
                   deadline_kind = EXCLUDED.deadline_kind, deadline = EXCLUDED.deadline,
                   step_id = EXCLUDED.step_id, arrival_time = EXCLUDED.arrival_time,
                   travel_s = EXCLUDED.travel_s, source = EXCLUDED.source,
                   estimate_time = EXCLUDED.estimate_time, late = EXCLUDED.late""",
            self._tenant_id,
            p.task_id,
            p.deadline_kind,
            p.deadline,
            p.step_id,
            p.eta.expected,
            p.eta.travel_s,
            p.eta.source.value,
            p.eta.computed,
            p.late,
        )
