"""Carrier account use cases: a tenant's accounts created, read, listed, changed and deleted,
with ``logistics:admin`` (``logistics:read`` lists and reads them, without credentials).
Credentials are sealed at rest (``store/carriers_repo.py``) and never shown."""

from __future__ import annotations

from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.carrier_records import (
    ACCOUNT_UPDATABLE,
    CarrierAccount,
    validate_account,
)
from logistics.domain.events import (
    CarrierAccountCreated,
    CarrierAccountDeleted,
    CarrierAccountShown,
    CarrierAccountUpdated,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import CARRIER_ACCOUNTS
from logistics.domain.paging import Page, PageRequest
from logistics.secrets_box import Keyring
from logistics.services import crud
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store

__all__ = ["CarrierAccounts", "shown"]


def shown(account: CarrierAccount) -> CarrierAccountShown:
    """The account as events and audit rows show it: no credentials, no URL."""
    return CarrierAccountShown(
        id=account.id,
        display_name=account.display_name,
        adapter=account.adapter.value,
        mode=account.mode.value,
        kind=account.kind.value,
        vehicle_types=account.vehicle_types,
        zones=account.zones,
        priority=account.priority,
        disabled=account.disabled,
    )


def _audited(account: CarrierAccount) -> dict[str, Any]:
    return {**snapshot(shown(account)), "base_url": account.base_url}


class CarrierAccounts:
    def __init__(self, store: Store, keyring: Keyring) -> None:
        self._store = store
        self._keyring = keyring
        self._kind = crud.Kind(
            CARRIER_ACCOUNTS,
            lambda uow: uow.carrier_accounts(self._keyring),
            lambda uow: uow.carrier_accounts(self._keyring).archive,
            view=_audited,
        )

    async def create(
        self, caller: Caller, tenant: TenantSlug, account: CarrierAccount, request_id: str | None
    ) -> CarrierAccount:
        caller.require(Scope.ADMIN, tenant)
        validate_account(account)
        async with self._store.write(tenant) as uow:
            return await self._kind.create(
                uow,
                caller,
                account,
                request_id,
                method="CreateCarrierAccount",
                event=lambda name, made: CarrierAccountCreated(name, shown(made)),
            )

    async def get(self, caller: Caller, name: ResourceName) -> CarrierAccount:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.carrier_accounts(self._keyring), CARRIER_ACCOUNTS, name.id)

    async def list(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest
    ) -> Page[CarrierAccount]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.carrier_accounts(self._keyring).list(page)

    async def update(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> CarrierAccount:
        crud.authorise_update(caller, name.tenant, changes, ACCOUNT_UPDATABLE)
        async with self._store.write(name.tenant) as uow:
            return await self._kind.update(
                uow,
                caller,
                name.id,
                etag,
                changes,
                validate=validate_account,
                event=lambda named, updated: CarrierAccountUpdated(named, shown(updated)),
            )

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await self._kind.delete(uow, caller, name.id, etag, event=CarrierAccountDeleted)
