"""Reading flows: GetFlow and ListFlows (``logistics:read``); the tenant's failed-delivery
policy (``policy``)."""

from __future__ import annotations

from logistics.domain.caller import Caller, Scope
from logistics.domain.failed_delivery import FailedDeliveryPolicy
from logistics.domain.flows import Flow, FlowFilter
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import FLOWS
from logistics.domain.paging import Page, PageRequest
from logistics.services.flows import policy
from logistics.store.unit_of_work import Store


class FlowService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, caller: Caller, name: ResourceName) -> Flow:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.flows, FLOWS, name.id)

    async def list_flows(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest, f: FlowFilter
    ) -> Page[Flow]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.flows.find(page, f)

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> FailedDeliveryPolicy:
        return await policy.get_policy(self._store, caller, tenant)

    async def update_policy(
        self,
        caller: Caller,
        tenant: TenantSlug,
        value: FailedDeliveryPolicy,
        etag: str | None,
    ) -> FailedDeliveryPolicy:
        return await policy.update_policy(self._store, caller, tenant, value, etag)
