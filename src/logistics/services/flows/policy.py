"""The tenant's failed-delivery policy: read (``logistics:read``) and replaced
(``logistics:admin``, etag checked); a hub named by an outlet must be a known outlet with a
location."""

from __future__ import annotations

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.failed_delivery import FailedDeliveryPolicy, hub_outlets, validate_policy
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FAILED_DELIVERY_POLICY
from logistics.services import crud
from logistics.store.unit_of_work import Store

_POLICY: crud.Policy[FailedDeliveryPolicy, FailedDeliveryPolicy] = crud.Policy(
    FAILED_DELIVERY_POLICY, "failed_delivery_policy", lambda uow: uow.failed_delivery_policy
)


async def get_policy(store: Store, caller: Caller, tenant: TenantSlug) -> FailedDeliveryPolicy:
    return await _POLICY.get(store, caller, tenant)


async def update_policy(
    store: Store,
    caller: Caller,
    tenant: TenantSlug,
    policy: FailedDeliveryPolicy,
    etag: str | None,
) -> FailedDeliveryPolicy:
    caller.require(Scope.ADMIN, tenant)
    validate_policy(policy)
    wanted = sorted(hub_outlets(policy))
    if wanted:
        async with store.read(tenant) as uow:
            found = await uow.outlets.get_many(wanted)
        unplaced = [o for o in wanted if o not in found or found[o].latitude is None]
        if unplaced:
            raise InvalidArgument(
                [
                    FieldViolation(
                        "policy.rules.hub.outlet_id",
                        f"outlet {o!r} is not known with a location: give the hub's location",
                    )
                    for o in unplaced
                ]
            )
    return await _POLICY.replace(store, caller, tenant, policy, etag)
