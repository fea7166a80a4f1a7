"""Carrier accounts on the real database: credentials sealed at rest, bound to their row, kept
through a key rotation that lets the old key go; updates refused on a stale etag."""

from __future__ import annotations

import dataclasses
import uuid

import asyncpg
import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.carrier_records import Adapter, CarrierAccount, Credentials, Mode
from logistics.domain.errors import EtagMismatch, FailedPrecondition, InvalidArgument
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import CARRIER_ACCOUNTS
from logistics.domain.versioning import etag_for
from logistics.secrets_box import Keyring, UnreadableSecret, generate_key
from logistics.services.carriers import CarrierAccounts
from logistics.store.carrier_secrets import reseal_carrier_credentials
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import SECRETS_KEYS, unique_tenant
from tests.support.servers import ServerUrls

CREDENTIALS = Credentials("key-7d1e", "whsec_c2FuZGJveC1zZWNyZXQtZm9yLXRlc3Rpbmc=")


def an_account(**changes: object) -> CarrierAccount:
    account = CarrierAccount(
        id=uuid.uuid4(),
        display_name="Sandbox couriers",
        adapter=Adapter.ON_DEMAND,
        base_url="http://127.0.0.1:4190",
        mode=Mode.TEST,
        credentials=CREDENTIALS,
    )
    return dataclasses.replace(account, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def admin(server_urls: ServerUrls) -> asyncpg.Connection:
    conn = await asyncpg.connect(server_urls.database_url)
    yield conn  # type: ignore[misc]
    await conn.close()


async def test_credentials_are_sealed_bound_to_their_row_and_survive_a_rotation(
    store: Store, database: Database, keyring: Keyring, admin: asyncpg.Connection
) -> None:
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "admin", frozenset({Scope.ADMIN, Scope.READ}))
    accounts = CarrierAccounts(store, keyring)
    made = await accounts.create(caller, tenant, an_account(), "req-1")
    assert (await accounts.create(caller, tenant, an_account(), "req-1")).id == made.id
    name = ResourceName(tenant, CARRIER_ACCOUNTS.id, made.id)
    row = await admin.fetchrow("SELECT * FROM carrier_accounts WHERE id = $1", made.id)
    assert CREDENTIALS.api_key not in row["credentials"]
    assert row["credentials_key_id"] == keyring.current_id
    # A sealed value copied to another tenant's or account's row does not open there.
    with pytest.raises(UnreadableSecret):
        keyring.open(row["credentials"], f"carrier_accounts.credentials/{uuid.uuid4()}/{made.id}")
    with pytest.raises(UnreadableSecret):
        keyring.open(
            row["credentials"], f"carrier_accounts.credentials/{row['tenant_id']}/{uuid.uuid4()}"
        )

    new_entry = generate_key("k9")
    rotated = Keyring.parse(f"{new_entry},{SECRETS_KEYS}")
    try:
        report = await reseal_carrier_credentials(database, rotated)
        assert report.unreadable == report.remaining == 0
        assert report.resealed >= 1
        old_key_dropped = CarrierAccounts(store, Keyring.parse(new_entry))
        got = await old_key_dropped.get(caller, name)
        assert got.credentials == CREDENTIALS
        assert got.version == made.version  # sealing again is not a change of the account
    finally:
        back = await reseal_carrier_credentials(
            database, Keyring.parse(f"{SECRETS_KEYS},{new_entry}")
        )
        assert back.remaining == 0


async def test_an_update_is_validated_and_refused_on_a_stale_etag(
    store: Store, keyring: Keyring
) -> None:
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "admin", frozenset({Scope.ADMIN, Scope.READ}))
    accounts = CarrierAccounts(store, keyring)
    made = await accounts.create(caller, tenant, an_account(), None)
    name = ResourceName(tenant, CARRIER_ACCOUNTS.id, made.id)
    with pytest.raises(InvalidArgument) as bad:
        await accounts.update(caller, name, {"mode": Mode.LIVE}, None)  # http in live mode
    assert [v.field for v in bad.value.violations] == ["carrier_account.base_url"]
    updated = await accounts.update(caller, name, {"priority": 3}, etag_for(made.version))
    assert updated.priority == 3
    with pytest.raises((EtagMismatch, FailedPrecondition)):
        await accounts.update(caller, name, {"priority": 4}, etag_for(made.version))
    assert (await accounts.get(caller, name)).priority == 3
