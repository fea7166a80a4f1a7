"""SQL for the outlets a tenant's upstream services own, as far as they are known here."""

from __future__ import annotations

from logistics.domain.ids import TenantId
from logistics.store.db import Connection


class OutletRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def known(self, outlet_ids: list[str]) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT id FROM outlets WHERE id = ANY($1::text[])", outlet_ids
        )
        return {r["id"] for r in rows}

    async def add(
        self, outlet_id: str, display_name: str, latitude: float | None, longitude: float | None
    ) -> None:
        await self._conn.execute(
            """INSERT INTO outlets (tenant_id, id, display_name, latitude, longitude)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            self._tenant_id,
            outlet_id,
            display_name,
            latitude,
            longitude,
        )
