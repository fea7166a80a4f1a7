"""Discovery as the use cases see it: ``services.directory.Discovery`` over the HTTP client
(``discovery.HttpDiscovery``), its failures translated into domain errors at this boundary, so
no use case imports the client or its exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from logistics.discovery import (
    DiscoveredOutlet,
    DiscoveredTenant,
    Discovery,
    DiscoveryNotFound,
    DiscoveryUnavailable,
)
from logistics.domain.errors import PlatformUnavailable, UnknownToPlatform

__all__ = ["PlatformDirectory"]


class PlatformDirectory:
    """Asks ``discovery``; raises ``UnknownToPlatform`` where it raises ``DiscoveryNotFound``
    and ``PlatformUnavailable`` where it raises ``DiscoveryUnavailable``, with its message."""

    def __init__(self, discovery: Discovery) -> None:
        self._discovery = discovery

    async def tenant(self, slug: str) -> DiscoveredTenant:
        with _translated():
            return await self._discovery.tenant(slug)

    async def outlet(self, tenant: str, outlet_id: str) -> DiscoveredOutlet:
        with _translated():
            return await self._discovery.outlet(tenant, outlet_id)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except DiscoveryNotFound as exc:
        raise UnknownToPlatform(str(exc)) from exc
    except DiscoveryUnavailable as exc:
        raise PlatformUnavailable(str(exc)) from exc
