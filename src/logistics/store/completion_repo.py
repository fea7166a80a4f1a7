"""SQL for the tenant's completion policy (how arrivals and completions are checked against the
step's location)."""

from __future__ import annotations

from datetime import timedelta

from logistics.domain.ids import TenantId
from logistics.domain.presence import CompletionPolicy, Enforcement
from logistics.store.db import Connection


class CompletionPolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> CompletionPolicy:
        row = await self._conn.fetchrow("SELECT * FROM completion_policies")
        if row is None:
            return CompletionPolicy()
        return CompletionPolicy(
            Enforcement(row["enforcement"]),
            row["radius_m"],
            timedelta(seconds=row["max_fix_age_s"]),
            row["max_accuracy_m"],
            row["flag_without_position"],
            row["update_time"],
            row["version"],
        )

    async def put(self, policy: CompletionPolicy) -> CompletionPolicy:
        await self._conn.execute(
            """INSERT INTO completion_policies (tenant_id, enforcement, radius_m, max_fix_age_s,
                   max_accuracy_m, flag_without_position)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (tenant_id) DO UPDATE SET enforcement = EXCLUDED.enforcement,
                   radius_m = EXCLUDED.radius_m, max_fix_age_s = EXCLUDED.max_fix_age_s,
                   max_accuracy_m = EXCLUDED.max_accuracy_m,
                   flag_without_position = EXCLUDED.flag_without_position,
                   update_time = now(), version = completion_policies.version + 1""",
            self._tenant_id,
            policy.enforcement.value,
            policy.radius_m,
            policy.max_fix_age.total_seconds(),
            policy.max_accuracy_m,
            policy.flag_without_position,
        )
        return await self.get()
