"""SQL for the webhook delivery worker's queue: claims of due deliveries (with what it takes to
send them) and their outcomes; fan-out of new events is ``store.webhooks.fanout``.

Every statement runs in a worker transaction (app.worker = 'on'), which sees every tenant's
deliveries, and switches app.tenant_id to read a tenant's webhooks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from logistics.domain.events import WebhookDisabled
from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.webhooks import DeliveryState, Webhook
from logistics.secrets_box import Keyring, UnreadableSecret
from logistics.store.db import Connection, Database
from logistics.store.outbox import OutboxRow
from logistics.store.unit_of_work import UnitOfWork
from logistics.store.webhooks.fanout import FanoutResult, fan_out
from logistics.store.webhooks.repo import webhook_of

logger = logging.getLogger(__name__)


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
        """Turns new outbox events into deliveries (``store.webhooks.fanout.fan_out``)."""
        return await fan_out(self._db, limit)

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
                    found[row["id"]] = webhook_of(row, self._keyring)
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
