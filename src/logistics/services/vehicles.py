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
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import VEHICLES
from logistics.domain.paging import Page, PageRequest
from logistics.services import crud
from logistics.store.unit_of_work import Store, UnitOfWork

_VEHICLES = crud.Kind(VEHICLES, lambda uow: uow.vehicles, lambda uow: uow.vehicles.archive)


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
            return await _VEHICLES.create(
                uow, caller, vehicle, request_id, method="CreateVehicle", event=VehicleCreated
            )

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
        crud.authorise_update(caller, name.tenant, changes, VEHICLE_UPDATABLE)
        if "plate" in changes:
            changes = {**changes, "plate": normalise_plate(changes["plate"])}
        async with self._store.write(name.tenant) as uow:
            return await _VEHICLES.update(
                uow, caller, name.id, etag, changes, validate=validate_vehicle, event=VehicleUpdated
            )

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await _VEHICLES.delete(uow, caller, name.id, etag, event=VehicleDeleted, check=_unused)


# What keeps a resource from being deleted


async def _unused(uow: UnitOfWork, vehicle: Vehicle) -> None:
    if await uow.vehicles.in_use(vehicle.id):
        raise FailedPrecondition(
            "a rider uses this vehicle; change the rider's vehicle first", reason="VEHICLE_IN_USE"
        )
