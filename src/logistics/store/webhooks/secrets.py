"""Webhook signing secrets at rest: their JSON form in ``webhooks.secrets``, sealed with the
keyring, and the pass that seals plain-text rows and re-seals rows under an older key.

A row's ``secrets_key_id`` says which form its ``secrets`` hold: NULL for plain text (rows
written before migration 0008), else the id of the key that sealed every element. The sealed
value is bound to the tenant and the webhook, so it opens in no other row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.domain.ids import TenantId
from logistics.domain.webhooks import SigningSecret
from logistics.secrets_box import Keyring, UnreadableSecret
from logistics.store.db import Database

__all__ = [
    "ResealReport",
    "open_secrets",
    "reseal_webhook_secrets",
    "seal_secrets",
]

logger = logging.getLogger(__name__)


def _context(tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> str:
    return f"webhooks.secrets/{tenant_id}/{webhook_id}"


def seal_secrets(
    secrets: Sequence[SigningSecret],
    keyring: Keyring,
    tenant_id: uuid.UUID,
    webhook_id: uuid.UUID,
) -> list[dict[str, Any]]:
    """The JSON of ``secrets``, each sealed with the current key (stored with ``secrets_key_id =
    keyring.current_id``)."""
    context = _context(tenant_id, webhook_id)
    return [
        {
            "sealed": keyring.seal(s.secret, context),
            "expire_time": s.expire_time.isoformat() if s.expire_time else None,
        }
        for s in secrets
    ]


def open_secrets(
    raw: list[dict[str, Any]],
    key_id: str | None,
    keyring: Keyring,
    tenant_id: uuid.UUID,
    webhook_id: uuid.UUID,
) -> tuple[SigningSecret, ...]:
    """The secrets of a row whose ``secrets`` column is ``raw`` and ``secrets_key_id`` is
    ``key_id``. Raises ``UnreadableSecret`` naming the webhook when one does not open."""
    context = _context(tenant_id, webhook_id)
    try:
        return tuple(
            SigningSecret(
                s["secret"] if key_id is None else keyring.open(s["sealed"], context),
                datetime.fromisoformat(s["expire_time"]) if s.get("expire_time") else None,
            )
            for s in raw
        )
    except UnreadableSecret as exc:
        raise UnreadableSecret(f"webhook {webhook_id} of tenant {tenant_id}: {exc}") from None


@dataclass(frozen=True)
class ResealReport:
    """What a pass did: rows sealed with the current key, rows that did not open (logged, left
    as they were), and rows still not under the current key when it ended (the unreadable
    ones and any written meanwhile by a process with an older keyring)."""

    resealed: int
    unreadable: int
    remaining: int


async def reseal_webhook_secrets(db: Database, keyring: Keyring, batch: int = 100) -> ResealReport:
    """Seals every webhook row (deleted ones too) that is in plain text or under a key other
    than the current one. Idempotent, and safe beside serving processes and other passes: each
    batch is one transaction that locks its rows, skipping rows another transaction holds
    (which that one writes sealed). Versions and update times are left alone: the resource did
    not change."""
    async with db.pool.acquire() as conn:
        tenants = [r["id"] for r in await conn.fetch("SELECT id FROM tenants ORDER BY id")]
    resealed = unreadable = remaining = 0
    for tenant_id in tenants:
        after = uuid.UUID(int=0)
        while True:
            async with db.transaction(TenantId(tenant_id)) as conn:
                rows = await conn.fetch(
                    """SELECT id, secrets, secrets_key_id FROM webhooks
                       WHERE secrets_key_id IS DISTINCT FROM $1 AND id > $2
                       ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED""",
                    keyring.current_id,
                    after,
                    batch,
                )
                if not rows:
                    break
                after = rows[-1]["id"]
                updates = []
                for row in rows:
                    try:
                        secrets = open_secrets(
                            row["secrets"], row["secrets_key_id"], keyring, tenant_id, row["id"]
                        )
                    except UnreadableSecret as exc:
                        logger.error("cannot re-seal a webhook's secrets: %s", exc)
                        unreadable += 1
                        continue
                    sealed = seal_secrets(secrets, keyring, tenant_id, row["id"])
                    updates.append((row["id"], sealed, keyring.current_id))
                await conn.executemany(
                    "UPDATE webhooks SET secrets = $2, secrets_key_id = $3 WHERE id = $1", updates
                )
                resealed += len(updates)
        async with db.transaction(TenantId(tenant_id)) as conn:
            remaining += await conn.fetchval(
                "SELECT count(*) FROM webhooks WHERE secrets_key_id IS DISTINCT FROM $1",
                keyring.current_id,
            )
    return ResealReport(resealed, unreadable, remaining)
