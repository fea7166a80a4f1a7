"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import SystemClock
from logistics.domain.ids import TenantSlug
from logistics.secrets_box import Keyring
from logistics.services.webhooks import WebhookService
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.webhooks import World


@pytest.fixture
async def world(store: Store, keyring: Keyring) -> AsyncIterator[World]:
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "webhook-test", frozenset({Scope.ADMIN}))
    service = WebhookService(store, SystemClock(), keyring, allow_private_targets=True)
    made = World(store, tenant, service, caller)
    yield made
    for webhook in made.made:  # pending deliveries become dead letters: no later test sends them
        await made.service.delete(caller, made.name(webhook), None)
