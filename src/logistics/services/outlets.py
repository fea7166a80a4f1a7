"""The outlet registry: outlets read (``logistics:read``) and their details set
(``logistics:admin``) under an etag; an outlet not known yet is discovered first, as a task
naming it would be (``outlet.created``). A change emits ``outlet.updated`` naming the fields
that changed, with its audit row, in its transaction."""

from __future__ import annotations

from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import NotFound
from logistics.domain.events import OutletUpdated
from logistics.domain.ids import TenantSlug
from logistics.domain.outlets import (
    OUTLET_UPDATABLE,
    Outlet,
    OutletName,
    changed,
    changed_fields,
    check_outlet,
    normalised,
)
from logistics.domain.outlets import outlet_name as format_name
from logistics.domain.paging import Page, PageRequest
from logistics.domain.versioning import check_etag
from logistics.services.directory import Outlets
from logistics.store.unit_of_work import Store


def _not_found(name: OutletName) -> NotFound:
    return NotFound(f"outlet {format_name(name.tenant, name.id)} not found")


class OutletRegistry:
    def __init__(self, store: Store, outlets: Outlets) -> None:
        self._store = store
        self._outlets = outlets

    async def get(self, caller: Caller, name: OutletName) -> Outlet:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            found = await uow.outlets.get(name.id)
        if found is None:
            raise _not_found(name)
        return found

    async def list(self, caller: Caller, tenant: TenantSlug, page: PageRequest) -> Page[Outlet]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.outlets.list(page)

    async def update(
        self, caller: Caller, name: OutletName, changes: dict[str, Any], etag: str | None
    ) -> Outlet:
        """``changes`` by field (``OUTLET_UPDATABLE``); one that changes nothing writes
        nothing."""
        caller.require(Scope.ADMIN, name.tenant)
        assert set(changes) <= OUTLET_UPDATABLE
        async with self._store.write(name.tenant) as uow:
            await self._outlets.ensure(uow, [name.id])
            before = await uow.outlets.get(name.id, for_update=True)
            if before is None:  # discovery added it in this transaction, so it is there
                raise _not_found(name)
            check_etag(etag, before.version)
            after = changed(before, changes)
            check_outlet(after)
            after = normalised(after)
            if after == before:
                return before
            updated = await uow.outlets.update(after)
            resource = format_name(name.tenant, name.id)
            await uow.audit(caller.subject, "outlet.update", resource, before, updated)
            fields = changed_fields(before, updated)
            await uow.emit(OutletUpdated(name=resource, outlet=updated, changed=fields))
        return updated
