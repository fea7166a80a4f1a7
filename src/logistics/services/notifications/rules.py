"""Notification rules: create, read, list, update and delete a tenant's rules
(``logistics:admin`` to change them, ``logistics:read`` to read them)."""

from __future__ import annotations

from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.events import (
    NotificationRuleCreated,
    NotificationRuleDeleted,
    NotificationRuleUpdated,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import NOTIFICATION_RULES
from logistics.domain.notifications import (
    NOTIFICATION_RULE_UPDATABLE,
    NotificationRule,
    validate_rule,
)
from logistics.domain.paging import Page, PageRequest
from logistics.services import crud
from logistics.store.unit_of_work import Store

__all__ = ["NotificationRules"]

_RULES = crud.Kind(
    NOTIFICATION_RULES,
    lambda uow: uow.notification_rules,
    lambda uow: uow.notification_rules.archive,
)


def _created(name: str, rule: NotificationRule) -> NotificationRuleCreated:
    return NotificationRuleCreated(name=name, rule=rule)


def _updated(name: str, rule: NotificationRule) -> NotificationRuleUpdated:
    return NotificationRuleUpdated(name=name, rule=rule)


def _deleted(name: str) -> NotificationRuleDeleted:
    return NotificationRuleDeleted(name=name)


class NotificationRules:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(
        self, caller: Caller, tenant: TenantSlug, rule: NotificationRule, request_id: str | None
    ) -> NotificationRule:
        caller.require(Scope.ADMIN, tenant)
        validate_rule(rule)
        async with self._store.write(tenant) as uow:
            return await _RULES.create(
                uow, caller, rule, request_id, method="CreateNotificationRule", event=_created
            )

    async def get(self, caller: Caller, name: ResourceName) -> NotificationRule:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.notification_rules, NOTIFICATION_RULES, name.id)

    async def list_rules(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest
    ) -> Page[NotificationRule]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.notification_rules.list(page)

    async def update(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> NotificationRule:
        crud.authorise_update(caller, name.tenant, changes, NOTIFICATION_RULE_UPDATABLE)
        async with self._store.write(name.tenant) as uow:
            return await _RULES.update(
                uow, caller, name.id, etag, changes, validate=validate_rule, event=_updated
            )

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await _RULES.delete(uow, caller, name.id, etag, event=_deleted)
