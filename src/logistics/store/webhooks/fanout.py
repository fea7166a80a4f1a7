"""The webhook fan-out in SQL: outbox events become one delivery per matching enabled webhook of
the event's tenant, read on a cursor of its own (``store.outbox_cursor``).

Every statement runs in a worker transaction (app.worker = 'on'), which sees every tenant's
outbox and deliveries, and switches app.tenant_id to read a tenant's webhooks.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from logistics.domain.events import patterns_taking
from logistics.store.db import Connection, Database
from logistics.store.outbox_cursor import follow

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
        done = await follow(conn, "webhook_fanout_cursor", limit, _insert_deliveries)
    return FanoutResult(done.events, done.made, done.more)


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
