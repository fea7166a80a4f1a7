"""SQL for webhooks and their deliveries: a tenant's subscriptions (``WebhookRepository``) and the
cross-tenant queue the delivery worker works from (``DeliveryQueue``: fan-out of outbox events,
claims of due deliveries, their outcomes).

The values they read and write are in ``domain.webhooks`` and ``domain.fanout``.
Signing secrets are sealed on every write and opened on every read (``webhook_secrets``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from logistics.domain.events import WebhookDisabled, patterns_taking
from logistics.domain.fanout import FanoutCursor, Gap, advance_cursor
from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.paging import Page, PageRequest
from logistics.domain.webhooks import Delivery, DeliveryState, Webhook
from logistics.secrets_box import Keyring, UnreadableSecret
from logistics.store.db import Connection, Database
from logistics.store.outbox import OutboxRow
from logistics.store.paging import keyset_clause, page_of
from logistics.store.unit_of_work import UnitOfWork
from logistics.store.webhook_secrets import open_secrets, seal_secrets

logger = logging.getLogger(__name__)


def _webhook(row: asyncpg.Record, keyring: Keyring) -> Webhook:
    """The webhook of a row, its secrets opened (``UnreadableSecret`` if one does not open)."""
    return Webhook(
        id=row["id"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        secrets=open_secrets(
            row["secrets"], row["secrets_key_id"], keyring, row["tenant_id"], row["id"]
        ),
        disabled=row["disabled"],
        retry_window=timedelta(seconds=row["retry_window_s"]),
        description=row["description"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        next_attempt_time=row["next_attempt_time"],
        give_up_time=row["give_up_time"],
        last_error=row["last_error"],
        last_status=row["last_status"],
        create_time=row["create_time"],
        deliver_time=row["deliver_time"],
    )


class WebhookRepository:
    """One tenant's webhooks and deliveries (row-level security scopes every statement).
    Secrets are sealed with ``keyring``'s current key on every write."""

    def __init__(self, conn: Connection, tenant_id: TenantId, keyring: Keyring) -> None:
        self._conn = conn
        self._tenant_id = tenant_id
        self._keyring = keyring

    def _sealed(self, webhook: Webhook) -> list[dict[str, Any]]:
        return seal_secrets(webhook.secrets, self._keyring, self._tenant_id, webhook.id)

    def _webhook(self, row: asyncpg.Record) -> Webhook:
        return _webhook(row, self._keyring)

    async def add(self, webhook: Webhook) -> Webhook:
        row = await self._conn.fetchrow(
            """INSERT INTO webhooks (tenant_id, id, url, event_types, secrets, disabled,
                   retry_window_s, description, secrets_key_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *""",
            self._tenant_id,
            webhook.id,
            webhook.url,
            list(webhook.event_types),
            self._sealed(webhook),
            webhook.disabled,
            int(webhook.retry_window.total_seconds()),
            webhook.description,
            self._keyring.current_id,
        )
        return self._webhook(row)

    async def get(self, webhook_id: uuid.UUID, *, for_update: bool = False) -> Webhook | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM webhooks WHERE id = $1 AND delete_time IS NULL{lock}", webhook_id
        )
        return self._webhook(row) if row else None

    async def list(self, page: PageRequest) -> Page[Webhook]:
        filters, args = ["delete_time IS NULL"], list[Any]()
        rows = await self._conn.fetch(
            f"SELECT * FROM webhooks {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, self._webhook)

    async def update(self, webhook: Webhook) -> Webhook:
        row = await self._conn.fetchrow(
            """UPDATE webhooks SET url = $2, event_types = $3, secrets = $4, disabled = $5,
                   retry_window_s = $6, description = $7, secrets_key_id = $8,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            webhook.id,
            webhook.url,
            list(webhook.event_types),
            self._sealed(webhook),
            webhook.disabled,
            int(webhook.retry_window.total_seconds()),
            webhook.description,
            self._keyring.current_id,
        )
        return self._webhook(row)

    async def archive(self, webhook_id: uuid.UUID) -> None:
        """Deletes the webhook; its pending deliveries become dead letters (kept for the
        record: deliveries reference their webhook)."""
        await self._conn.execute(
            "UPDATE webhooks SET delete_time = now(), version = version + 1 WHERE id = $1",
            webhook_id,
        )
        await self._conn.execute(
            """UPDATE webhook_deliveries SET state = 'dead', last_error = 'the webhook was deleted'
               WHERE webhook_id = $1 AND state = 'pending'""",
            webhook_id,
        )

    async def deliveries(
        self, webhook_id: uuid.UUID, page: PageRequest, state: DeliveryState | None
    ) -> Page[Delivery]:
        """Newest first: keyset on (create_time, id) descending."""
        args: list[Any] = [webhook_id]
        filters = ["webhook_id = $1"]
        if state is not None:
            args.append(state.value)
            filters.append(f"state = ${len(args)}")
        if page.after is not None:
            args.extend([page.after.create_time, page.after.id])
            filters.append(f"(create_time, id) < (${len(args) - 1}, ${len(args)})")
        args.append(page.size + 1)
        rows = await self._conn.fetch(
            f"""SELECT * FROM webhook_deliveries WHERE {" AND ".join(filters)}
                ORDER BY create_time DESC, id DESC LIMIT ${len(args)}""",
            *args,
        )
        return page_of(rows, page.size, _delivery)

    async def existing_deliveries(
        self, webhook_id: uuid.UUID, ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        rows = await self._conn.fetch(
            "SELECT id FROM webhook_deliveries WHERE webhook_id = $1 AND id = ANY($2::uuid[])",
            webhook_id,
            list(ids),
        )
        return {r["id"] for r in rows}

    async def replay(
        self, webhook_id: uuid.UUID, ids: Collection[uuid.UUID] | None, retry_window: timedelta
    ) -> int:
        """Sends deliveries again from now, with a fresh retry window: the given ones (in any
        state), or else every dead letter of the webhook. Returns how many."""
        chosen = "id = ANY($3::uuid[])" if ids is not None else "state = 'dead'"
        args: list[Any] = [webhook_id, int(retry_window.total_seconds())]
        if ids is not None:
            args.append(list(ids))
        result: str = await self._conn.execute(
            f"""UPDATE webhook_deliveries SET state = 'pending', attempts = 0,
                    next_attempt_time = now(), deliver_time = NULL,
                    give_up_time = now() + make_interval(secs => $2)
                WHERE webhook_id = $1 AND {chosen}""",
            *args,
        )
        return int(result.split()[-1])


# The worker's side: every statement below runs in a worker transaction (app.worker = 'on'),
# which sees every tenant's outbox and deliveries, and switches app.tenant_id to read a
# tenant's webhooks.

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


@dataclass(frozen=True)
class DeliveryJob:
    """A claimed delivery with what it takes to send it."""

    tenant_id: TenantId
    id: uuid.UUID
    webhook_id: uuid.UUID
    tenant: TenantSlug
    url: str
    secrets: tuple[str, ...] = field(repr=False)
    event: OutboxRow
    attempts: int
    lease_until: datetime


def _unsendable(
    hook: Webhook | None, unreadable: str | None, has_event: bool, secrets: tuple[str, ...]
) -> str | None:
    """Why a claimed delivery cannot be sent at all, or None."""
    if unreadable is not None:
        return f"the webhook's signing secrets cannot be decrypted ({unreadable})"
    if hook is None:
        return "the webhook was deleted"
    if hook.disabled:
        return "the webhook is disabled"
    if not has_event:
        return "the event is no longer in the outbox"
    if not secrets:
        return "the webhook has no current secret"
    return None


class DeliveryQueue:
    """The delivery worker's side; ``keyring`` opens the webhooks' sealed secrets."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self._db = db
        self._keyring = keyring

    async def fan_out(self, limit: int) -> FanoutResult:
        """Turns up to ``limit`` new outbox events (and any late ones) into one delivery per
        matching enabled webhook of the event's tenant, and moves the cursor, in one
        transaction: a crash before the commit repeats the work, and the (tenant, webhook,
        event) uniqueness makes the repeat harmless. With several workers, one fans out at a
        time; the others skip."""
        async with self._db.worker_transaction() as conn:
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
            deliveries = await self._insert_deliveries(conn, [*gap_rows, *new_rows])
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

    async def _insert_deliveries(self, conn: Connection, rows: Sequence[asyncpg.Record]) -> int:
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

    async def claim(
        self,
        limit: int,
        *,
        in_flight: Mapping[uuid.UUID, int],
        per_webhook: int,
        lease: timedelta,
        now: datetime,
    ) -> list[DeliveryJob]:
        """Claims up to ``limit`` due deliveries, at most ``per_webhook`` in flight per webhook
        counting ``in_flight``, by moving their next attempt to the end of ``lease``: a worker
        that dies mid-send leaves them to be claimed again then. Deliveries that cannot be
        sent (webhook deleted or disabled, event purged) become dead letters here."""
        busy = [w for w, n in in_flight.items() if n >= per_webhook]
        async with self._db.worker_transaction() as conn:
            rows = await conn.fetch(
                """SELECT d.tenant_id, d.id, d.webhook_id, d.attempts, t.slug,
                          o.id AS event_id, o.seq, o.event_type, o.data, o.create_time
                   FROM webhook_deliveries d
                   JOIN tenants t ON t.id = d.tenant_id
                   LEFT JOIN outbox o ON o.id = d.event_id
                   WHERE d.state = 'pending' AND d.next_attempt_time <= now()
                     AND NOT (d.webhook_id = ANY($1::uuid[]))
                   ORDER BY d.next_attempt_time LIMIT $2
                   FOR UPDATE OF d SKIP LOCKED""",
                busy,
                limit * per_webhook,
            )
            picked: list[asyncpg.Record] = []
            taken = dict(in_flight)
            for row in rows:
                if len(picked) < limit and taken.get(row["webhook_id"], 0) < per_webhook:
                    taken[row["webhook_id"]] = taken.get(row["webhook_id"], 0) + 1
                    picked.append(row)
            hooks, unreadable = await self._webhooks(conn, picked)
            jobs: list[DeliveryJob] = []
            dead: list[tuple[uuid.UUID, uuid.UUID, str]] = []
            lease_until = await conn.fetchval("SELECT now() + $1::interval", lease)
            for row in picked:
                hook = hooks.get(row["webhook_id"])
                secrets = tuple(s.secret for s in hook.secrets if s.active(now)) if hook else ()
                reason = _unsendable(
                    hook, unreadable.get(row["webhook_id"]), row["event_id"] is not None, secrets
                )
                if hook is None or reason is not None:
                    dead.append((row["tenant_id"], row["id"], reason or "the webhook was deleted"))
                    continue
                event = OutboxRow(
                    row["event_id"], row["seq"], row["event_type"], row["data"], row["create_time"]
                )
                jobs.append(
                    DeliveryJob(
                        TenantId(row["tenant_id"]),
                        row["id"],
                        row["webhook_id"],
                        TenantSlug(row["slug"]),
                        hook.url,
                        secrets,
                        event,
                        row["attempts"],
                        lease_until,
                    )
                )
            if dead:
                await conn.executemany(
                    """UPDATE webhook_deliveries SET state = 'dead', last_error = $3
                       WHERE tenant_id = $1 AND id = $2""",
                    dead,
                )
            if jobs:
                await conn.execute(
                    """UPDATE webhook_deliveries SET next_attempt_time = $2
                       WHERE id = ANY($1::uuid[])""",
                    [j.id for j in jobs],
                    lease_until,
                )
        return jobs

    async def _webhooks(
        self, conn: Connection, rows: Sequence[asyncpg.Record]
    ) -> tuple[dict[uuid.UUID, Webhook], dict[uuid.UUID, str]]:
        """The live webhooks of ``rows``, and why those whose secrets do not open do not (a
        key missing from the keyring: logged, and their deliveries dead-lettered with the
        reason, to be replayed once the key is back)."""
        by_tenant: dict[uuid.UUID, set[uuid.UUID]] = {}
        for row in rows:
            by_tenant.setdefault(row["tenant_id"], set()).add(row["webhook_id"])
        found: dict[uuid.UUID, Webhook] = {}
        unreadable: dict[uuid.UUID, str] = {}
        for tenant_id, ids in by_tenant.items():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            for row in await conn.fetch(
                """SELECT * FROM webhooks WHERE id = ANY($1::uuid[]) AND delete_time IS NULL""",
                list(ids),
            ):
                try:
                    found[row["id"]] = _webhook(row, self._keyring)
                except UnreadableSecret as exc:
                    logger.error("webhook deliveries dead-lettered: %s", exc)
                    unreadable[row["id"]] = str(exc)
        return found, unreadable

    async def delivered(self, job: DeliveryJob, status: int) -> None:
        async with self._db.worker_transaction() as conn:
            await conn.execute(
                """UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1,
                       last_status = $3, last_error = NULL, deliver_time = now()
                   WHERE tenant_id = $1 AND id = $2 AND state = 'pending'""",
                job.tenant_id,
                job.id,
                status,
            )

    async def failed(
        self, job: DeliveryJob, status: int | None, error: str, retry_in: timedelta
    ) -> DeliveryState | None:
        """Records a failed attempt: the next one after ``retry_in`` (never after the give-up
        time), or a dead letter if the give-up time has come. Only while this worker's claim
        holds (a replay or another worker's claim since then wins). Returns the new state."""
        async with self._db.worker_transaction() as conn:
            state: str | None = await conn.fetchval(
                """UPDATE webhook_deliveries SET attempts = attempts + 1,
                       last_status = $3, last_error = $4,
                       state = CASE WHEN now() >= give_up_time THEN 'dead' ELSE 'pending' END,
                       next_attempt_time = LEAST(now() + $5::interval, give_up_time)
                   WHERE tenant_id = $1 AND id = $2 AND state = 'pending'
                     AND next_attempt_time = $6
                   RETURNING state""",
                job.tenant_id,
                job.id,
                status,
                error[:1000],
                retry_in,
                job.lease_until,
            )
        return DeliveryState(state) if state else None

    async def gone(self, job: DeliveryJob, status: int) -> None:
        """The receiver answered 410 Gone: the delivery is dead and the webhook disabled (as
        the Standard Webhooks specification suggests), audited as done by the system, with a
        ``webhook.disabled`` event."""
        async with self._db.worker_transaction() as conn:
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(job.tenant_id))
            await conn.execute(
                """UPDATE webhook_deliveries SET state = 'dead', attempts = attempts + 1,
                       last_status = $3, last_error = 'the receiver answered 410 Gone'
                   WHERE tenant_id = $1 AND id = $2 AND state = 'pending'""",
                job.tenant_id,
                job.id,
                status,
            )
            disabled = await conn.fetchval(
                """UPDATE webhooks SET disabled = true, update_time = now(), version = version + 1
                   WHERE id = $1 AND NOT disabled AND delete_time IS NULL RETURNING true""",
                job.webhook_id,
            )
            if disabled:
                uow = UnitOfWork(conn, job.tenant, job.tenant_id)
                name = f"tenants/{job.tenant}/webhooks/{job.webhook_id}"
                event = WebhookDisabled(name, True, "the receiver answered 410 Gone")
                change = {"disabled": event.disabled, "reason": event.reason}
                await uow.audit("system", "webhook.disable", name, after=change)
                await uow.emit(event)


__all__ = [
    "DeliveryJob",
    "DeliveryQueue",
    "FanoutResult",
    "WebhookRepository",
]
