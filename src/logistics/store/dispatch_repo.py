"""SQL for the tenant's dispatch policy (the weights of the dispatch score)."""

from __future__ import annotations

from logistics.domain.ids import TenantId
from logistics.domain.scoring import ScoringPolicy, Weights
from logistics.store.db import Connection


class DispatchPolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> ScoringPolicy:
        row = await self._conn.fetchrow("SELECT * FROM dispatch_policies")
        if row is None:
            return ScoringPolicy()
        weights = Weights(
            row["eta_weight"], row["load_weight"], row["idle_weight"], row["rating_weight"]
        )
        return ScoringPolicy(weights, row["update_time"], row["version"])

    async def put(self, weights: Weights) -> ScoringPolicy:
        await self._conn.execute(
            """INSERT INTO dispatch_policies
                   (tenant_id, eta_weight, load_weight, idle_weight, rating_weight)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id) DO UPDATE SET eta_weight = EXCLUDED.eta_weight,
                   load_weight = EXCLUDED.load_weight, idle_weight = EXCLUDED.idle_weight,
                   rating_weight = EXCLUDED.rating_weight, update_time = now(),
                   version = dispatch_policies.version + 1""",
            self._tenant_id,
            weights.eta,
            weights.load,
            weights.idle,
            weights.rating,
        )
        return await self.get()
