"""Fleet use cases on the real database: idempotency, concurrency, audit and outbox."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import asyncpg
import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import (
    AlreadyExists,
    EtagMismatch,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from logistics.domain.fleet import Fleet, FleetKind, Rider, RiderState
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.paging import PageRequest
from logistics.domain.versioning import etag_for
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


def admin(tenant: str) -> Caller:
    return Caller(TenantSlug(tenant), "ops@test", frozenset({Scope.ADMIN}))


def rider(name: str = "Jane Doe", **fields: object) -> Rider:
    return Rider(id=uuid.uuid4(), display_name=name, **fields)  # type: ignore[arg-type]


@pytest.fixture
def service(store: Store) -> FleetService:
    return FleetService(store, Outlets(None))


def rider_ref(tenant: str, rider_id: uuid.UUID) -> ResourceName:
    return ResourceName(TenantSlug(tenant), "riders", rider_id)


async def audit_and_outbox(
    store: Store, database: Database, name: ResourceName
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """The audit rows of the resource ``name`` and every event of its tenant, oldest first."""
    tenant_id = await store.tenants.find(name.tenant)
    async with database.transaction(tenant_id) as conn:
        audit = await conn.fetch(
            "SELECT actor, action, before, after FROM audit_log WHERE resource = $1 ORDER BY id",
            str(name),
        )
        events = await conn.fetch("SELECT event_type, subject, data FROM outbox ORDER BY seq")
    return audit, events


async def test_a_retried_create_returns_the_first_rider(service: FleetService) -> None:
    tenant = unique_tenant()
    first = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), "req-1")
    again = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), "req-1")
    assert again.id == first.id
    page = await service.list_riders(admin(tenant), TenantSlug(tenant), PageRequest())
    assert [r.id for r in page.items] == [first.id]


async def test_a_reused_request_id_with_another_body_is_already_exists(
    service: FleetService,
) -> None:
    tenant = unique_tenant()
    await service.create_rider(admin(tenant), TenantSlug(tenant), rider("A"), "req-1")
    with pytest.raises(AlreadyExists) as caught:
        await service.create_rider(admin(tenant), TenantSlug(tenant), rider("B"), "req-1")
    assert caught.value.reason == "REQUEST_ID_REUSED"


async def test_concurrent_creates_with_one_request_id_make_one_rider(service: FleetService) -> None:
    tenant = unique_tenant()
    await service.create_rider(admin(tenant), TenantSlug(tenant), rider("warm-up"), None)
    results = await asyncio.gather(
        *(
            service.create_rider(admin(tenant), TenantSlug(tenant), rider(), "same")
            for _ in range(8)
        )
    )
    assert len({r.id for r in results}) == 1
    page = await service.list_riders(admin(tenant), TenantSlug(tenant), PageRequest())
    assert len(page.items) == 2


async def test_an_external_id_is_unique_in_a_tenant_not_across_tenants(
    service: FleetService,
) -> None:
    a, b = unique_tenant(), unique_tenant()
    await service.create_rider(admin(a), TenantSlug(a), rider(external_id="emp-7"), None)
    with pytest.raises(AlreadyExists):
        await service.create_rider(admin(a), TenantSlug(a), rider(external_id="emp-7"), None)
    await service.create_rider(admin(b), TenantSlug(b), rider(external_id="emp-7"), None)


async def test_update_with_a_stale_etag_is_rejected_and_changes_nothing(
    service: FleetService,
) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), None)
    name = rider_ref(tenant, created.id)
    updated = await service.update_rider(
        admin(tenant), name, {"zone": "west"}, etag_for(created.version)
    )
    assert updated.zone == "west"
    assert updated.version == created.version + 1
    with pytest.raises(EtagMismatch):
        await service.update_rider(admin(tenant), name, {"zone": "east"}, etag_for(created.version))
    assert (await service.get_rider(admin(tenant), name)).zone == "west"


async def test_concurrent_updates_with_one_etag_have_exactly_one_winner(
    service: FleetService,
) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), None)
    name = rider_ref(tenant, created.id)
    outcomes = await asyncio.gather(
        *(
            service.update_rider(admin(tenant), name, {"zone": f"z{i}"}, etag_for(created.version))
            for i in range(6)
        ),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if isinstance(o, Rider)]
    assert len(winners) == 1
    assert all(isinstance(o, EtagMismatch) for o in outcomes if not isinstance(o, Rider))
    assert (await service.get_rider(admin(tenant), name)).zone == winners[0].zone


async def test_a_change_writes_its_audit_row_and_outbox_event(
    service: FleetService, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), None)
    name = rider_ref(tenant, created.id)
    await service.update_rider(admin(tenant), name, {"state": RiderState.SUSPENDED}, None)
    audit, events = await audit_and_outbox(store, database, name)
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("ops@test", "rider.create"),
        ("ops@test", "rider.update"),
    ]
    assert audit[1]["before"]["state"] == "active"
    assert audit[1]["after"]["state"] == "suspended"
    assert [e["subject"] for e in events] == ["logistics.rider.created", "logistics.rider.updated"]
    assert events[1]["data"]["rider"]["state"] == "suspended"
    assert events[1]["data"]["tenant"] == tenant


async def test_an_update_that_changes_nothing_writes_nothing_and_a_delete_is_recorded(
    service: FleetService, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(
        admin(tenant), TenantSlug(tenant), rider(zone="north"), None
    )
    name = rider_ref(tenant, created.id)
    etag = etag_for(created.version)
    assert await service.update_rider(admin(tenant), name, {"zone": "north"}, etag) == created
    await service.delete_rider(admin(tenant), name, etag)
    audit, events = await audit_and_outbox(store, database, name)
    assert [a["action"] for a in audit] == ["rider.create", "rider.delete"]
    assert audit[1]["before"]["zone"] == "north"
    assert audit[1]["after"] is None
    assert [e["subject"] for e in events] == ["logistics.rider.created", "logistics.rider.deleted"]
    assert events[1]["data"]["name"] == str(name)


async def test_a_failed_write_leaves_no_audit_or_event(
    service: FleetService, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    await service.create_rider(admin(tenant), TenantSlug(tenant), rider(external_id="dup"), None)
    with pytest.raises(AlreadyExists):
        await service.create_rider(
            admin(tenant), TenantSlug(tenant), rider(external_id="dup"), "r2"
        )
    tenant_id = await store.tenants.find(TenantSlug(tenant))
    async with database.transaction(tenant_id) as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 1
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 0


async def test_listing_pages_through_every_rider_once_with_filters(service: FleetService) -> None:
    tenant = unique_tenant()
    caller = admin(tenant)
    fleet = await service.create_fleet(
        caller, TenantSlug(tenant), Fleet(uuid.uuid4(), "Nairobi West", FleetKind.OWN), None
    )
    in_fleet = set()
    for i in range(23):
        made = await service.create_rider(
            caller, TenantSlug(tenant), rider(f"r{i}", fleet_id=fleet.id if i % 2 else None), None
        )
        if i % 2:
            in_fleet.add(made.id)
    seen: list[uuid.UUID] = []
    page = PageRequest(size=5)
    while True:
        result = await service.list_riders(caller, TenantSlug(tenant), page, fleet_id=fleet.id)
        seen.extend(r.id for r in result.items)
        if result.next is None:
            break
        page = dataclasses.replace(page, after=result.next)
    assert len(seen) == len(set(seen)) == len(in_fleet)
    assert set(seen) == in_fleet


async def test_a_rider_cannot_join_a_fleet_that_does_not_exist(service: FleetService) -> None:
    tenant = unique_tenant()
    with pytest.raises(InvalidArgument) as caught:
        await service.create_rider(
            admin(tenant), TenantSlug(tenant), rider(fleet_id=uuid.uuid4()), None
        )
    assert caught.value.violations[0].field == "rider.fleet"


async def test_another_tenants_rider_is_not_found_and_their_tenant_is_denied(
    service: FleetService,
) -> None:
    a, b = unique_tenant(), unique_tenant()
    created = await service.create_rider(admin(a), TenantSlug(a), rider(), None)
    await service.create_rider(admin(b), TenantSlug(b), rider(), None)
    with pytest.raises(NotFound):
        await service.get_rider(admin(b), rider_ref(b, created.id))
    with pytest.raises(PermissionDenied):
        await service.get_rider(admin(b), rider_ref(a, created.id))


async def test_reading_needs_the_read_scope(service: FleetService) -> None:
    tenant = unique_tenant()
    telemetry_only = Caller(TenantSlug(tenant), "app", frozenset({Scope.TELEMETRY}))
    with pytest.raises(PermissionDenied):
        await service.list_riders(telemetry_only, TenantSlug(tenant), PageRequest())
    reader = Caller(TenantSlug(tenant), "viewer", frozenset({Scope.READ}))
    with pytest.raises(PermissionDenied):
        await service.create_rider(reader, TenantSlug(tenant), rider(), None)


async def test_a_deleted_rider_is_gone_and_frees_its_external_id(service: FleetService) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(
        admin(tenant), TenantSlug(tenant), rider(external_id="e1"), None
    )
    await service.delete_rider(admin(tenant), rider_ref(tenant, created.id), None)
    with pytest.raises(NotFound):
        await service.get_rider(admin(tenant), rider_ref(tenant, created.id))
    await service.create_rider(admin(tenant), TenantSlug(tenant), rider(external_id="e1"), None)


async def outlet_count(store: Store, database: Database, tenant: str) -> int:
    tenant_id = await store.tenants.find(TenantSlug(tenant))
    async with database.transaction(tenant_id) as conn:
        return int(await conn.fetchval("SELECT count(*) FROM outlets"))


async def test_a_failed_fleet_update_stores_no_outlet(
    service: FleetService, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    created = await service.create_fleet(
        admin(tenant),
        TenantSlug(tenant),
        Fleet(id=uuid.uuid4(), display_name="F", kind=FleetKind.OWN),
        None,
    )
    name = ResourceName(TenantSlug(tenant), "fleets", created.id)
    await service.update_fleet(admin(tenant), name, {"display_name": "G"}, None)
    stale = etag_for(created.version)

    with pytest.raises(EtagMismatch):
        await service.update_fleet(admin(tenant), name, {"outlet_ids": ("o-1", "o-2")}, stale)
    unknown = ResourceName(TenantSlug(tenant), "fleets", uuid.uuid4())
    with pytest.raises(NotFound):
        await service.update_fleet(admin(tenant), unknown, {"outlet_ids": ("o-3",)}, None)
    with pytest.raises(InvalidArgument):
        await service.update_fleet(
            admin(tenant), name, {"outlet_ids": ("o-4",), "display_name": ""}, None
        )

    assert await outlet_count(store, database, tenant) == 0
    updated = await service.update_fleet(admin(tenant), name, {"outlet_ids": ("o-1",)}, None)
    assert updated.outlet_ids == ("o-1",)
    assert await outlet_count(store, database, tenant) == 1


async def test_a_failed_rider_update_stores_no_outlet(
    service: FleetService, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    created = await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), None)
    name = rider_ref(tenant, created.id)
    await service.update_rider(admin(tenant), name, {"zone": "west"}, None)

    with pytest.raises(EtagMismatch):
        await service.update_rider(
            admin(tenant), name, {"home_outlet_id": "o-9"}, etag_for(created.version)
        )
    with pytest.raises(NotFound):
        await service.update_rider(
            admin(tenant), rider_ref(tenant, uuid.uuid4()), {"home_outlet_id": "o-9"}, None
        )

    assert await outlet_count(store, database, tenant) == 0


async def test_a_first_write_that_fails_registers_no_tenant(
    service: FleetService, store: Store
) -> None:
    tenant = unique_tenant()

    with pytest.raises(InvalidArgument):
        await service.create_rider(
            admin(tenant), TenantSlug(tenant), rider(fleet_id=uuid.uuid4()), None
        )

    assert await store.tenants.find(TenantSlug(tenant)) is None
    await service.create_rider(admin(tenant), TenantSlug(tenant), rider(), None)
    assert await store.tenants.find(TenantSlug(tenant)) is not None
