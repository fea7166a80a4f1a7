"""Fleet use cases: create, read, list, update and archive fleets and riders."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from logistics.domain.events import (
    FleetCreated,
    FleetDeleted,
    FleetUpdated,
    RiderCreated,
    RiderDeleted,
    RiderUpdated,
)
from logistics.domain.fleet import (
    FLEET_UPDATABLE,
    RIDER_UPDATABLE,
    Fleet,
    FleetKind,
    Rider,
    RiderState,
    VehicleType,
    validate_fleet,
    validate_rider,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import FLEETS, RIDERS, VEHICLES
from logistics.domain.paging import Page, PageRequest
from logistics.services import crud
from logistics.services.directory import Outlets
from logistics.store.unit_of_work import Store, UnitOfWork

# Request field names that differ from the domain's.
_RIDER_FIELDS = {"fleet": "fleet_id", "vehicle": "vehicle_id"}

_FLEETS = crud.Kind(FLEETS, lambda uow: uow.fleets, lambda uow: uow.fleets.archive)
_RIDERS = crud.Kind(RIDERS, lambda uow: uow.riders, lambda uow: uow.riders.archive)


class FleetService:
    """Fleets and riders of a tenant. Reads need ``logistics:read``; writes ``logistics:admin``."""

    def __init__(self, store: Store, outlets: Outlets) -> None:
        self._store = store
        self._outlets = outlets

    # Fleets

    async def create_fleet(
        self, caller: Caller, tenant: TenantSlug, fleet: Fleet, request_id: str | None
    ) -> Fleet:
        caller.require(Scope.ADMIN, tenant)
        validate_fleet(fleet)
        async with self._store.write(tenant) as uow:
            return await _FLEETS.create(
                uow,
                caller,
                fleet,
                request_id,
                method="CreateFleet",
                before_add=lambda: self._outlets.ensure(uow, fleet.outlet_ids),
                event=FleetCreated,
            )

    async def get_fleet(self, caller: Caller, name: ResourceName) -> Fleet:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.fleets, FLEETS, name.id)

    async def list_fleets(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest, kind: FleetKind | None
    ) -> Page[Fleet]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.fleets.list(page, kind=kind)

    async def update_fleet(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> Fleet:
        crud.authorise_update(caller, name.tenant, changes, FLEET_UPDATABLE)
        async with self._store.write(name.tenant) as uow:
            return await _FLEETS.update(
                uow,
                caller,
                name.id,
                etag,
                changes,
                validate=validate_fleet,
                before_save=lambda _, wanted: self._outlets.ensure(uow, wanted.outlet_ids),
                event=FleetUpdated,
            )

    async def delete_fleet(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await _FLEETS.delete(uow, caller, name.id, etag, event=FleetDeleted, check=_no_riders)

    # Riders

    async def create_rider(
        self, caller: Caller, tenant: TenantSlug, rider: Rider, request_id: str | None
    ) -> Rider:
        caller.require(Scope.ADMIN, tenant)
        validate_rider(rider)
        async with self._store.write(tenant) as uow:
            return await self._add_rider(caller, uow, rider, request_id)

    async def get_rider(self, caller: Caller, name: ResourceName) -> Rider:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.riders, RIDERS, name.id)

    async def list_riders(
        self,
        caller: Caller,
        tenant: TenantSlug,
        page: PageRequest,
        *,
        fleet_id: uuid.UUID | None = None,
        state: RiderState | None = None,
        vehicle_type: VehicleType | None = None,
        zone: str | None = None,
    ) -> Page[Rider]:
        """The tenant's riders, optionally only those of one fleet, state, vehicle type or zone."""
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.riders.list(
                page, fleet_id=fleet_id, state=state, vehicle_type=vehicle_type, zone=zone
            )

    async def update_rider(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> Rider:
        crud.authorise_update(caller, name.tenant, changes, RIDER_UPDATABLE)
        fields = {_RIDER_FIELDS.get(k, k): v for k, v in changes.items()}
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.riders, RIDERS, name.id, etag=etag)
            return await self._apply(caller, uow, current, dataclasses.replace(current, **fields))

    async def upsert_rider(
        self, caller: Caller, tenant: TenantSlug, rider: Rider, *, keep_state: bool = False
    ) -> Rider:
        """Creates or updates the rider with ``rider.external_id``: every field is replaced
        (the state too, unless ``keep_state``: then an existing rider keeps its state).

        Concurrent upserts of one external id serialise on a transaction-scoped advisory lock,
        so they never both create. A bulk import that created the same external id meanwhile
        (it does not take the per-rider lock) makes the insert fail; the second attempt then
        finds that rider and updates it.
        """
        caller.require(Scope.ADMIN, tenant)
        if not rider.external_id:
            raise InvalidArgument.field("rider.external_id", "is required for an upsert")
        validate_rider(rider)
        try:
            return await self._upsert(caller, tenant, rider, keep_state)
        except AlreadyExists as exc:
            if exc.reason != "EXTERNAL_ID_TAKEN":
                raise
            return await self._upsert(caller, tenant, rider, keep_state)

    async def _upsert(
        self, caller: Caller, tenant: TenantSlug, rider: Rider, keep_state: bool
    ) -> Rider:
        assert rider.external_id is not None
        async with self._store.write(tenant) as uow:
            await uow.lock("rider.external_id", rider.external_id)
            current = await uow.riders.get_by_external_id(rider.external_id, for_update=True)
            if current is None:
                return await self._add_rider(caller, uow, rider, None)
            wanted = dataclasses.replace(
                rider,
                id=current.id,
                state=current.state if keep_state else rider.state,
                create_time=current.create_time,
                update_time=current.update_time,
                version=current.version,
            )
            return await self._apply(caller, uow, current, wanted)

    async def _add_rider(
        self, caller: Caller, uow: UnitOfWork, rider: Rider, request_id: str | None
    ) -> Rider:
        return await _RIDERS.create(
            uow,
            caller,
            rider,
            request_id,
            method="CreateRider",
            before_add=lambda: self._check_references(uow, rider, None),
            event=RiderCreated,
        )

    async def _apply(self, caller: Caller, uow: UnitOfWork, current: Rider, wanted: Rider) -> Rider:
        validate_rider(wanted)
        return await _RIDERS.save(
            uow,
            caller,
            current,
            wanted,
            before_save=lambda old, new: self._check_references(uow, new, old),
            event=RiderUpdated,
        )

    async def delete_rider(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await _RIDERS.delete(uow, caller, name.id, etag, event=RiderDeleted)

    async def _check_references(self, uow: UnitOfWork, rider: Rider, current: Rider | None) -> None:
        """The fleet and vehicle a rider names must exist (checked when they change); its home
        outlet is made known."""
        if current is None or current.home_outlet_id != rider.home_outlet_id:
            await self._outlets.ensure(uow, [rider.home_outlet_id])
        fleet_id, vehicle_id = rider.fleet_id, rider.vehicle_id
        fleet_changed = current is None or current.fleet_id != fleet_id
        if fleet_id is not None and fleet_changed and not await uow.fleets.exists(fleet_id):
            raise InvalidArgument.field(
                "rider.fleet", f"fleet {FLEETS.name(uow.tenant, fleet_id)} does not exist"
            )
        vehicle_changed = current is None or current.vehicle_id != vehicle_id
        if (
            vehicle_id is not None
            and vehicle_changed
            and await uow.vehicles.get(vehicle_id) is None
        ):
            raise InvalidArgument.field(
                "rider.vehicle",
                f"vehicle {VEHICLES.name(uow.tenant, vehicle_id)} does not exist",
            )


# What keeps a resource from being deleted


async def _no_riders(uow: UnitOfWork, fleet: Fleet) -> None:
    if await uow.fleets.has_riders(fleet.id):
        raise FailedPrecondition(
            "the fleet still has riders; move or delete them first", reason="FLEET_NOT_EMPTY"
        )
