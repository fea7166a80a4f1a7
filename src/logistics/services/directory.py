"""Tenants and outlets owned by other platform services, discovered on first sight.

A write naming a tenant or outlet we have never seen asks the originating service's discovery
endpoint first; if that fails the write is rejected and nothing is stored. Known ones are not
looked up again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from logistics.domain.errors import NotFound, PlatformUnavailable, Unavailable, UnknownToPlatform
from logistics.domain.events import OutletCreated
from logistics.domain.ids import TenantSlug
from logistics.domain.outlets import outlet_name
from logistics.domain.text import shown
from logistics.store.unit_of_work import UnitOfWork


class DiscoveredTenant(Protocol):
    @property
    def display_name(self) -> str: ...


class DiscoveredOutlet(Protocol):
    @property
    def display_name(self) -> str: ...

    @property
    def latitude(self) -> float | None: ...

    @property
    def longitude(self) -> float | None: ...


class Discovery(Protocol):
    """Asks the platform service a write came from about a tenant or outlet we have not stored
    (``platform_directory.PlatformDirectory``): ``UnknownToPlatform`` when it has none,
    ``PlatformUnavailable`` when it gives no usable answer."""

    async def tenant(self, slug: str) -> DiscoveredTenant: ...

    async def outlet(self, tenant: str, outlet_id: str) -> DiscoveredOutlet: ...


# A tenant's display name, from the platform (``store.tenants`` takes it to register the tenant).
TenantLookup = Callable[[TenantSlug], Awaitable[str]]


def tenant_lookup(discovery: Discovery) -> TenantLookup:
    """Adapts discovery to the tenant registry, its failures told in terms of the tenant."""

    async def lookup(slug: TenantSlug) -> str:
        try:
            return (await discovery.tenant(slug)).display_name
        except UnknownToPlatform:
            raise NotFound(
                f"tenant {shown(slug)} is unknown to the platform", reason="TENANT_UNKNOWN"
            ) from None
        except PlatformUnavailable as exc:
            raise Unavailable(
                f"cannot look up tenant {shown(slug)}: {exc}; nothing was stored, retry later",
                reason="DISCOVERY_UNAVAILABLE",
            ) from exc

    return lookup


class Outlets:
    """Makes sure the outlets a write names are known, inside the write's unit of work: after
    the write's own checks, so a write that fails (bad input, a stale etag, an unknown
    resource) stores no outlet either. Each outlet registered emits ``outlet.created`` in the
    same transaction."""

    def __init__(self, discovery: Discovery | None) -> None:
        self._discovery = discovery
        self._known: dict[TenantSlug, set[str]] = {}

    async def ensure(self, uow: UnitOfWork, outlet_ids: Iterable[str | None]) -> None:
        tenant = uow.tenant
        wanted = {o for o in outlet_ids if o} - self._known.get(tenant, set())
        if not wanted:
            return
        known = await uow.outlets.known(sorted(wanted))
        # Only committed rows are cached: outlets added below are remembered next time.
        self._known.setdefault(tenant, set()).update(known)
        missing = sorted(wanted - known)
        if missing:
            found = await asyncio.gather(*(self._describe(tenant, o) for o in missing))
            for outlet_id, (name, lat, lng) in zip(missing, found, strict=True):
                added = await uow.outlets.add(outlet_id, name, lat, lng)
                if added is not None:  # else a concurrent write registered it, and says so
                    resource = outlet_name(tenant, outlet_id)
                    await uow.emit(OutletCreated(name=resource, outlet=added))

    async def unknown(self, uow: UnitOfWork, outlet_ids: Iterable[str | None]) -> set[str]:
        """``ensure`` for outlets some of which the platform may not know: makes the others
        known and returns those. An outage of discovery is still Unavailable."""
        wanted = sorted({o for o in outlet_ids if o})
        try:
            await self.ensure(uow, wanted)
            return set()
        except NotFound as exc:
            if exc.reason != "OUTLET_UNKNOWN":
                raise
        unknown = set()
        for outlet in wanted:  # one at a time, to tell which ones are unknown
            try:
                await self.ensure(uow, [outlet])
            except NotFound as exc:
                if exc.reason != "OUTLET_UNKNOWN":
                    raise
                unknown.add(outlet)
        return unknown

    async def _describe(
        self, tenant: TenantSlug, outlet_id: str
    ) -> tuple[str, float | None, float | None]:
        if self._discovery is None:
            return "", None, None
        try:
            outlet = await self._discovery.outlet(tenant, outlet_id)
        except UnknownToPlatform:
            raise NotFound(
                f"outlet {shown(outlet_id)} of tenant {shown(tenant)} is unknown to the platform",
                reason="OUTLET_UNKNOWN",
            ) from None
        except PlatformUnavailable as exc:
            raise Unavailable(
                f"cannot look up outlet {shown(outlet_id)}: {exc}; nothing was stored, retry later",
                reason="DISCOVERY_UNAVAILABLE",
            ) from exc
        return outlet.display_name, outlet.latitude, outlet.longitude
