"""SQL for one tenant's webhooks and their deliveries as the API sees them (row-level security
scopes every statement). Signing secrets are sealed on every write and opened on every read
(``store.webhooks.secrets``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import timedelta
from typing import Any

import asyncpg

from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.domain.webhooks import Delivery, DeliveryState, Webhook
from logistics.secrets_box import Keyring
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of
from logistics.store.webhooks.secrets import open_secrets, seal_secrets


def webhook_of(row: asyncpg.Record, keyring: Keyring) -> Webhook:
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
        return webhook_of(row, self._keyring)

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
