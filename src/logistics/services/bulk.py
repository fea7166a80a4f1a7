"""Bulk use cases: import riders or vehicles from a CSV byte stream, export them as CSV.

An import reads the body as it arrives (memory stays flat whatever the file size), validates
every row with the API's rules, stages rows in the database in chunks, then applies every
valid row in one transaction; invalid rows are reported, not applied. A broken file (not
UTF-8, not CSV, a wrong header) is rejected whole.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from logistics.domain.caller import Caller, Scope
from logistics.domain.csv_rows import (
    RIDER_COLUMNS,
    VEHICLE_COLUMNS,
    ParsedRow,
    RiderRecord,
    StageOutcome,
    VehicleRecord,
    parse_rider_row,
    parse_vehicle_row,
    rider_cells,
    vehicle_cells,
)
from logistics.domain.ids import TenantId, TenantSlug
from logistics.services.bulk_rows import (
    ImportReport,
    ParseTally,
    RowParser,
    csv_bytes,
    csv_records,
    parsed_rows,
)
from logistics.services.directory import Outlets
from logistics.store.unit_of_work import Store

__all__ = ["BulkRows", "BulkService", "ImportReport", "StagedRows"]

EXPORT_BATCH = 2000
_NO_TENANT = TenantId(uuid.UUID(int=0))

R = TypeVar("R")


class StagedRows(Protocol):
    """One import's rows, staged in chunks, then checked and applied in one transaction."""

    async def add(self, rows: Sequence[ParsedRow[Any]]) -> None: ...

    async def apply(
        self,
        tenant_id: TenantId,
        tenant: TenantSlug,
        actor: str,
        *,
        dry_run: bool,
        unknown_outlets: Sequence[str] = (),
    ) -> StageOutcome: ...


class BulkRows(Protocol):
    """Where imports are staged and exports read (``store/bulk``)."""

    def rider_import(self) -> AbstractAsyncContextManager[StagedRows]: ...

    def vehicle_import(self) -> AbstractAsyncContextManager[StagedRows]: ...

    def export_riders(self, tenant: TenantSlug, batch: int) -> AsyncIterator[list[RiderRecord]]: ...

    def export_vehicles(
        self, tenant: TenantSlug, batch: int
    ) -> AsyncIterator[list[VehicleRecord]]: ...


class BulkService:
    """CSV import (``logistics:admin``) and export (``logistics:read``) of a tenant's fleet."""

    def __init__(self, store: Store, outlets: Outlets, rows: BulkRows) -> None:
        self._store = store
        self._outlets = outlets
        self._repo = rows

    async def import_riders(
        self, caller: Caller, tenant: TenantSlug, body: AsyncIterable[bytes], *, dry_run: bool
    ) -> ImportReport:
        """Upserts riders by ``external_id``. Rows name vehicles by plate and fleets by id;
        outlets are discovered first. Labels, not a column, are kept on update."""
        caller.require(Scope.ADMIN, tenant)

        def parse(row: int, cells: Sequence[str], at: Sequence[int]) -> ParsedRow[RiderRecord]:
            return parse_rider_row(row, cells, at, tenant)

        tenant_id = await self._tenant_id(tenant, dry_run)
        async with self._repo.rider_import() as staged:
            tally = await self._stage(staged, body, RIDER_COLUMNS, parse)
            unknown = await self._unknown_outlets(tenant, tally.outlets)
            outcome = await staged.apply(
                tenant_id, tenant, caller.subject, dry_run=dry_run, unknown_outlets=sorted(unknown)
            )
        return tally.report(outcome, dry_run)

    async def import_vehicles(
        self, caller: Caller, tenant: TenantSlug, body: AsyncIterable[bytes], *, dry_run: bool
    ) -> ImportReport:
        """Upserts vehicles by normalised plate."""
        caller.require(Scope.ADMIN, tenant)
        tenant_id = await self._tenant_id(tenant, dry_run)
        async with self._repo.vehicle_import() as staged:
            tally = await self._stage(staged, body, VEHICLE_COLUMNS, parse_vehicle_row)
            outcome = await staged.apply(tenant_id, tenant, caller.subject, dry_run=dry_run)
        return tally.report(outcome, dry_run)

    async def export_riders(self, caller: Caller, tenant: TenantSlug) -> AsyncIterator[bytes]:
        """The tenant's riders as CSV in the import's columns, by external_id.

        Authorises now; the returned stream reads the database as it is consumed.
        """
        caller.require(Scope.READ, tenant)
        return self._export(
            RIDER_COLUMNS, self._repo.export_riders(tenant, EXPORT_BATCH), rider_cells
        )

    async def export_vehicles(self, caller: Caller, tenant: TenantSlug) -> AsyncIterator[bytes]:
        """The tenant's vehicles as CSV in the import's columns, by plate."""
        caller.require(Scope.READ, tenant)
        return self._export(
            VEHICLE_COLUMNS, self._repo.export_vehicles(tenant, EXPORT_BATCH), vehicle_cells
        )

    @staticmethod
    async def _export(
        columns: Sequence[str],
        batches: AsyncIterator[list[R]],
        cells: Callable[[R], list[str]],
    ) -> AsyncIterator[bytes]:
        yield csv_bytes([columns])
        async for batch in batches:
            yield csv_bytes([cells(record) for record in batch])

    @staticmethod
    async def _stage(
        staged: StagedRows, body: AsyncIterable[bytes], columns: Sequence[str], parse: RowParser
    ) -> ParseTally:
        tally = ParseTally()
        async for batch in parsed_rows(csv_records(body), columns, parse):
            for parsed in batch:
                tally.count(parsed)
                if isinstance(parsed.record, RiderRecord) and parsed.record.home_outlet_id:
                    tally.outlets.add(parsed.record.home_outlet_id)
            await staged.add(batch)
        return tally

    async def _unknown_outlets(self, tenant: TenantSlug, outlets: set[str]) -> set[str]:
        """Makes the named outlets known (discovering new ones); returns those that are not.

        Discovery being down fails the import (Unavailable) before anything is applied.
        """
        if not outlets:
            return set()
        async with self._store.write(tenant) as uow:
            return await self._outlets.unknown(uow, outlets)

    async def _tenant_id(self, tenant: TenantSlug, dry_run: bool) -> TenantId:
        """Registers the tenant (after discovery) before the body is read, so an unknown one
        fails fast; a dry run registers nothing: an unknown tenant just has no rows yet."""
        if dry_run:
            return await self._store.tenants.find(tenant) or _NO_TENANT
        return await self._store.tenants.ensure(tenant)
