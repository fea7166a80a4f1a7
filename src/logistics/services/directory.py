"""Tenants and outlets owned by other platform services, discovered on first sight.

A write naming a tenant or outlet we have never seen asks the originating service's discovery
endpoint first; if that fails the write is rejected and nothing is stored. Known ones are not
looked up again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from logistics.discovery import Discovery, DiscoveryNotFound, DiscoveryUnavailable
from logistics.domain.errors import NotFound, Unavailable
from logistics.domain.ids import TenantSlug
from logistics.store.tenants import TenantLookup
from logistics.store.unit_of_work import Store


def tenant_lookup(discovery: Discovery) -> TenantLookup:
    """Adapts discovery to the tenant registry, turning its failures into domain errors."""

    async def lookup(slug: TenantSlug) -> str:
        try:
            return (await discovery.tenant(slug)).display_name
        except DiscoveryNotFound:
            raise NotFound(
                f"tenant {slug!r} is unknown to the platform", reason="TENANT_UNKNOWN"
            ) from None
        except DiscoveryUnavailable as exc:
            raise Unavailable(
                f"cannot look up tenant {slug!r}: {exc}; nothing was stored, retry later",
                reason="DISCOVERY_UNAVAILABLE",
            ) from exc

    return lookup


class Outlets:
    """Makes sure outlets named by a write are known before the write runs."""

    def __init__(self, store: Store, discovery: Discovery | None) -> None:
        self._store = store
        self._discovery = discovery
        self._known: set[tuple[str, str]] = set()

    async def ensure(self, tenant: TenantSlug, outlet_ids: Iterable[str | None]) -> None:
        wanted = {o for o in outlet_ids if o} - {o for t, o in self._known if t == tenant}
        if not wanted:
            return
        async with self._store.read(tenant) as uow:
            known = await uow.outlets.known(sorted(wanted))
        missing = sorted(wanted - known)
        if missing:
            found = await asyncio.gather(*(self._describe(tenant, o) for o in missing))
            async with self._store.write(tenant) as uow:
                for outlet_id, (name, lat, lng) in zip(missing, found, strict=True):
                    await uow.outlets.add(outlet_id, name, lat, lng)
        self._known.update((tenant, o) for o in wanted)

    async def _describe(
        self, tenant: TenantSlug, outlet_id: str
    ) -> tuple[str, float | None, float | None]:
        if self._discovery is None:
            return "", None, None
        try:
            outlet = await self._discovery.outlet(tenant, outlet_id)
        except DiscoveryNotFound:
            raise NotFound(
                f"outlet {outlet_id!r} of tenant {tenant!r} is unknown to the platform",
                reason="OUTLET_UNKNOWN",
            ) from None
        except DiscoveryUnavailable as exc:
            raise Unavailable(
                f"cannot look up outlet {outlet_id!r}: {exc}; nothing was stored, retry later",
                reason="DISCOVERY_UNAVAILABLE",
            ) from exc
        return outlet.display_name, outlet.latitude, outlet.longitude
