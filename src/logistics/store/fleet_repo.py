"""SQL for fleets and riders. Row-level security scopes every query to the transaction's tenant."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from logistics.domain.errors import AlreadyExists, InvalidArgument
from logistics.domain.fleet import Fleet, FleetKind, Rider, RiderState, VehicleType
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


def _fleet(row: asyncpg.Record) -> Fleet:
    return Fleet(
        id=row["id"],
        display_name=row["display_name"],
        kind=FleetKind(row["kind"]),
        outlet_ids=tuple(row["outlet_ids"]),
        labels=dict(row["labels"]),
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _rider(row: asyncpg.Record) -> Rider:
    return Rider(
        id=row["id"],
        display_name=row["display_name"],
        external_id=row["external_id"],
        fleet_id=row["fleet_id"],
        phone=row["phone"],
        email=row["email"],
        home_outlet_id=row["home_outlet_id"],
        zone=row["zone"],
        vehicle_type=VehicleType(row["vehicle_type"]) if row["vehicle_type"] else None,
        vehicle_id=row["vehicle_id"],
        state=RiderState(row["state"]),
        labels=dict(row["labels"]),
        rating=row["rating"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


class FleetRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, fleet: Fleet) -> Fleet:
        row = await self._conn.fetchrow(
            """INSERT INTO fleets (tenant_id, id, display_name, kind, outlet_ids, labels)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
            self._tenant_id,
            fleet.id,
            fleet.display_name,
            fleet.kind.value,
            list(fleet.outlet_ids),
            fleet.labels,
        )
        return _fleet(row)

    async def get(self, fleet_id: uuid.UUID, *, for_update: bool = False) -> Fleet | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM fleets WHERE id = $1 AND delete_time IS NULL{lock}", fleet_id
        )
        return _fleet(row) if row else None

    async def exists(self, fleet_id: uuid.UUID) -> bool:
        found = await self._conn.fetchval(
            "SELECT true FROM fleets WHERE id = $1 AND delete_time IS NULL", fleet_id
        )
        return bool(found)

    async def list(self, page: PageRequest, *, kind: FleetKind | None = None) -> Page[Fleet]:
        filters, args = ["delete_time IS NULL"], []
        if kind is not None:
            args.append(kind.value)
            filters.append(f"kind = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM fleets {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _fleet)

    async def update(self, fleet: Fleet) -> Fleet:
        row = await self._conn.fetchrow(
            """UPDATE fleets SET display_name = $2, kind = $3, outlet_ids = $4, labels = $5,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            fleet.id,
            fleet.display_name,
            fleet.kind.value,
            list(fleet.outlet_ids),
            fleet.labels,
        )
        return _fleet(row)

    async def archive(self, fleet_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE fleets SET delete_time = now(), version = version + 1 WHERE id = $1", fleet_id
        )

    async def has_riders(self, fleet_id: uuid.UUID) -> bool:
        found = await self._conn.fetchval(
            "SELECT true FROM riders WHERE fleet_id = $1 AND delete_time IS NULL LIMIT 1", fleet_id
        )
        return bool(found)


_RIDER_COLUMNS = (
    "display_name, external_id, fleet_id, phone, email, home_outlet_id, zone, vehicle_type, "
    "state, labels, vehicle_id, rating"
)


def _rider_values(rider: Rider) -> list[Any]:
    return [
        rider.display_name,
        rider.external_id,
        rider.fleet_id,
        rider.phone,
        rider.email,
        rider.home_outlet_id,
        rider.zone,
        rider.vehicle_type.value if rider.vehicle_type else None,
        rider.state.value,
        rider.labels,
        rider.vehicle_id,
        rider.rating,
    ]


class RiderRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, rider: Rider) -> Rider:
        try:
            row = await self._conn.fetchrow(
                f"""INSERT INTO riders (tenant_id, id, {_RIDER_COLUMNS})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                    RETURNING *""",
                self._tenant_id,
                rider.id,
                *_rider_values(rider),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _rider_conflict(exc) from exc
        return _rider(row)

    async def get(self, rider_id: uuid.UUID, *, for_update: bool = False) -> Rider | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM riders WHERE id = $1 AND delete_time IS NULL{lock}", rider_id
        )
        return _rider(row) if row else None

    async def get_by_external_id(
        self, external_id: str, *, for_update: bool = False
    ) -> Rider | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM riders WHERE external_id = $1 AND delete_time IS NULL{lock}",
            external_id,
        )
        return _rider(row) if row else None

    async def list(
        self,
        page: PageRequest,
        *,
        fleet_id: uuid.UUID | None = None,
        state: RiderState | None = None,
        vehicle_type: VehicleType | None = None,
        zone: str | None = None,
    ) -> Page[Rider]:
        filters, args = ["delete_time IS NULL"], []
        for column, value in (
            ("fleet_id", fleet_id),
            ("state", state.value if state else None),
            ("vehicle_type", vehicle_type.value if vehicle_type else None),
            ("zone", zone),
        ):
            if value is not None:
                args.append(value)
                filters.append(f"{column} = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM riders {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _rider)

    async def update(self, rider: Rider) -> Rider:
        try:
            row = await self._conn.fetchrow(
                """UPDATE riders SET display_name = $2, external_id = $3, fleet_id = $4,
                       phone = $5, email = $6, home_outlet_id = $7, zone = $8,
                       vehicle_type = $9, state = $10, labels = $11, vehicle_id = $12,
                       rating = $13, update_time = now(), version = version + 1
                   WHERE id = $1 RETURNING *""",
                rider.id,
                *_rider_values(rider),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _rider_conflict(exc) from exc
        return _rider(row)

    async def archive(self, rider_id: uuid.UUID) -> None:
        await self._conn.execute(
            """UPDATE riders SET delete_time = now(), external_id = NULL, version = version + 1
               WHERE id = $1""",
            rider_id,
        )


def _rider_conflict(exc: asyncpg.UniqueViolationError) -> Exception:
    if exc.constraint_name == "riders_external_id":
        return AlreadyExists(
            "another rider of this tenant has this external_id", reason="EXTERNAL_ID_TAKEN"
        )
    if exc.constraint_name == "riders_vehicle":
        return AlreadyExists("another rider uses this vehicle", reason="VEHICLE_TAKEN")
    return InvalidArgument.field(
        "rider", f"conflicts with an existing rider ({exc.constraint_name})"
    )
