"""Track points in PostgreSQL: written in batches gathered across every stream of the
process (one multi-row insert per tenant per flush, never one insert per ping), read back by
time range, and aged out by retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from logistics.domain.ids import TenantId
from logistics.domain.tracks import TrackPoint, TrackRow
from logistics.store.db import Database

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    tenant_id: TenantId
    rows: list[TrackRow]
    done: asyncio.Future[None]


_INSERT = """
INSERT INTO track_points (tenant_id, rider_id, record_time, sequence, latitude, longitude,
                          accuracy_m, speed_mps, heading_deg, task)
SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[], $4::bigint[], $5::float8[],
                         $6::float8[], $7::real[], $8::real[], $9::real[], $10::text[])
ON CONFLICT DO NOTHING
"""


class TrackWriter:
    """Gathers rows for up to ``max_delay_s`` (or ``max_rows``) and writes them in one
    transaction; ``write`` returns once its rows are committed (or raises if they were not)."""

    def __init__(self, db: Database, *, max_delay_s: float = 0.02, max_rows: int = 5000) -> None:
        self._db = db
        self._max_delay_s = max_delay_s
        self._max_rows = max_rows
        self._queue: list[_Pending] = []
        self._queued_rows = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def write(self, tenant_id: TenantId, rows: list[TrackRow]) -> None:
        if not rows:
            return
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(tenant_id, rows, done))
        self._queued_rows += len(rows)
        if self._queued_rows >= self._max_rows:
            self._wake.set()
        await done

    async def read(
        self,
        tenant_id: TenantId,
        rider_id: uuid.UUID,
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[TrackPoint]:
        """The rider's committed points in ``[start, end)``, oldest first (``read_track``)."""
        return await read_track(self._db, tenant_id, rider_id, start, end, limit)

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._max_delay_s)
            self._wake.clear()
            batch, self._queue, self._queued_rows = self._queue, [], 0
            if batch:
                await self._flush(batch)
            if self._closing and not self._queue:
                return

    async def _flush(self, batch: list[_Pending]) -> None:
        by_tenant: dict[TenantId, list[TrackRow]] = {}
        for pending in batch:
            by_tenant.setdefault(pending.tenant_id, []).extend(pending.rows)
        try:
            async with self._db.transaction() as conn:
                for tenant_id, rows in by_tenant.items():
                    await conn.execute(
                        "SELECT set_config('app.tenant_id', $1, true)", str(tenant_id)
                    )
                    await conn.execute(
                        _INSERT,
                        tenant_id,
                        [r.rider_id for r in rows],
                        [r.record_time for r in rows],
                        [r.sequence for r in rows],
                        [r.latitude for r in rows],
                        [r.longitude for r in rows],
                        [r.accuracy_m for r in rows],
                        [r.speed_mps for r in rows],
                        [r.heading_deg for r in rows],
                        [r.task for r in rows],
                    )
        except Exception as exc:
            logger.warning("writing %d track batches failed: %s", len(batch), exc)
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(exc)
            return
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(None)


async def read_track(
    db: Database,
    tenant_id: TenantId,
    rider_id: uuid.UUID,
    start: datetime,
    end: datetime,
    limit: int,
) -> list[TrackPoint]:
    async with db.transaction(tenant_id) as conn:
        rows = await conn.fetch(
            """SELECT record_time, latitude, longitude, speed_mps, accuracy_m FROM track_points
               WHERE rider_id = $1 AND record_time >= $2 AND record_time < $3
               ORDER BY record_time, sequence LIMIT $4""",
            rider_id,
            start,
            end,
            limit,
        )
    return [
        TrackPoint(r["record_time"], r["latitude"], r["longitude"], r["speed_mps"], r["accuracy_m"])
        for r in rows
    ]


async def ensure_partitions(db: Database, today: date, days_ahead: int = 7) -> None:
    """Yesterday's to ``days_ahead`` days' partitions, each in its own transaction."""
    for offset in range(-1, days_ahead + 1):
        async with db.transaction() as conn:
            await conn.execute("SELECT ensure_track_partition($1)", today + timedelta(days=offset))


async def apply_retention(db: Database, now: datetime, default_days: int = 90) -> int:
    """Deletes each tenant's points (and route adherence's paths) older than its retention;
    drops whole days older than the longest retention of any tenant. Returns the number of
    partitions dropped."""
    async with db.transaction() as conn:
        policies = await conn.fetch("SELECT id FROM tenants")
    longest = default_days
    for row in policies:
        async with db.transaction(TenantId(row["id"])) as conn:
            days = await conn.fetchval("SELECT retention_days FROM telemetry_policies")
            days = int(days) if days is not None else default_days
            longest = max(longest, days)
            await conn.execute(
                "DELETE FROM track_points WHERE record_time < $1", now - timedelta(days=days)
            )
            # The paths riders followed start where a rider was: kept as long as tracks.
            await conn.execute(
                "DELETE FROM route_paths WHERE create_time < $1", now - timedelta(days=days)
            )
    async with db.transaction() as conn:
        dropped: int = await conn.fetchval(
            "SELECT drop_track_partitions_before($1)", (now - timedelta(days=longest)).date()
        )
    return dropped
