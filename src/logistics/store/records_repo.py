"""SQL for a rider's compliance records, its documents and shifts, and the tenant's
compliance policy: what ``services.compliance`` reads and changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import asyncpg

from logistics.domain.compliance import (
    CompliancePolicy,
    Document,
    DocumentKind,
    Requirement,
    Shift,
    Verification,
    Window,
)
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of

T = TypeVar("T")


class _RiderRecords(Protocol[T]):
    async def get(
        self, rider_id: uuid.UUID, record_id: uuid.UUID, /, *, for_update: bool = False
    ) -> T | None: ...

    async def add(self, record: T, /) -> T: ...

    async def update(self, record: T, /) -> T: ...


@dataclass(frozen=True)
class OfRider(Generic[T]):
    """One rider's documents or shifts, found by their own id: another rider's are not."""

    records: _RiderRecords[T]
    rider_id: uuid.UUID

    async def get(self, record_id: uuid.UUID, /, *, for_update: bool = False) -> T | None:
        return await self.records.get(self.rider_id, record_id, for_update=for_update)

    async def add(self, record: T, /) -> T:
        return await self.records.add(record)

    async def update(self, record: T, /) -> T:
        return await self.records.update(record)


def _document(row: asyncpg.Record) -> Document:
    return Document(
        id=row["id"],
        rider_id=row["rider_id"],
        kind=DocumentKind(row["kind"]),
        number=row["number"],
        issue_time=row["issue_time"],
        expire_time=row["expire_time"],
        verification=Verification(row["verification"]),
        review_reason=row["review_reason"],
        file_sha256=row["file_sha256"],
        content_type=row["content_type"],
        file_size=row["file_size"],
        blob_key=row["blob_key"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


class DocumentRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    def of(self, rider_id: uuid.UUID) -> OfRider[Document]:
        return OfRider(self, rider_id)

    async def add(self, d: Document) -> Document:
        row = await self._conn.fetchrow(
            """INSERT INTO documents (tenant_id, id, rider_id, kind, number, issue_time,
                   expire_time, verification, blob_key, file_sha256, content_type, file_size)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *""",
            self._tenant_id,
            d.id,
            d.rider_id,
            d.kind.value,
            d.number,
            d.issue_time,
            d.expire_time,
            d.verification.value,
            d.blob_key,
            d.file_sha256,
            d.content_type,
            d.file_size,
        )
        return _document(row)

    async def get(
        self, rider_id: uuid.UUID, document_id: uuid.UUID, *, for_update: bool = False
    ) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            "SELECT * FROM documents WHERE id = $1 AND rider_id = $2 AND delete_time IS NULL"
            + lock,
            document_id,
            rider_id,
        )
        return _document(row) if row else None

    async def get_any_rider(
        self, document_id: uuid.UUID, *, for_update: bool = False
    ) -> Document | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM documents WHERE id = $1 AND delete_time IS NULL{lock}", document_id
        )
        return _document(row) if row else None

    async def of_rider(self, rider_id: uuid.UUID) -> list[Document]:
        rows = await self._conn.fetch(
            """SELECT * FROM documents WHERE rider_id = $1 AND delete_time IS NULL
               ORDER BY create_time, id""",
            rider_id,
        )
        return [_document(r) for r in rows]

    async def list(
        self, rider_id: uuid.UUID, page: PageRequest, *, kind: DocumentKind | None = None
    ) -> Page[Document]:
        filters: list[str] = ["delete_time IS NULL", "rider_id = $1"]
        args: list[Any] = [rider_id]
        if kind is not None:
            args.append(kind.value)
            filters.append(f"kind = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM documents {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _document)

    async def update(self, d: Document) -> Document:
        row = await self._conn.fetchrow(
            """UPDATE documents SET number = $2, issue_time = $3, expire_time = $4,
                   verification = $5, review_reason = $6, blob_key = $7, file_sha256 = $8,
                   content_type = $9, file_size = $10, update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            d.id,
            d.number,
            d.issue_time,
            d.expire_time,
            d.verification.value,
            d.review_reason,
            d.blob_key,
            d.file_sha256,
            d.content_type,
            d.file_size,
        )
        return _document(row)

    async def archive(self, document_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE documents SET delete_time = now(), version = version + 1 WHERE id = $1",
            document_id,
        )


def _shift(row: asyncpg.Record) -> Shift:
    return Shift(
        id=row["id"],
        rider_id=row["rider_id"],
        planned=Window(row["start_time"], row["end_time"]),
        breaks=tuple(
            Window(datetime.fromisoformat(b[0]), datetime.fromisoformat(b[1]))
            for b in row["breaks"]
        ),
        zone=row["zone"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _breaks(shift: Shift) -> list[list[str]]:
    return [[b.start.isoformat(), b.end.isoformat()] for b in shift.breaks]


class ShiftRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    def of(self, rider_id: uuid.UUID) -> OfRider[Shift]:
        return OfRider(self, rider_id)

    async def add(self, shift: Shift) -> Shift:
        row = await self._conn.fetchrow(
            """INSERT INTO shifts (tenant_id, id, rider_id, start_time, end_time, breaks, zone)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
            self._tenant_id,
            shift.id,
            shift.rider_id,
            shift.planned.start,
            shift.planned.end,
            _breaks(shift),
            shift.zone,
        )
        return _shift(row)

    async def get(
        self, rider_id: uuid.UUID, shift_id: uuid.UUID, *, for_update: bool = False
    ) -> Shift | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM shifts WHERE id = $1 AND rider_id = $2{lock}", shift_id, rider_id
        )
        return _shift(row) if row else None

    async def covering(self, rider_id: uuid.UUID, at: datetime) -> list[Shift]:
        rows = await self._conn.fetch(
            """SELECT * FROM shifts WHERE rider_id = $1 AND start_time <= $2 AND end_time > $2
               ORDER BY start_time""",
            rider_id,
            at,
        )
        return [_shift(r) for r in rows]

    async def list(
        self,
        rider_id: uuid.UUID,
        page: PageRequest,
        *,
        overlapping: Window | None = None,
    ) -> Page[Shift]:
        filters: list[str] = ["rider_id = $1"]
        args: list[Any] = [rider_id]
        if overlapping is not None:
            args.extend([overlapping.end, overlapping.start])
            filters.append(f"start_time < ${len(args) - 1} AND end_time > ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM shifts {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _shift)

    async def update(self, shift: Shift) -> Shift:
        row = await self._conn.fetchrow(
            """UPDATE shifts SET start_time = $2, end_time = $3, breaks = $4, zone = $5,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            shift.id,
            shift.planned.start,
            shift.planned.end,
            _breaks(shift),
            shift.zone,
        )
        return _shift(row)

    async def delete(self, shift_id: uuid.UUID) -> None:
        await self._conn.execute("DELETE FROM shifts WHERE id = $1", shift_id)


class PolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self, *, for_update: bool = False) -> CompliancePolicy:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM compliance_policies{lock}")
        if row is None:
            return CompliancePolicy()
        return CompliancePolicy(
            requirements=tuple(
                Requirement(
                    VehicleType(r["vehicle_type"]) if r["vehicle_type"] else None,
                    frozenset(DocumentKind(k) for k in r["kinds"]),
                )
                for r in row["requirements"]
            ),
            update_time=row["update_time"],
            version=row["version"],
        )

    async def put(self, policy: CompliancePolicy) -> CompliancePolicy:
        body = [
            {
                "vehicle_type": r.vehicle_type.value if r.vehicle_type else None,
                "kinds": sorted(k.value for k in r.kinds),
            }
            for r in policy.requirements
        ]
        await self._conn.execute(
            """INSERT INTO compliance_policies (tenant_id, requirements) VALUES ($1, $2)
               ON CONFLICT (tenant_id) DO UPDATE SET requirements = EXCLUDED.requirements,
                   update_time = now(), version = compliance_policies.version + 1""",
            self._tenant_id,
            body,
        )
        return await self.get()
