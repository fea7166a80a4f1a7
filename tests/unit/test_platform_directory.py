"""Discovery's failures reach the use cases as domain errors, with the client's message and the
client's exception as the cause (the HTTP client itself is tested against a real origin in
``tests/integration/test_discovery.py``, the whole path in ``tests/e2e/test_discovery_flow.py``)."""

from __future__ import annotations

import pytest

from logistics.discovery import (
    DiscoveredOutlet,
    DiscoveredTenant,
    DiscoveryError,
    DiscoveryNotFound,
    DiscoveryUnavailable,
)
from logistics.domain.errors import NotFound, PlatformUnavailable, Unavailable, UnknownToPlatform
from logistics.platform_directory import PlatformDirectory


class Answers:
    """A discovery that raises ``failure`` if given, else answers."""

    def __init__(self, failure: DiscoveryError | None = None) -> None:
        self.failure = failure

    async def tenant(self, slug: str) -> DiscoveredTenant:
        if self.failure is not None:
            raise self.failure
        return DiscoveredTenant(slug, "Acme")

    async def outlet(self, tenant: str, outlet_id: str) -> DiscoveredOutlet:
        if self.failure is not None:
            raise self.failure
        return DiscoveredOutlet(tenant, outlet_id, "Westlands", None, None)


async def test_answers_pass_through() -> None:
    directory = PlatformDirectory(Answers())
    assert await directory.tenant("acme") == DiscoveredTenant("acme", "Acme")
    assert (await directory.outlet("acme", "o-1")).display_name == "Westlands"


@pytest.mark.parametrize("ask", ["tenant", "outlet"])
async def test_not_found_becomes_unknown_to_the_platform(ask: str) -> None:
    failure = DiscoveryNotFound("http://origin knows no tenant 'ghost'")
    directory = PlatformDirectory(Answers(failure))
    with pytest.raises(UnknownToPlatform, match="knows no tenant 'ghost'") as caught:
        await (directory.tenant("ghost") if ask == "tenant" else directory.outlet("ghost", "o"))
    assert isinstance(caught.value, NotFound)
    assert caught.value.__cause__ is failure


@pytest.mark.parametrize("ask", ["tenant", "outlet"])
async def test_unavailable_becomes_platform_unavailable(ask: str) -> None:
    failure = DiscoveryUnavailable("after 3 attempts: HTTP 503", status=503, attempts=3)
    directory = PlatformDirectory(Answers(failure))
    with pytest.raises(PlatformUnavailable, match="after 3 attempts: HTTP 503") as caught:
        await (directory.tenant("acme") if ask == "tenant" else directory.outlet("acme", "o"))
    assert isinstance(caught.value, Unavailable)
    assert caught.value.reason == "DISCOVERY_UNAVAILABLE"
    assert caught.value.__cause__ is failure
