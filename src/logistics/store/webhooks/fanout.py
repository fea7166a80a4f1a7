"""The webhook fan-out in SQL: outbox events become one delivery per matching enabled webhook of
the event's tenant, read on a cursor of its own (independent of the NATS relay) that also
revisits the gaps left by transactions still running (``domain.fanout``).

Every statement runs in a worker transaction (app.worker = 'on'), which sees every tenant's
outbox and deliveries, and switches app.tenant_id to read a tenant's webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from logistics.domain.events import patterns_taking
from logistics.domain.fanout import FanoutCursor, Gap, advance_cursor
from logistics.store.db import Connection, Database

# A webhook gets the events of transactions that began after the one that created it (so not
# its own webhook.created), whose type one of its patterns takes (none: every type). Which
# patterns take a type is decided once, in Python (domain.events.patterns_taking): each event
# comes with them, space-separated, and SQL only intersects them with the webhook's.

_FAN_OUT = """
INSERT INTO webhook_deliveries (tenant_id, id, webhook_id, event_id, event_type, give_up_time)
SELECT w.tenant_id, gen_random_uuid(), w.id, e.id, e.event_type,
       now() + make_interval(secs => w.retry_window_s)
FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::text[])
     AS e (id, event_type, create_time, patterns)
JOIN webhooks w
  ON w.tenant_id = $1 AND w.delete_time IS NULL AND NOT w.disabled
 AND w.create_time < e.create_time
 AND (cardinality(w.event_types) = 0 OR w.event_types && string_to_array(e.patterns, ' '))
ON CONFLICT DO NOTHING
"""

_OUTBOX_COLUMNS = "o.id, o.seq, o.tenant_id, o.event_type, o.data, o.create_time"


@dataclass(frozen=True)
class FanoutResult:
    events: int
    deliveries: int
    more: bool


async def fan_out(db: Database, limit: int) -> FanoutResult:
    """Turns up to ``limit`` new outbox events (and any late ones) into one delivery per
    matching enabled webhook of the event's tenant, and moves the cursor, in one
    transaction: a crash before the commit repeats the work, and the (tenant, webhook,
    event) uniqueness makes the repeat harmless. With several workers, one fans out at a
    time; the others skip."""
    async with db.worker_transaction() as conn:
        state = await conn.fetchrow(
            """SELECT scanned_seq, gaps FROM webhook_fanout_cursor WHERE id = 1
               FOR UPDATE SKIP LOCKED"""
        )
        if state is None:
            return FanoutResult(0, 0, more=False)
        cursor = FanoutCursor(state["scanned_seq"], tuple(Gap(*g) for g in state["gaps"]))
        oldest_running = await conn.fetchval(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        )
        gap_rows = []
        if cursor.gaps:
            gap_rows = await conn.fetch(
                f"""SELECT {_OUTBOX_COLUMNS}
                    FROM unnest($1::bigint[], $2::bigint[]) AS g (lo, hi)
                    JOIN outbox o ON o.seq BETWEEN g.lo AND g.hi
                    ORDER BY o.seq LIMIT $3""",
                [g.lo for g in cursor.gaps],
                [g.hi for g in cursor.gaps],
                limit,
            )
        new_rows = await conn.fetch(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox o WHERE o.seq > $1 ORDER BY o.seq LIMIT $2",
            cursor.scanned_seq,
            limit,
        )
        deliveries = await _insert_deliveries(conn, [*gap_rows, *new_rows])
        horizon = await conn.fetchval(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        )
        moved = advance_cursor(
            cursor,
            [r["seq"] for r in gap_rows],
            [r["seq"] for r in new_rows],
            gaps_complete=len(gap_rows) < limit,
            oldest_running=oldest_running,
            horizon=horizon,
        )
        if moved != cursor:
            await conn.execute(
                """UPDATE webhook_fanout_cursor
                   SET scanned_seq = $1, gaps = $2, update_time = now() WHERE id = 1""",
                moved.scanned_seq,
                [[g.lo, g.hi, g.horizon] for g in moved.gaps],
            )
    more = len(new_rows) >= limit or len(gap_rows) >= limit
    return FanoutResult(len(gap_rows) + len(new_rows), deliveries, more)


async def _insert_deliveries(conn: Connection, rows: Sequence[asyncpg.Record]) -> int:
    by_tenant: dict[uuid.UUID, list[asyncpg.Record]] = {}
    for row in rows:
        by_tenant.setdefault(row["tenant_id"], []).append(row)
    created = 0
    for tenant_id, events in by_tenant.items():
        # webhooks has strict tenant isolation: read it as that tenant.
        await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        result: str = await conn.execute(
            _FAN_OUT,
            tenant_id,
            [e["id"] for e in events],
            [e["event_type"] for e in events],
            [e["create_time"] for e in events],
            [" ".join(patterns_taking(e["event_type"])) for e in events],
        )
        created += int(result.split()[-1])
    return created
