"""SQL for a tenant's vehicles: add, read, list, update (a plate is unique per tenant), archive."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from logistics.domain.compliance import Capacity, Vehicle, VehicleState
from logistics.domain.errors import AlreadyExists
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


def _vehicle(row: asyncpg.Record) -> Vehicle:
    return Vehicle(
        id=row["id"],
        type=VehicleType(row["type"]),
        plate=row["plate"],
        electric=row["electric"],
        capacity=Capacity(
            row["capacity_weight_kg"] or 0.0,
            row["capacity_volume_l"] or 0.0,
            row["capacity_items"] or 0,
        ),
        temperature_controlled=row["temperature_controlled"],
        min_temperature_c=row["min_temperature_c"] or 0.0,
        max_temperature_c=row["max_temperature_c"] or 0.0,
        max_stops=row["max_stops"] or 0,
        state=VehicleState(row["state"]),
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _vehicle_values(v: Vehicle) -> list[Any]:
    return [
        v.type.value,
        v.plate,
        v.electric,
        v.capacity.weight_kg,
        v.capacity.volume_l,
        v.capacity.item_count,
        v.temperature_controlled,
        v.min_temperature_c,
        v.max_temperature_c,
        v.max_stops,
        v.state.value,
    ]


def _plate_conflict(exc: asyncpg.UniqueViolationError) -> AlreadyExists:
    return AlreadyExists("another vehicle of this tenant has this plate", reason="PLATE_TAKEN")


class VehicleRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, vehicle: Vehicle) -> Vehicle:
        try:
            row = await self._conn.fetchrow(
                """INSERT INTO vehicles (tenant_id, id, type, plate, electric, capacity_weight_kg,
                       capacity_volume_l, capacity_items, temperature_controlled,
                       min_temperature_c, max_temperature_c, max_stops, state)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *""",
                self._tenant_id,
                vehicle.id,
                *_vehicle_values(vehicle),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _plate_conflict(exc) from exc
        return _vehicle(row)

    async def get(self, vehicle_id: uuid.UUID, *, for_update: bool = False) -> Vehicle | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM vehicles WHERE id = $1 AND delete_time IS NULL{lock}", vehicle_id
        )
        return _vehicle(row) if row else None

    async def list(
        self,
        page: PageRequest,
        *,
        type: VehicleType | None = None,
        state: VehicleState | None = None,
    ) -> Page[Vehicle]:
        filters, args = ["delete_time IS NULL"], []
        for column, value in (("type", type), ("state", state)):
            if value is not None:
                args.append(value.value)
                filters.append(f"{column} = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM vehicles {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _vehicle)

    async def update(self, vehicle: Vehicle) -> Vehicle:
        try:
            row = await self._conn.fetchrow(
                """UPDATE vehicles SET type = $2, plate = $3, electric = $4,
                       capacity_weight_kg = $5, capacity_volume_l = $6, capacity_items = $7,
                       temperature_controlled = $8, min_temperature_c = $9,
                       max_temperature_c = $10, max_stops = $11, state = $12,
                       update_time = now(), version = version + 1
                   WHERE id = $1 RETURNING *""",
                vehicle.id,
                *_vehicle_values(vehicle),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _plate_conflict(exc) from exc
        return _vehicle(row)

    async def in_use(self, vehicle_id: uuid.UUID) -> bool:
        found = await self._conn.fetchval(
            "SELECT true FROM riders WHERE vehicle_id = $1 AND delete_time IS NULL", vehicle_id
        )
        return bool(found)

    async def archive(self, vehicle_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE vehicles SET delete_time = now(), version = version + 1 WHERE id = $1",
            vehicle_id,
        )
