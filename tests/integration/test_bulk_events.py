"""A CSV import's events are the typed events a one-at-a-time change emits: the import builds
them in SQL, so this compares the two on the real database."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import Capacity, Vehicle
from logistics.domain.csv_rows import RIDER_COLUMNS, VEHICLE_COLUMNS
from logistics.domain.events import Event, RiderCreated, RiderUpdated, VehicleCreated
from logistics.domain.fleet import Rider, RiderState, VehicleType
from logistics.domain.ids import TenantSlug
from logistics.services.bulk import BulkService
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.vehicles import VehicleService
from logistics.store.bulk import BulkRepository
from logistics.store.db import Database
from logistics.store.snapshot import event_data
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant

RIDER_HEADER = ",".join(RIDER_COLUMNS)
VEHICLE_HEADER = ",".join(VEHICLE_COLUMNS)


async def csv(header: str, *rows: str) -> AsyncIterator[bytes]:
    yield "\n".join([header, *rows, ""]).encode()


def comparable(value: Any) -> Any:
    """JSON with times as instants: PostgreSQL and Python spell fractions of a second apart
    (``.25`` and ``.250000``), both RFC 3339."""
    if isinstance(value, dict):
        return {
            k: datetime.fromisoformat(v) if k.endswith("_time") and v else comparable(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def shape(value: Any) -> Any:
    """Keys all the way down, and which values are objects or lists."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return None


async def outbox(database: Database, store: Store, tenant: TenantSlug) -> list[Any]:
    tenant_id = await store.tenants.find(tenant)
    async with database.transaction(tenant_id) as conn:
        return list(await conn.fetch("SELECT event_type, data FROM outbox ORDER BY seq"))


def expected(event: Event, tenant: TenantSlug) -> dict[str, Any]:
    """The data a typed event has once the unit of work gave it the tenant."""
    return event_data(dataclasses.replace(event, tenant=tenant))


async def test_imported_riders_events_are_the_typed_events_of_a_single_create(
    store: Store, database: Database
) -> None:
    tenant = TenantSlug(unique_tenant())
    admin = Caller(tenant, "importer", frozenset({Scope.ADMIN}))
    fleet = FleetService(store, Outlets(None))
    single = await fleet.create_rider(
        admin,
        tenant,
        Rider(uuid.uuid4(), "Wanjiku", "EMP-1", phone="+254700000001", zone="west"),
        None,
    )
    bulk = BulkService(store, Outlets(None), BulkRepository(store))
    await bulk.import_riders(
        admin,
        tenant,
        csv(
            RIDER_HEADER,
            "EMP-2,Brian,+254700000002,,,,west,,motorbike,active",
            "EMP-1,Wanjiku,+254700000001,,,,east,,,suspended",
        ),
        dry_run=False,
    )

    events = await outbox(database, store, tenant)
    assert [e["event_type"] for e in events] == ["rider.created", "rider.updated", "rider.created"]
    by_single, updated, created = (e["data"] for e in events)
    assert shape(created) == shape(updated) == shape(by_single)
    async with store.read(tenant) as uow:
        brian = await uow.riders.get_by_external_id("EMP-2")
        wanjiku = await uow.riders.get(single.id)
    assert brian is not None
    assert wanjiku is not None
    assert brian.vehicle_type is VehicleType.MOTORBIKE
    assert wanjiku.state is RiderState.SUSPENDED
    assert comparable(created) == comparable(
        expected(RiderCreated(f"tenants/{tenant}/riders/{brian.id}", brian), tenant)
    )
    assert comparable(updated) == comparable(
        expected(RiderUpdated(f"tenants/{tenant}/riders/{wanjiku.id}", wanjiku), tenant)
    )


async def test_imported_vehicles_events_are_the_typed_events_of_a_single_create(
    store: Store, database: Database
) -> None:
    tenant = TenantSlug(unique_tenant())
    admin = Caller(tenant, "importer", frozenset({Scope.ADMIN}))
    await VehicleService(store).create(
        admin,
        tenant,
        Vehicle(uuid.uuid4(), VehicleType.VAN, "KDA 001A", capacity=Capacity(800.5, 3000, 60)),
        None,
    )
    await BulkService(store, Outlets(None), BulkRepository(store)).import_vehicles(
        admin,
        tenant,
        csv(VEHICLE_HEADER, "KDA 002B,car,true,,,,false,0,0,12,active"),
        dry_run=False,
    )

    by_single, created = (e["data"] for e in await outbox(database, store, tenant))
    assert shape(created) == shape(by_single)
    async with store.read(tenant) as uow:
        vehicle = await uow.vehicles.get(uuid.UUID(created["vehicle"]["id"]))
    assert vehicle is not None
    assert comparable(created) == comparable(
        expected(VehicleCreated(f"tenants/{tenant}/vehicles/{vehicle.id}", vehicle), tenant)
    )
