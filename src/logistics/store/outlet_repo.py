"""SQL for the outlets a tenant's upstream services own, as far as they are known here."""

from __future__ import annotations

from typing import Any

from logistics.domain.ids import TenantId
from logistics.domain.outlets import OpeningHours, Outlet
from logistics.domain.paging import Cursor, Page, PageRequest
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
    ) -> Outlet | None:
        """The outlet added; None when a concurrent write added it first."""
        row = await self._conn.fetchrow(
            """INSERT INTO outlets (tenant_id, id, display_name, latitude, longitude)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *""",
            self._tenant_id,
            outlet_id,
            display_name,
            latitude,
            longitude,
        )
        return _outlet(row) if row else None

    async def get(self, outlet_id: str, *, for_update: bool = False) -> Outlet | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM outlets WHERE id = $1{lock}", outlet_id)
        return _outlet(row) if row else None

    async def get_many(self, outlet_ids: list[str]) -> dict[str, Outlet]:
        rows = await self._conn.fetch(
            "SELECT * FROM outlets WHERE id = ANY($1::text[])", outlet_ids
        )
        return {r["id"]: _outlet(r) for r in rows}

    async def list(self, page: PageRequest) -> Page[Outlet]:
        """Ordered by (create_time, page_key): the cursor's id is the row's ``page_key``."""
        args: list[Any] = [page.size + 1]
        where = "true"
        if page.after is not None:
            args.extend([page.after.create_time, page.after.id])
            where = "(create_time, page_key) > ($2, $3)"
        rows = await self._conn.fetch(
            f"SELECT * FROM outlets WHERE {where} ORDER BY create_time, page_key LIMIT $1", *args
        )
        items = [_outlet(r) for r in rows[: page.size]]
        last = rows[page.size - 1] if len(rows) > page.size else None
        return Page(items, Cursor(last["create_time"], last["page_key"]) if last else None)

    async def update(self, outlet: Outlet) -> Outlet:
        row = await self._conn.fetchrow(
            """UPDATE outlets SET display_name = $2, latitude = $3, longitude = $4, address = $5,
                   pickup_instructions = $6, time_zone = $7, opening_hours = $8,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            outlet.id,
            outlet.display_name,
            outlet.latitude,
            outlet.longitude,
            outlet.address,
            outlet.pickup_instructions,
            outlet.time_zone,
            [[h.weekday, h.open_minute, h.close_minute] for h in outlet.opening_hours],
        )
        return _outlet(row)


def _outlet(row: Any) -> Outlet:
    return Outlet(
        id=row["id"],
        display_name=row["display_name"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        address=row["address"],
        pickup_instructions=row["pickup_instructions"],
        time_zone=row["time_zone"],
        opening_hours=tuple(OpeningHours(*h) for h in row["opening_hours"]),
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )
