"""SQL for the tenant's SLA policy (when a task is at risk, what a breach does)."""

from __future__ import annotations

from datetime import timedelta

from logistics.domain.ids import TenantId
from logistics.domain.task_records import SlaPolicy
from logistics.store.db import Connection


class SlaPolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> SlaPolicy:
        row = await self._conn.fetchrow("SELECT * FROM sla_policies")
        if row is None:
            return SlaPolicy()
        return SlaPolicy(
            timedelta(seconds=row["at_risk_before_s"]),
            row["breach_action"],
            row["update_time"],
            row["version"],
            row["delay_action"],
        )

    async def put(self, policy: SlaPolicy) -> SlaPolicy:
        await self._conn.execute(
            """INSERT INTO sla_policies (tenant_id, at_risk_before_s, breach_action, delay_action)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (tenant_id) DO UPDATE SET at_risk_before_s = EXCLUDED.at_risk_before_s,
                   breach_action = EXCLUDED.breach_action,
                   delay_action = EXCLUDED.delay_action, update_time = now(),
                   version = sla_policies.version + 1""",
            self._tenant_id,
            int(policy.at_risk_before.total_seconds()),
            policy.breach_action,
            policy.delay_action,
        )
        return await self.get()
