"""Track points on the real database: batched writes, replays stored once, reading a window
back, per-tenant retention and dropping whole daily partitions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from logistics.domain.geofence import TelemetryPolicy
from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.tracks import TrackRow
from logistics.store.db import Connection, Database
from logistics.store.tracks import TrackWriter, apply_retention, ensure_partitions, read_track
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant

NOW = datetime.now(UTC).replace(microsecond=0)


class CountingDatabase:
    """The real database, counting the transactions opened on it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self, tenant_id: TenantId | None = None) -> AsyncIterator[Connection]:
        self.transactions += 1
        async with self._db.transaction(tenant_id) as conn:
            yield conn


async def new_tenant(store: Store, retention_days: int | None = None) -> TenantId:
    async with store.write(TenantSlug(unique_tenant())) as uow:
        if retention_days is not None:
            await uow.telemetry_policy.put(TelemetryPolicy(retention_days=retention_days))
        return uow.tenant_id


def row(rider: uuid.UUID, sequence: int, at: datetime, lat: float = -1.28) -> TrackRow:
    return TrackRow(rider, at, sequence, lat, 36.82, 5.0, 3.5, 90.0, None)


async def stored(owner: asyncpg.Connection, tenant_id: TenantId) -> int:
    count: int = await owner.fetchval(
        "SELECT count(*) FROM track_points WHERE tenant_id = $1", tenant_id
    )
    return count


async def test_many_concurrent_writes_share_a_few_transactions(
    database: Database, store: Store, owner: asyncpg.Connection
) -> None:
    tenants = [await new_tenant(store), await new_tenant(store)]
    counting = CountingDatabase(database)
    writer = TrackWriter(counting)  # type: ignore[arg-type]
    try:
        riders = [uuid.uuid4() for _ in range(100)]
        await asyncio.gather(
            *(
                writer.write(
                    tenants[i % 2], [row(rider, s, NOW + timedelta(seconds=s)) for s in (1, 2, 3)]
                )
                for i, rider in enumerate(riders)
            )
        )
    finally:
        await writer.close()
    assert counting.transactions <= 3
    assert [await stored(owner, t) for t in tenants] == [150, 150]


async def test_a_write_returns_only_once_its_rows_are_readable(
    database: Database, store: Store
) -> None:
    tenant_id, rider = await new_tenant(store), uuid.uuid4()
    writer = TrackWriter(database, max_delay_s=0.2)
    try:
        await writer.write(tenant_id, [row(rider, 1, NOW)])
        points = await read_track(database, tenant_id, rider, NOW, NOW + timedelta(seconds=1), 10)
    finally:
        await writer.close()
    assert len(points) == 1


async def test_replayed_rows_are_stored_once(
    database: Database, store: Store, owner: asyncpg.Connection
) -> None:
    tenant_id, rider = await new_tenant(store), uuid.uuid4()
    rows = [row(rider, s, NOW + timedelta(seconds=s)) for s in range(1, 6)]
    writer = TrackWriter(database)
    try:
        await writer.write(tenant_id, rows)
        await writer.write(tenant_id, rows[2:])  # a later replay
        await asyncio.gather(  # and one within the same flush
            writer.write(tenant_id, rows[:2]), writer.write(tenant_id, rows[:2])
        )
    finally:
        await writer.close()
    assert await stored(owner, tenant_id) == 5


async def test_a_track_reads_back_in_time_order_within_its_window_only(
    database: Database, store: Store
) -> None:
    tenant_id, rider, other = await new_tenant(store), uuid.uuid4(), uuid.uuid4()
    at = [NOW + timedelta(minutes=m) for m in range(6)]
    rows = [
        row(rider, 5, at[4]),
        row(rider, 2, at[1]),
        row(rider, 1, at[0]),
        row(rider, 4, at[3]),
        row(rider, 3, at[2]),
        row(rider, 6, at[5]),
        row(rider, 7, at[2], lat=-1.3),  # the same instant as 3: ordered by sequence
        row(other, 1, at[2]),
    ]
    writer = TrackWriter(database)
    try:
        await writer.write(tenant_id, rows)
    finally:
        await writer.close()
    # [at[1], at[4]): the start is included, the end is not.
    points = await read_track(database, tenant_id, rider, at[1], at[4], 100)
    assert [p.record_time for p in points] == [at[1], at[2], at[2], at[3]]
    assert [p.latitude for p in points][1:3] == [-1.28, -1.3]
    assert points[0].speed_mps == pytest.approx(3.5)
    limited = await read_track(database, tenant_id, rider, at[0], at[5], 2)
    assert [p.record_time for p in limited] == [at[0], at[1]]
    stranger = await new_tenant(store)
    assert await read_track(database, stranger, rider, at[0], at[5], 100) == []


async def test_retention_deletes_each_tenants_points_older_than_its_own_policy(
    database: Database, store: Store, owner: asyncpg.Connection
) -> None:
    three_days_ago = NOW - timedelta(days=3)
    await owner.execute("SELECT ensure_track_partition($1)", three_days_ago.date())
    short, default = await new_tenant(store, retention_days=1), await new_tenant(store)
    rider = uuid.uuid4()
    writer = TrackWriter(database)
    try:
        for tenant_id in (short, default):
            await writer.write(
                tenant_id,
                [row(rider, 1, three_days_ago), row(rider, 2, NOW - timedelta(hours=2))],
            )
    finally:
        await writer.close()
    for tenant_id in (short, default):  # route adherence's paths go with the tracks
        for key, made in (("old", three_days_ago), ("new", NOW - timedelta(hours=2))):
            await owner.execute(
                """INSERT INTO route_paths (tenant_id, key, rider_id, source, points, create_time)
                   VALUES ($1, $2, $3, 'straight_line', '[[0, 0], [0, 0]]', $4)""",
                tenant_id,
                key,
                rider,
                made,
            )
    partition = await owner.fetchval(
        "SELECT tableoid::regclass::text FROM track_points WHERE tenant_id = $1 AND sequence = 1",
        short,
    )
    assert partition == f"track_points_{three_days_ago:%Y%m%d}"
    await apply_retention(database, NOW)
    kept = await owner.fetch(
        "SELECT tenant_id, sequence FROM track_points WHERE tenant_id = ANY($1) "
        "ORDER BY tenant_id, sequence",
        [short, default],
    )
    assert {(r["tenant_id"], r["sequence"]) for r in kept} == {
        (short, 2),
        (default, 1),
        (default, 2),
    }
    paths = await owner.fetch(
        "SELECT tenant_id, key FROM route_paths WHERE tenant_id = ANY($1)", [short, default]
    )
    assert {(r["tenant_id"], r["key"]) for r in paths} == {
        (short, "new"),
        (default, "old"),
        (default, "new"),
    }


async def test_whole_days_before_the_cutoff_are_dropped_and_later_days_kept(
    database: Database, store: Store, owner: asyncpg.Connection
) -> None:
    old, older = date(2001, 3, 2), date(2001, 3, 1)
    for day in (older, old):
        await owner.execute("SELECT ensure_track_partition($1)", day)
    tenant_id, rider = await new_tenant(store), uuid.uuid4()
    writer = TrackWriter(database)
    try:
        await writer.write(
            tenant_id,
            [
                row(rider, 1, datetime(2001, 3, 1, 23, 59, tzinfo=UTC)),
                row(rider, 2, datetime(2001, 3, 2, 0, 0, tzinfo=UTC)),
            ],
        )
    finally:
        await writer.close()
    async with database.transaction() as conn:  # the service role may call it
        dropped = await conn.fetchval("SELECT drop_track_partitions_before($1)", old)
    assert dropped >= 1
    assert await owner.fetchval("SELECT to_regclass('track_points_20010301')") is None
    assert await owner.fetchval("SELECT to_regclass('track_points_20010302')") is not None
    assert await owner.fetchval(
        "SELECT array_agg(sequence) FROM track_points WHERE tenant_id = $1", tenant_id
    ) == [2]
    await owner.execute("SELECT drop_track_partitions_before('2001-03-03')")


async def test_partitions_are_still_created_for_a_day_whose_points_went_to_the_default(
    database: Database, store: Store, owner: asyncpg.Connection
) -> None:
    day = date(2040, 1, 10)  # no partition: points of that day go to the default partition
    tenant_id, rider = await new_tenant(store), uuid.uuid4()
    writer = TrackWriter(database)
    try:
        await writer.write(tenant_id, [row(rider, 1, datetime(2040, 1, 10, 8, tzinfo=UTC))])
    finally:
        await writer.close()
    try:
        await ensure_partitions(database, day)
        for offset in range(-1, 8):
            name = f"track_points_{day + timedelta(days=offset):%Y%m%d}"
            assert await owner.fetchval("SELECT to_regclass($1)", name) is not None
        assert await stored(owner, tenant_id) == 1
    finally:
        await owner.execute("DELETE FROM track_points WHERE tenant_id = $1", tenant_id)
        for offset in range(-1, 8):
            name = f"track_points_{day + timedelta(days=offset):%Y%m%d}"
            await owner.execute(f'DROP TABLE IF EXISTS "{name}"')
