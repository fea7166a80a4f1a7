"""Webhook signing secrets at rest, on the real database: stored sealed, still signing
deliveries, plain-text rows of before migration 0008 sealed by ``logistics migrate``, a key
rotation re-sealing every row, a sealed value bound to its row, and a missing key
dead-lettering deliveries with the reason instead of stopping the worker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import SystemClock
from logistics.domain.ids import TenantSlug
from logistics.domain.webhooks import Webhook
from logistics.secrets_box import Keyring, UnreadableSecret, generate_key
from logistics.services.webhooks import DeliveryState, WebhookService
from logistics.store.db import Database
from logistics.store.webhooks.secrets import reseal_webhook_secrets
from tests.support.auth import SECRETS_KEYS, unique_tenant
from tests.support.servers import ServerUrls
from tests.support.waiting import eventually
from tests.support.webhooks import Receiver, World, worker

URL = "https://hooks.example.com/in"


@pytest.fixture
async def admin(server_urls: ServerUrls) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the database owner (a superuser here), which row-level security lets
    see every tenant's rows: what someone reading the database directly sees."""
    conn = await asyncpg.connect(server_urls.database_url)
    yield conn
    await conn.close()


async def stored(admin: asyncpg.Connection, hook: Webhook) -> asyncpg.Record:
    row = await admin.fetchrow(
        "SELECT tenant_id, secrets::text AS secrets, secrets_key_id FROM webhooks WHERE id = $1",
        hook.id,
    )
    assert row is not None
    return row


async def plain_webhooks(world: World, admin: asyncpg.Connection, count: int) -> list[Webhook]:
    """New webhooks rewritten as every row was before migration 0008: secrets in plain text."""
    hooks = [await world.webhook(URL) for _ in range(count)]
    for hook in hooks:
        plain = [{"secret": s.secret, "expire_time": None} for s in hook.secrets]
        await admin.execute(
            "UPDATE webhooks SET secrets = $2::jsonb, secrets_key_id = NULL WHERE id = $1",
            hook.id,
            json.dumps(plain),
        )
    return hooks


async def test_secrets_are_stored_sealed_and_deliveries_are_signed_with_the_plain_secret(
    world: World, database: Database, admin: asyncpg.Connection
) -> None:
    with Receiver().running() as receiver:
        hook = await world.webhook(receiver.url, "task.*")
        secret = hook.secrets[0].secret
        receiver.secrets["current"] = secret
        row = await stored(admin, hook)
        async with worker(database):
            await world.emit("task.created", name="t")
            received = await eventually(lambda: receiver.requests)

    assert row["secrets_key_id"] == "test"
    assert secret not in row["secrets"]
    assert secret.removeprefix("whsec_")[:20] not in row["secrets"]
    assert '"sealed": "v1.test.' in row["secrets"]
    assert received[0].verified_by == {"current"}
    got = await world.service.get(world.caller, world.name(hook))
    assert got.secrets[0].secret == secret


async def test_plain_text_rows_are_read_and_logistics_migrate_seals_them(
    world: World, database: Database, admin: asyncpg.Connection, server_urls: ServerUrls
) -> None:
    hooks = await plain_webhooks(world, admin, 3)
    before = await world.service.get(world.caller, world.name(hooks[0]))
    assert before.secrets == hooks[0].secrets  # legacy rows still open, before the migration

    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    env.update(LOGISTICS_DATABASE_URL=server_urls.database_url, LOGISTICS_SECRETS_KEYS=SECRETS_KEYS)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "logistics.cli", "migrate"],
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    for hook in hooks:
        row = await stored(admin, hook)
        assert row["secrets_key_id"] == "test"
        assert hook.secrets[0].secret not in row["secrets"]
        got = await world.service.get(world.caller, world.name(hook))
        assert got.secrets == hook.secrets
        assert got.version == hook.version  # sealing is not a change of the resource
    assert b"whsec_" not in done.stderr + done.stdout


async def test_two_passes_at_once_seal_each_row_once(
    world: World, database: Database, admin: asyncpg.Connection, keyring: Keyring
) -> None:
    hooks = await plain_webhooks(world, admin, 5)

    first, second = await asyncio.gather(
        reseal_webhook_secrets(database, keyring, batch=2),
        reseal_webhook_secrets(database, keyring, batch=2),
    )

    assert first.resealed + second.resealed == 5
    assert first.unreadable == second.unreadable == 0
    for hook in hooks:
        assert (await stored(admin, hook))["secrets_key_id"] == "test"
    again = await reseal_webhook_secrets(database, keyring)
    assert (again.resealed, again.remaining) == (0, 0)


async def test_a_rotation_reseals_every_row_so_the_old_key_can_be_dropped(
    world: World, database: Database, admin: asyncpg.Connection
) -> None:
    hook = await world.webhook(URL)
    archived = await world.webhook(URL)
    await world.service.delete(world.caller, world.name(archived), None)
    world.made.remove(archived)
    new_entry = generate_key("k2")
    rotated = Keyring.parse(f"{new_entry},{SECRETS_KEYS}")
    try:
        report = await reseal_webhook_secrets(database, rotated)

        assert report.unreadable == report.remaining == 0
        assert report.resealed >= 2
        for made in (hook, archived):  # deleted webhooks' secrets are sealed too
            row = await stored(admin, made)
            assert row["secrets_key_id"] == "k2"
            assert '"sealed": "v1.k2.' in row["secrets"]
        old_key_dropped = WebhookService(world.store, SystemClock(), Keyring.parse(new_entry))
        got = await old_key_dropped.get(world.caller, world.name(hook))
        assert got.secrets == hook.secrets
    finally:  # back under the test key, for the rest of the run
        back = await reseal_webhook_secrets(database, Keyring.parse(f"{SECRETS_KEYS},{new_entry}"))
        assert back.remaining == 0


async def test_a_sealed_secret_copied_into_another_tenants_row_does_not_open(
    world: World, admin: asyncpg.Connection
) -> None:
    mine = await world.webhook(URL)
    other_tenant = TenantSlug(unique_tenant())
    other = World(
        world.store,
        other_tenant,
        world.service,
        Caller(other_tenant, "webhook-test", frozenset({Scope.ADMIN})),
    )
    theirs = await other.webhook(URL)
    own = await admin.fetchval("SELECT secrets FROM webhooks WHERE id = $1", theirs.id)
    await admin.execute(
        "UPDATE webhooks SET secrets = (SELECT secrets FROM webhooks WHERE id = $1) WHERE id = $2",
        mine.id,
        theirs.id,
    )
    try:
        with pytest.raises(UnreadableSecret, match=f"webhook {theirs.id}"):
            await other.service.get(other.caller, other.name(theirs))
    finally:
        await admin.execute("UPDATE webhooks SET secrets = $2 WHERE id = $1", theirs.id, own)
        await other.service.delete(other.caller, other.name(theirs), None)


async def test_a_webhook_whose_key_is_missing_has_its_deliveries_dead_lettered_with_the_reason(
    world: World, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver().running() as receiver:
        hook = await world.webhook(receiver.url, "task.*")
        other_key = Keyring.parse(generate_key("other"))
        async with worker(database, keyring=other_key):
            await world.emit("task.created", name="t")
            dead = await eventually(lambda: world.delivery(hook, DeliveryState.DEAD))

    assert receiver.requests == []
    assert "cannot be decrypted" in (dead.last_error or "")
    assert "key 'test', which is not in the keyring" in (dead.last_error or "")
    assert hook.secrets[0].secret not in caplog.text
    assert any("dead-lettered" in r.getMessage() for r in caplog.records)
