"""The per-process cache of a tenant's fences on the real database: one check at a time, and a
change made here is seen at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.geofence import Circle, FenceKind, Geofence
from logistics.domain.ids import TenantId, TenantSlug
from logistics.services import geofencing
from logistics.services.geofencing import GeofenceService
from logistics.store.db import Connection, Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


class CountingDatabase:
    """The real database, counting the transactions opened on it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.transactions = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)

    @asynccontextmanager
    async def transaction(self, tenant_id: TenantId | None = None) -> AsyncIterator[Connection]:
        self.transactions += 1
        async with self._db.transaction(tenant_id) as conn:
            yield conn


def fence(name: str) -> Geofence:
    return Geofence(uuid.uuid4(), name, FenceKind.ZONE, Circle(-1.28, 36.82, 500.0))


async def test_streams_finding_the_fences_stale_at_once_cause_one_check(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDatabase(database)
    fences = GeofenceService(Store(counting))  # type: ignore[arg-type]
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "ops@test", frozenset({Scope.ADMIN}))
    await fences.create(caller, tenant, fence("Westlands"), None)
    assert len((await fences.index(tenant)).fences) == 1
    monkeypatch.setattr(geofencing, "REFRESH_S", 0.0)  # every use now finds them stale
    before = counting.transactions
    found = await asyncio.gather(*(fences.index(tenant) for _ in range(200)))
    assert counting.transactions - before == 1
    assert all(len(f.fences) == 1 for f in found)


async def test_a_fence_changed_here_during_a_check_is_not_replaced_by_its_old_state(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fences = GeofenceService(Store(database))
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "ops@test", frozenset({Scope.ADMIN}))
    await fences.create(caller, tenant, fence("Westlands"), None)
    await fences.index(tenant)
    monkeypatch.setattr(geofencing, "REFRESH_S", 0.0)
    # A check starts (it sees one fence), and a second fence is created before it ends.
    checking = asyncio.ensure_future(fences.index(tenant))
    await asyncio.sleep(0)
    await fences.create(caller, tenant, fence("Kilimani"), None)
    await checking
    monkeypatch.setattr(geofencing, "REFRESH_S", 5.0)  # what is cached now is used as it is
    assert len((await fences.index(tenant)).fences) == 2
