"""Carrier credentials under the current key: the pass ``logistics migrate`` and
``logistics rotate-secrets`` run after a key is added in front of the keyring, so the old key
can be dropped. Like the webhook secrets' pass (``store/webhooks/secrets.py``): idempotent,
one transaction per batch, rows other transactions hold skipped, versions left alone."""

from __future__ import annotations

import logging
import uuid

from logistics.domain.ids import TenantId
from logistics.secrets_box import Keyring, UnreadableSecret
from logistics.store.carriers_repo import credentials_context
from logistics.store.db import Database
from logistics.store.webhooks.secrets import ResealReport

__all__ = ["reseal_carrier_credentials"]

logger = logging.getLogger(__name__)

_STALE = "credentials_key_id <> $1"


async def reseal_carrier_credentials(
    db: Database, keyring: Keyring, batch: int = 100
) -> ResealReport:
    """Seals again, with the current key, every carrier account's credentials (deleted
    accounts' too) sealed with another key."""
    async with db.pool.acquire() as conn:
        tenants = [r["id"] for r in await conn.fetch("SELECT id FROM tenants ORDER BY id")]
    resealed = unreadable = remaining = 0
    for tenant_id in tenants:
        last = uuid.UUID(int=0)
        while True:
            async with db.transaction(TenantId(tenant_id)) as conn:
                found = await conn.fetch(
                    f"""SELECT id, credentials FROM carrier_accounts WHERE {_STALE} AND id > $2
                        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED""",
                    keyring.current_id,
                    last,
                    batch,
                )
                if not found:
                    break
                last = found[-1]["id"]
                for account in found:
                    context = credentials_context(tenant_id, account["id"])
                    try:
                        plain = keyring.open(account["credentials"], context)
                    except UnreadableSecret as exc:
                        logger.error("cannot re-seal a carrier account's credentials: %s", exc)
                        unreadable += 1
                        continue
                    await conn.execute(
                        """UPDATE carrier_accounts SET credentials = $2, credentials_key_id = $3
                           WHERE id = $1""",
                        account["id"],
                        keyring.seal(plain, context),
                        keyring.current_id,
                    )
                    resealed += 1
        async with db.transaction(TenantId(tenant_id)) as conn:
            remaining += await conn.fetchval(
                f"SELECT count(*) FROM carrier_accounts WHERE {_STALE}", keyring.current_id
            )
    return ResealReport(resealed, unreadable, remaining)
