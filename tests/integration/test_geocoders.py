"""The Nominatim geocoder against a real HTTP server speaking Nominatim's search API: an
address resolves, nothing is found, a street-level answer is not confident, an outage (500, a
timeout) is ``GeocoderUnavailable`` after the retries and the provider recovers; answers are
cached and a dead provider is left alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from logistics.domain.addresses import GeocodeQuery, GeocoderUnavailable, best
from logistics.geo.geocoders import nominatim
from tests.support.nominatim import FakeNominatim

HOUSE = ("12 Kenyatta Avenue, Nairobi, Kenya", -1.2841, 36.8233, 30)
STREET = ("Moi Avenue, Nairobi, Kenya", -1.2830, 36.8250, 26)
TOWN = ("Moi Avenue, Mombasa, Kenya", -4.0600, 39.6700, 26)


@pytest.fixture
def server() -> Iterator[FakeNominatim]:
    fake = FakeNominatim(
        {"12 kenyatta avenue, nairobi": [HOUSE], "moi avenue": [STREET, TOWN]}
    ).start()
    yield fake
    fake.stop()


def geocoder(server: FakeNominatim, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("retry_wait_s", 0.01)
    return nominatim(server.url, **options)  # type: ignore[arg-type]


async def test_an_address_resolves_to_the_house_it_names(server: FakeNominatim) -> None:
    found = await geocoder(server).search(
        GeocodeQuery("12 Kenyatta Avenue, Nairobi", ("ke",), near=(-1.28, 36.82))
    )
    assert [(c.label, c.latitude, c.longitude) for c in found] == [HOUSE[:3]]
    assert found[0].confidence == 1.0
    asked = server.requests[0]
    assert asked["format"] == "jsonv2"
    assert asked["countrycodes"] == "ke"
    assert asked["viewbox"] == "36.32,-0.78,37.32,-1.78"
    assert "bounded" not in asked  # a preference near the pickup, not a fence


async def test_an_unknown_address_finds_nothing(server: FakeNominatim) -> None:
    assert await geocoder(server).search(GeocodeQuery("nowhere street 0")) == []


async def test_street_level_answers_are_candidates_never_a_choice(server: FakeNominatim) -> None:
    found = await geocoder(server).search(GeocodeQuery("Moi Avenue"))
    assert [c.label for c in found] == [STREET[0], TOWN[0]]
    assert all(c.confidence == pytest.approx(26 / 30, abs=1e-3) for c in found)
    assert best(found, 0.9) is None


async def test_an_outage_is_unavailable_after_the_retries_then_recovers(
    server: FakeNominatim,
) -> None:
    search = geocoder(server, attempts=3)
    server.mode = "error"
    with pytest.raises(GeocoderUnavailable, match="HTTP 500"):
        await search.search(GeocodeQuery("12 Kenyatta Avenue, Nairobi"))
    assert len(server.requests) == 3
    server.mode = "ok"
    found = await search.search(GeocodeQuery("12 Kenyatta Avenue, Nairobi"))
    assert found[0].label == HOUSE[0]


async def test_a_slow_provider_times_out_as_unavailable(server: FakeNominatim) -> None:
    server.mode, server.delay_s = "slow", 1.0
    search = geocoder(server, attempts=2, timeout_s=0.2)
    with pytest.raises(GeocoderUnavailable, match="Timeout"):
        await search.search(GeocodeQuery("12 Kenyatta Avenue, Nairobi"))
    assert len(server.requests) == 2


async def test_answers_are_cached_and_the_cache_is_bounded(server: FakeNominatim) -> None:
    search = geocoder(server, cache_size=1)
    house = GeocodeQuery("12 Kenyatta Avenue, Nairobi")
    await search.search(house)
    await search.search(house)
    assert len(server.requests) == 1
    await search.search(GeocodeQuery("Moi Avenue"))  # pushes the house out
    await search.search(house)
    assert len(server.requests) == 3


async def test_a_dead_provider_is_left_alone_for_a_while(server: FakeNominatim) -> None:
    search = geocoder(server, attempts=1, breaker_failures=2, breaker_seconds=60)
    server.mode = "error"
    for address in ("a", "b"):
        with pytest.raises(GeocoderUnavailable):
            await search.search(GeocodeQuery(address))
    with pytest.raises(GeocoderUnavailable, match="resting"):
        await search.search(GeocodeQuery("c"))
    assert len(server.requests) == 2
