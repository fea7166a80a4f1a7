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
    check_update_paths,
    validate_fleet,
    validate_rider,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import FLEETS, RIDERS, VEHICLES
from logistics.domain.paging import Page, PageRequest
from logistics.services.directory import Outlets
from logistics.services.idempotency import claim_create
from logistics.store.unit_of_work import Store, UnitOfWork

# Request field names that differ from the domain's.
_RIDER_FIELDS = {"fleet": "fleet_id", "vehicle": "vehicle_id"}

# Kept for services/compliance.py, which imports it (that module is being split elsewhere);
# new code writes ``RIDERS.name``.
rider_name = RIDERS.name


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
            earlier = await claim_create(uow, "CreateFleet", request_id, fleet)
            if earlier is not None:
                return await uow.load(uow.fleets, FLEETS, earlier)
            await self._outlets.ensure(uow, fleet.outlet_ids)
            created = await uow.fleets.add(fleet)
            name = FLEETS.name(tenant, created.id)
            await uow.record(
                caller.subject,
                "fleet.create",
                name,
                after=created,
                event=FleetCreated(name, created),
            )
            return created

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
        self,
        caller: Caller,
        name: ResourceName,
        changes: dict[str, Any],
        etag: str | None,
    ) -> Fleet:
        caller.require(Scope.ADMIN, name.tenant)
        check_update_paths(frozenset(changes), FLEET_UPDATABLE, "update_mask")
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.fleets, FLEETS, name.id, etag=etag)
            wanted = dataclasses.replace(current, **changes)
            validate_fleet(wanted)
            if wanted == current:
                return current
            await self._outlets.ensure(uow, wanted.outlet_ids)
            updated = await uow.fleets.update(wanted)
            await uow.record(
                caller.subject,
                "fleet.update",
                str(name),
                before=current,
                after=updated,
                event=FleetUpdated(str(name), updated),
            )
            return updated

    async def delete_fleet(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.fleets, FLEETS, name.id, etag=etag)
            if await uow.fleets.has_riders(name.id):
                raise FailedPrecondition(
                    "the fleet still has riders; move or delete them first",
                    reason="FLEET_NOT_EMPTY",
                )
            await uow.fleets.archive(name.id)
            await uow.record(
                caller.subject,
                "fleet.delete",
                str(name),
                before=current,
                event=FleetDeleted(str(name)),
            )

    # Riders

    async def create_rider(
        self, caller: Caller, tenant: TenantSlug, rider: Rider, request_id: str | None
    ) -> Rider:
        caller.require(Scope.ADMIN, tenant)
        validate_rider(rider)
        async with self._store.write(tenant) as uow:
            earlier = await claim_create(uow, "CreateRider", request_id, rider)
            if earlier is not None:
                return await uow.load(uow.riders, RIDERS, earlier)
            return await self._add_rider(caller, uow, rider)

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
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.riders.list(
                page, fleet_id=fleet_id, state=state, vehicle_type=vehicle_type, zone=zone
            )

    async def update_rider(
        self,
        caller: Caller,
        name: ResourceName,
        changes: dict[str, Any],
        etag: str | None,
    ) -> Rider:
        caller.require(Scope.ADMIN, name.tenant)
        check_update_paths(frozenset(changes), RIDER_UPDATABLE, "update_mask")
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
                return await self._add_rider(caller, uow, rider)
            wanted = dataclasses.replace(
                rider,
                id=current.id,
                state=current.state if keep_state else rider.state,
                create_time=current.create_time,
                update_time=current.update_time,
                version=current.version,
            )
            return await self._apply(caller, uow, current, wanted)

    async def _add_rider(self, caller: Caller, uow: UnitOfWork, rider: Rider) -> Rider:
        await self._check_references(uow, rider, None)
        created = await uow.riders.add(rider)
        name = RIDERS.name(uow.tenant, created.id)
        await uow.record(
            caller.subject, "rider.create", name, after=created, event=RiderCreated(name, created)
        )
        return created

    async def _apply(self, caller: Caller, uow: UnitOfWork, current: Rider, wanted: Rider) -> Rider:
        validate_rider(wanted)
        if wanted == current:
            return current
        await self._check_references(uow, wanted, current)
        name = RIDERS.name(uow.tenant, current.id)
        updated = await uow.riders.update(wanted)
        await uow.record(
            caller.subject,
            "rider.update",
            name,
            before=current,
            after=updated,
            event=RiderUpdated(name, updated),
        )
        return updated

    async def delete_rider(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            current = await uow.load_for_update(uow.riders, RIDERS, name.id, etag=etag)
            await uow.riders.archive(name.id)
            await uow.record(
                caller.subject,
                "rider.delete",
                str(name),
                before=current,
                event=RiderDeleted(str(name)),
            )

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
