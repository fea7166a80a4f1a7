"""The outlet registry on the real database: an outlet set before any task names it is
discovered and stored, its details change under an etag, bad hours change nothing, and the
registry pages in the order outlets became known."""

from __future__ import annotations

import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import EtagMismatch, InvalidArgument, NotFound, PermissionDenied
from logistics.domain.ids import TenantSlug
from logistics.domain.outlets import OpeningHours, OutletName
from logistics.domain.paging import PageRequest
from logistics.services.directory import Outlets
from logistics.services.outlets import OutletRegistry
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant

HOURS = (OpeningHours(2, 600, 1320), OpeningHours(1, 480, 1320))


async def test_an_outlet_is_set_read_and_changed_under_its_etag(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    registry = OutletRegistry(store, Outlets(None))
    admin = Caller(tenant, "ops", frozenset({Scope.ADMIN, Scope.READ}))
    name = OutletName(tenant, "java-house-westlands")
    with pytest.raises(NotFound):
        await registry.get(admin, name)

    made = await registry.update(
        admin,
        name,
        {
            "display_name": "Java House Westlands",
            "location": (-1.2676, 36.8108),
            "pickup_instructions": "Counter by the door; say the order number",
            "time_zone": "Africa/Nairobi",
            "opening_hours": HOURS,
        },
        None,
    )
    assert made.opening_hours == tuple(sorted(HOURS))
    assert (made.latitude, made.longitude, made.version) == (-1.2676, 36.8108, 2)
    assert await registry.get(admin, name) == made

    with pytest.raises(InvalidArgument) as caught:
        await registry.update(admin, name, {"opening_hours": (OpeningHours(1, 600, 500),)}, '"2"')
    assert [v.field for v in caught.value.violations] == ["outlet.opening_hours[0].close_minute"]
    moved = await registry.update(admin, name, {"address": "Woodvale Grove"}, '"2"')
    assert moved.address == "Woodvale Grove"
    with pytest.raises(EtagMismatch):
        await registry.update(admin, name, {"address": "elsewhere"}, '"2"')
    assert await registry.update(admin, name, {"address": "Woodvale Grove"}, None) == moved
    reader = Caller(tenant, "viewer", frozenset({Scope.READ}))
    with pytest.raises(PermissionDenied):
        await registry.update(reader, name, {"address": "mine"}, None)
    assert await registry.get(reader, name) == moved
    async with store.read(tenant) as uow:
        audited = await uow.conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'outlet.update'"
        )
    assert audited == 2


async def test_outlets_are_listed_in_pages_including_those_tasks_made_known(
    store: Store,
) -> None:
    tenant = TenantSlug(unique_tenant())
    outlets = Outlets(None)
    registry = OutletRegistry(store, outlets)
    admin = Caller(tenant, "ops", frozenset({Scope.ADMIN, Scope.READ}))
    async with store.write(tenant) as uow:  # as a task naming them would
        await outlets.ensure(uow, ["a", "b"])
    await registry.update(admin, OutletName(tenant, "c"), {"display_name": "C"}, None)
    first = await registry.list(admin, tenant, PageRequest(2))
    second = await registry.list(admin, tenant, PageRequest(2, first.next))
    assert sorted(o.id for o in first.items) == ["a", "b"]
    assert [o.id for o in second.items] == ["c"]
    assert second.next is None
    other = TenantSlug(unique_tenant())
    outsider = Caller(other, "ops", frozenset({Scope.READ}))
    assert (await registry.list(outsider, other, PageRequest())).items == []
