"""A consumer's cursor over the outbox, independent of the NATS relay: reads the events past it
(and those in the gaps left by transactions still running, ``domain.fanout``), hands them to
the consumer and moves, all in the caller's worker transaction. A crash before the commit
repeats the work, so a consumer makes its writes idempotent. One consumer of a cursor works at
a time; the others skip. The webhook fan-out and the notification adapter each keep one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

from logistics.domain.fanout import FanoutCursor, Gap, advance_cursor
from logistics.store.db import Connection

__all__ = ["CursorRound", "Handler", "follow"]

_OUTBOX_COLUMNS = "o.id, o.seq, o.tenant_id, o.event_type, o.data, o.create_time"

Handler = Callable[[Connection, Sequence[asyncpg.Record]], Awaitable[int]]
"""Handles outbox rows (id, seq, tenant_id, event_type, data, create_time) in seq order;
returns how many things it made of them."""


@dataclass(frozen=True)
class CursorRound:
    events: int
    made: int
    more: bool


async def follow(conn: Connection, table: str, limit: int, handle: Handler) -> CursorRound:
    """One round of the cursor kept in ``table`` (one row, id 1: ``scanned_seq``, ``gaps``)
    over up to ``limit`` new and ``limit`` late events; ``conn`` is in a worker transaction.
    An empty round when another consumer holds the cursor."""
    state = await conn.fetchrow(
        f"SELECT scanned_seq, gaps FROM {table} WHERE id = 1 FOR UPDATE SKIP LOCKED"
    )
    if state is None:
        return CursorRound(0, 0, more=False)
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
    made = await handle(conn, [*gap_rows, *new_rows])
    horizon = await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
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
            f"UPDATE {table} SET scanned_seq = $1, gaps = $2, update_time = now() WHERE id = 1",
            moved.scanned_seq,
            [[g.lo, g.hi, g.horizon] for g in moved.gaps],
        )
    more = len(new_rows) >= limit or len(gap_rows) >= limit
    return CursorRound(len(gap_rows) + len(new_rows), made, more)
