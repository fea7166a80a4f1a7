"""SQL for CSV imports and exports of riders and vehicles (see the package's docstring)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from logistics.domain.csv_rows import RiderRecord, VehicleRecord
from logistics.domain.ids import TenantSlug
from logistics.store.bulk.kind import Kind
from logistics.store.bulk.riders import RIDERS, rider_record
from logistics.store.bulk.staged import StagedImport
from logistics.store.bulk.vehicles import VEHICLES, vehicle_record
from logistics.store.db import Database
from logistics.store.unit_of_work import Store


class BulkRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._db: Database = store.db

    @asynccontextmanager
    async def rider_import(self) -> AsyncIterator[StagedImport]:
        async with self._staged(RIDERS) as staged:
            yield staged

    @asynccontextmanager
    async def vehicle_import(self) -> AsyncIterator[StagedImport]:
        async with self._staged(VEHICLES) as staged:
            yield staged

    @asynccontextmanager
    async def _staged(self, kind: Kind) -> AsyncIterator[StagedImport]:
        async with self._db.acquire() as conn:
            await conn.execute(kind.drop_tables + kind.create_tables)
            try:
                yield StagedImport(conn, kind)
            finally:
                try:
                    await conn.execute(kind.drop_tables)
                except Exception:
                    conn.terminate()  # its temp tables go with the session

    async def export_riders(
        self, tenant: TenantSlug, batch: int
    ) -> AsyncIterator[list[RiderRecord]]:
        """Live riders by external_id (those without one last), ``batch`` at a time."""
        async with self._store.read(tenant) as uow:
            cursor = await uow.conn.cursor(RIDERS.export)
            while rows := await cursor.fetch(batch):
                yield [rider_record(r) for r in rows]

    async def export_vehicles(
        self, tenant: TenantSlug, batch: int
    ) -> AsyncIterator[list[VehicleRecord]]:
        """Live vehicles by plate (those without one last), ``batch`` at a time."""
        async with self._store.read(tenant) as uow:
            cursor = await uow.conn.cursor(VEHICLES.export)
            while rows := await cursor.fetch(batch):
                yield [vehicle_record(r) for r in rows]
