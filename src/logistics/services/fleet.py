"""Fleet use cases: create, read, list, update and archive fleets and riders."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
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
from logistics.domain.paging import Page, PageRequest
from logistics.domain.versioning import check_etag
from logistics.services.idempotency import check_request_id, request_fingerprint
from logistics.store.unit_of_work import Store, UnitOfWork


def fleet_name(tenant: TenantSlug, fleet_id: uuid.UUID) -> str:
    return f"tenants/{tenant}/fleets/{fleet_id}"


def rider_name(tenant: TenantSlug, rider_id: uuid.UUID) -> str:
    return f"tenants/{tenant}/riders/{rider_id}"


def _idempotency_conflict(request_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"request_id {request_id!r} was already used for a different request",
        reason="REQUEST_ID_REUSED",
    )


class FleetService:
    """Fleets and riders of a tenant. Reads need ``logistics:read``; writes ``logistics:admin``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # Fleets

    async def create_fleet(
        self, caller: Caller, tenant: TenantSlug, fleet: Fleet, request_id: str | None
    ) -> Fleet:
        caller.require_tenant(tenant)
        caller.require(Scope.ADMIN)
        check_request_id(request_id)
        validate_fleet(fleet)
        async with self._store.write(tenant) as uow:
            if request_id:
                earlier = await uow.claim_request(
                    "CreateFleet", request_id, request_fingerprint(fleet), fleet.id
                )
                if earlier is not None:
                    if earlier.request_hash != request_fingerprint(fleet):
                        raise _idempotency_conflict(request_id)
                    return await self._fleet(uow, earlier.resource_id)
            created = await uow.fleets.add(fleet)
            name = fleet_name(tenant, created.id)
            await uow.audit(caller.subject, "fleet.create", name, after=created)
            await uow.emit("fleet.created", {"name": name, "fleet": created})
            return created

    async def get_fleet(self, caller: Caller, name: ResourceName) -> Fleet:
        caller.require_tenant(name.tenant)
        caller.require(Scope.READ)
        async with self._store.read(name.tenant) as uow:
            return await self._fleet(uow, name.id)

    async def list_fleets(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest, kind: FleetKind | None
    ) -> Page[Fleet]:
        caller.require_tenant(tenant)
        caller.require(Scope.READ)
        async with self._store.read(tenant) as uow:
            return await uow.fleets.list(page, kind=kind)

    async def update_fleet(
        self,
        caller: Caller,
        name: ResourceName,
        changes: dict[str, Any],
        etag: str | None,
    ) -> Fleet:
        caller.require_tenant(name.tenant)
        caller.require(Scope.ADMIN)
        check_update_paths(frozenset(changes), FLEET_UPDATABLE, "update_mask")
        async with self._store.write(name.tenant) as uow:
            current = await self._fleet(uow, name.id, for_update=True)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(current, **changes)
            validate_fleet(wanted)
            if wanted == current:
                return current
            updated = await uow.fleets.update(wanted)
            await uow.audit(
                caller.subject, "fleet.update", str(name), before=current, after=updated
            )
            await uow.emit("fleet.updated", {"name": str(name), "fleet": updated})
            return updated

    async def delete_fleet(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require_tenant(name.tenant)
        caller.require(Scope.ADMIN)
        async with self._store.write(name.tenant) as uow:
            current = await self._fleet(uow, name.id, for_update=True)
            check_etag(etag, current.version)
            if await uow.fleets.has_riders(name.id):
                raise FailedPrecondition(
                    "the fleet still has riders; move or delete them first",
                    reason="FLEET_NOT_EMPTY",
                )
            await uow.fleets.archive(name.id)
            await uow.audit(caller.subject, "fleet.delete", str(name), before=current)
            await uow.emit("fleet.deleted", {"name": str(name)})

    @staticmethod
    async def _fleet(uow: UnitOfWork, fleet_id: uuid.UUID, *, for_update: bool = False) -> Fleet:
        found = await uow.fleets.get(fleet_id, for_update=for_update)
        if found is None:
            raise NotFound(f"fleet {fleet_name(uow.tenant, fleet_id)} not found")
        return found

    # Riders

    async def create_rider(
        self, caller: Caller, tenant: TenantSlug, rider: Rider, request_id: str | None
    ) -> Rider:
        caller.require_tenant(tenant)
        caller.require(Scope.ADMIN)
        check_request_id(request_id)
        validate_rider(rider)
        async with self._store.write(tenant) as uow:
            if request_id:
                earlier = await uow.claim_request(
                    "CreateRider", request_id, request_fingerprint(rider), rider.id
                )
                if earlier is not None:
                    if earlier.request_hash != request_fingerprint(rider):
                        raise _idempotency_conflict(request_id)
                    return await self._rider(uow, earlier.resource_id)
            await self._check_fleet(uow, rider.fleet_id)
            created = await uow.riders.add(rider)
            name = rider_name(tenant, created.id)
            await uow.audit(caller.subject, "rider.create", name, after=created)
            await uow.emit("rider.created", {"name": name, "rider": created})
            return created

    async def get_rider(self, caller: Caller, name: ResourceName) -> Rider:
        caller.require_tenant(name.tenant)
        caller.require(Scope.READ)
        async with self._store.read(name.tenant) as uow:
            return await self._rider(uow, name.id)

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
        caller.require_tenant(tenant)
        caller.require(Scope.READ)
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
        caller.require_tenant(name.tenant)
        caller.require(Scope.ADMIN)
        check_update_paths(frozenset(changes), RIDER_UPDATABLE, "update_mask")
        fields = {("fleet_id" if k == "fleet" else k): v for k, v in changes.items()}
        async with self._store.write(name.tenant) as uow:
            current = await self._rider(uow, name.id, for_update=True)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(current, **fields)
            validate_rider(wanted)
            if wanted == current:
                return current
            if wanted.fleet_id != current.fleet_id:
                await self._check_fleet(uow, wanted.fleet_id)
            updated = await uow.riders.update(wanted)
            await uow.audit(
                caller.subject, "rider.update", str(name), before=current, after=updated
            )
            await uow.emit("rider.updated", {"name": str(name), "rider": updated})
            return updated

    async def delete_rider(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        caller.require_tenant(name.tenant)
        caller.require(Scope.ADMIN)
        async with self._store.write(name.tenant) as uow:
            current = await self._rider(uow, name.id, for_update=True)
            check_etag(etag, current.version)
            await uow.riders.archive(name.id)
            await uow.audit(caller.subject, "rider.delete", str(name), before=current)
            await uow.emit("rider.deleted", {"name": str(name)})

    @staticmethod
    async def _rider(uow: UnitOfWork, rider_id: uuid.UUID, *, for_update: bool = False) -> Rider:
        found = await uow.riders.get(rider_id, for_update=for_update)
        if found is None:
            raise NotFound(f"rider {rider_name(uow.tenant, rider_id)} not found")
        return found

    @staticmethod
    async def _check_fleet(uow: UnitOfWork, fleet_id: uuid.UUID | None) -> None:
        if fleet_id is not None and not await uow.fleets.exists(fleet_id):
            raise InvalidArgument.field(
                "rider.fleet", f"fleet {fleet_name(uow.tenant, fleet_id)} does not exist"
            )
