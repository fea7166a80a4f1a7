"""Vehicle use cases: the capacity profiles riders carry tasks with."""

from __future__ import annotations

import dataclasses
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import (
    VEHICLE_UPDATABLE,
    Vehicle,
    VehicleState,
    normalise_plate,
    validate_vehicle,
)
from logistics.domain.errors import FailedPrecondition
from logistics.domain.events import VehicleCreated, VehicleDeleted, VehicleUpdated
from logistics.domain.fleet import VehicleType, check_update_paths
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import VEHICLES
from logistics.domain.paging import Page, PageRequest
from logistics.services.idempotency import claim_create
from logistics.store.unit_of_work import Store


class VehicleService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(
        self, caller: Caller, tenant: TenantSlug, vehicle: Vehicle, request_id: str | None
    ) -> Vehicle:
        caller.require(Scope.ADMIN, tenant)
        vehicle = dataclasses.replace(vehicle, plate=normalise_plate(vehicle.plate))
        validate_vehicle(vehicle)
        async with self._store.write(tenant) as uow:
            earlier = await claim_create(uow, "CreateVehicle", request_id, vehicle)
            if earlier is not None:
                return await uow.load(uow.vehicles, VEHICLES, earlier)
            created = await uow.vehicles.add(vehicle)
            name = VEHICLES.name(tenant, created.id)
            await uow.record(
                caller.subject,
                "vehicle.create",
                name,
                after=created,
                event=VehicleCreated(name, created),
            )
            return created

    async def get(self, caller: Caller, name: ResourceName) -> Vehicle:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.vehicles, VEHICLES, name.id)

    async def list(
        self,
        caller: Caller,
        tenant: TenantSlug,
        page: PageRequest,
        *,
        type: VehicleType | None = None,
        state: VehicleState | None = None,
    ) -> Page[Vehicle]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.vehicles.list(page, type=type, state=state)

    async def update(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> Vehicle:
        caller.require(Scope.ADMIN, name.tenant)
        check_update_paths(frozenset(changes), VEHICLE_UPDATABLE, "update_mask")
        if "plate" in changes:
            changes = {**changes, "plate": normalise_plate(changes["plate"])}
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.vehicles, VEHICLES, name.id, etag=etag)
            wanted = dataclasses.replace(current, **changes)
            validate_vehicle(wanted)
            if wanted == current:
                return current
            updated = await uow.vehicles.update(wanted)
            await uow.record(
                caller.subject,
                "vehicle.update",
                str(name),
                before=current,
                after=updated,
                event=VehicleUpdated(str(name), updated),
            )
            return updated

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.vehicles, VEHICLES, name.id, etag=etag)
            if await uow.vehicles.in_use(name.id):
                raise FailedPrecondition(
                    "a rider uses this vehicle; change the rider's vehicle first",
                    reason="VEHICLE_IN_USE",
                )
            await uow.vehicles.archive(name.id)
            await uow.record(
                caller.subject,
                "vehicle.delete",
                str(name),
                before=current,
                event=VehicleDeleted(str(name)),
            )
