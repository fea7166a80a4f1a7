"""SQL for transfers and for shuttle runs (the SHUTTLE task of a template's run on a day)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.domain.tasks import Item
from logistics.domain.transfers import Line, Transfer, TransferFilter, TransferState
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


def _item_json(i: Item) -> dict[str, Any]:
    return {
        "sku": i.sku,
        "description": i.description,
        "quantity": i.quantity,
        "weight_kg": i.weight_kg,
        "volume_l": i.volume_l,
    }


def _lines_json(lines: tuple[Line, ...] | None) -> list[dict[str, Any]] | None:
    return None if lines is None else [{"sku": x.sku, "quantity": x.quantity} for x in lines]


def _lines(value: list[dict[str, Any]] | None) -> tuple[Line, ...] | None:
    return None if value is None else tuple(Line(d["sku"], d["quantity"]) for d in value)


def _transfer(row: asyncpg.Record) -> Transfer:
    return Transfer(
        id=row["id"],
        source_outlet_id=row["source_outlet_id"],
        destination_outlet_id=row["destination_outlet_id"],
        source=(row["source_lat"], row["source_lng"]),
        destination=(row["destination_lat"], row["destination_lng"]),
        items=tuple(Item(**d) for d in row["items"]),
        ready_time=row["ready_time"],
        deadline=row["deadline"],
        reference=row["reference"],
        notes=row["notes"],
        state=TransferState(row["state"]),
        task_id=row["task_id"],
        pickup_step_id=row["pickup_step_id"],
        drop_off_step_id=row["drop_off_step_id"],
        template_id=row["template_id"],
        run_date=row["run_date"],
        received=_lines(row["received"]),
        missing=_lines(row["missing"]),
        return_task_id=row["return_task_id"],
        flow_id=row["flow_id"],
        reason=row["reason"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _values(t: Transfer) -> list[Any]:
    return [
        t.state.value,
        t.source_outlet_id,
        t.destination_outlet_id,
        t.source[0],
        t.source[1],
        t.destination[0],
        t.destination[1],
        [_item_json(i) for i in t.items],
        t.ready_time,
        t.deadline,
        t.reference,
        t.notes,
        t.task_id,
        t.pickup_step_id,
        t.drop_off_step_id,
        t.template_id,
        t.run_date,
        _lines_json(t.received),
        _lines_json(t.missing),
        t.return_task_id,
        t.flow_id,
        t.reason,
    ]


_COLUMNS = """state, source_outlet_id, destination_outlet_id, source_lat, source_lng,
    destination_lat, destination_lng, items, ready_time, deadline, reference, notes, task_id,
    pickup_step_id, drop_off_step_id, template_id, run_date, received, missing,
    return_task_id, flow_id, reason"""


class TransferRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, t: Transfer) -> Transfer:
        row = await self._conn.fetchrow(
            f"""INSERT INTO transfers (tenant_id, id, {_COLUMNS})
                VALUES ($1, $2, {", ".join(f"${n}" for n in range(3, 25))}) RETURNING *""",
            self._tenant_id,
            t.id,
            *_values(t),
        )
        return _transfer(row)

    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> Transfer | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM transfers WHERE id = $1{lock}", transfer_id)
        return _transfer(row) if row else None

    async def save(self, t: Transfer) -> Transfer:
        sets = ", ".join(f"{c.strip()} = ${n}" for n, c in enumerate(_COLUMNS.split(","), start=2))
        row = await self._conn.fetchrow(
            f"""UPDATE transfers SET {sets}, update_time = now(), version = version + 1
                WHERE id = $1 RETURNING *""",
            t.id,
            *_values(t),
        )
        return _transfer(row)

    async def find(self, page: PageRequest, f: TransferFilter) -> Page[Transfer]:
        filters: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("state", f.state.value if f.state else None),
            ("source_outlet_id", f.source_outlet_id),
            ("destination_outlet_id", f.destination_outlet_id),
            ("task_id", f.task_id),
            ("reference", f.reference),
        ):
            if value is not None:
                args.append(value)
                filters.append(f"{column} = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM transfers {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _transfer)

    async def carried_by(self, task_id: uuid.UUID) -> list[Transfer]:
        """The transfers a task carries (or brings back), oldest first, their rows locked."""
        rows = await self._conn.fetch(
            """SELECT * FROM transfers WHERE task_id = $1 OR return_task_id = $1
               ORDER BY create_time, id FOR UPDATE""",
            task_id,
        )
        return [_transfer(r) for r in rows]

    async def run_task(self, template_id: uuid.UUID, run_date: date) -> uuid.UUID | None:
        found: uuid.UUID | None = await self._conn.fetchval(
            "SELECT task_id FROM shuttle_runs WHERE template_id = $1 AND run_date = $2",
            template_id,
            run_date,
        )
        return found

    async def add_run(self, template_id: uuid.UUID, run_date: date, task_id: uuid.UUID) -> None:
        await self._conn.execute(
            """INSERT INTO shuttle_runs (tenant_id, template_id, run_date, task_id)
               VALUES ($1, $2, $3, $4)""",
            self._tenant_id,
            template_id,
            run_date,
            task_id,
        )

    async def run_of(self, task_id: uuid.UUID) -> tuple[uuid.UUID, date] | None:
        row = await self._conn.fetchrow(
            "SELECT template_id, run_date FROM shuttle_runs WHERE task_id = $1", task_id
        )
        return (row["template_id"], row["run_date"]) if row else None

    async def templates(self) -> list[dict[str, Any]]:
        """Every route template of the tenant (the shuttles' routes), oldest first."""
        rows = await self._conn.fetch("SELECT * FROM route_templates ORDER BY create_time, id")
        return [dict(r) for r in rows]
