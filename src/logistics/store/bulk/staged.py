"""One import's staged rows: COPYed into a session's temp tables, checked against the tenant's
data, and upserted set-based in one transaction with an audit row and an outbox event per
changed row (or, in a dry run, only counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from logistics.domain.csv_rows import ParsedRow, RowError, StageOutcome
from logistics.domain.errors import AlreadyExists, Unavailable
from logistics.domain.ids import TenantId, TenantSlug
from logistics.store.bulk.kind import Kind
from logistics.store.db import Connection
from logistics.store.unit_of_work import UnitOfWork

MAX_ERRORS = 1000
# Above the pool's default command timeout: a statement here works on every row of a file.
STATEMENT_TIMEOUT_S = 600.0
# Rows a concurrent writer created between our insert and our re-check are retried this often.
_MAX_ROUNDS = 5


class StagedImport:
    """Rows of one import, staged in temp tables on the connection held for it."""

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self._conn = conn
        self._kind = kind

    async def add(self, rows: Sequence[ParsedRow[Any]]) -> None:
        """COPYs one chunk; invalid rows are staged by key only, to find duplicates."""
        await self._conn.copy_records_to_table(
            self._kind.stage,
            records=[self._kind.stage_record(p) for p in rows],
            columns=self._kind.stage_columns,
            timeout=STATEMENT_TIMEOUT_S,
        )

    async def apply(
        self,
        tenant_id: TenantId,
        tenant: TenantSlug,
        actor: str,
        *,
        dry_run: bool,
        unknown_outlets: Sequence[str] = (),
    ) -> StageOutcome:
        """Checks every staged row against the tenant's data; unless ``dry_run``, upserts
        the valid ones with their audit rows and events, all in one transaction."""
        conn = self._conn
        await conn.execute(f"ANALYZE {self._kind.stage}")
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            await conn.execute("SET LOCAL TimeZone = 'UTC'")  # snapshots' times, as in Python
            if not dry_run:
                # Imports of one kind in one tenant take turns; the unique indexes (and the
                # rounds in _upsert) cover single-row writers meanwhile.
                await UnitOfWork(conn, tenant, tenant_id).lock(f"{self._kind.name}.import", "*")
            await self._check(tenant, unknown_outlets)
            outcome = await (self._preview() if dry_run else self._upsert(tenant_id, tenant, actor))
        except asyncpg.UniqueViolationError as exc:
            await transaction.rollback()
            raise AlreadyExists(
                f"a row collided with a concurrent change ({exc.constraint_name}); "
                "nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            ) from exc
        except asyncpg.DeadlockDetectedError as exc:
            await transaction.rollback()
            raise Unavailable(
                "the import collided with a concurrent change; nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            ) from exc
        except BaseException:
            await transaction.rollback()
            raise
        await (transaction.rollback() if dry_run else transaction.commit())
        return outcome

    async def _run(self, statement: str, *args: Any) -> int:
        """Runs one of the kind's statements; returns the rows it wrote."""
        status = await self._conn.execute(
            self._kind.sql(statement), *args, timeout=STATEMENT_TIMEOUT_S
        )
        return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0

    async def _check(self, tenant: TenantSlug, unknown_outlets: Sequence[str]) -> None:
        k = self._kind
        await self._run("check_duplicates")
        if unknown_outlets and k.has("check_outlets"):
            await self._run("check_outlets", list(unknown_outlets))
        if k.has("check_fleets"):
            await self._run("check_fleets", tenant)
        for step in ("resolve_vehicles", "check_vehicles", "check_vehicle_twice"):
            if k.has(step):
                await self._run(step)
        if k.has("check_vehicle_held"):
            # Each pass may invalidate a row that was letting go of a vehicle another row takes.
            while await self._run("check_vehicle_held"):
                pass

    async def _preview(self) -> StageOutcome:
        await self._run("peek_before")
        row = await self._conn.fetchrow(self._kind.sql("preview_counts"))
        assert row is not None
        return await self._outcome(row["created"], row["updated"], row["unchanged"])

    async def _upsert(self, tenant_id: TenantId, tenant: TenantSlug, actor: str) -> StageOutcome:
        # A row another writer inserts after our capture_before is skipped by insert_new's
        # ON CONFLICT DO NOTHING (after waiting for that writer), then updated next round.
        for _ in range(_MAX_ROUNDS):
            await self._run("capture_before")
            if self._kind.has("release_vehicles"):
                await self._run("release_vehicles")
            await self._run("update_changed")
            await self._run("insert_new", tenant_id)
            await self._run("mark_handled")
            if not await self._conn.fetchval(self._kind.sql("leftovers")):
                break
        else:
            raise Unavailable(
                "rows kept being created concurrently; nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            )
        await self._run("write_audit", tenant_id, actor, tenant)
        await self._run("write_outbox", tenant_id, tenant)
        row = await self._conn.fetchrow(self._kind.sql("applied_counts"))
        assert row is not None
        return await self._outcome(row["created"], row["updated"], row["unchanged"])

    async def _outcome(self, created: int, updated: int, unchanged: int) -> StageOutcome:
        conn, k = self._conn, self._kind
        valid = await conn.fetchval(f"SELECT count(*) FROM {k.stage} WHERE ok")
        error_count = await conn.fetchval(f"SELECT count(*) FROM {k.errors}")
        rows = await conn.fetch(
            f"SELECT row_no, field, message FROM {k.errors} ORDER BY row_no, seq LIMIT $1",
            MAX_ERRORS,
        )
        errors = [RowError(r["row_no"], r["field"], r["message"]) for r in rows]
        return StageOutcome(valid, created, updated, unchanged, errors, error_count)
