"""The OSRM distance provider against a real HTTP server speaking OSRM's table API: one request
per question, answers cached, large tables in blocks, and the straight line whenever OSRM is
down, slow, wrong or has no route (never an error)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from logistics.domain.fleet import VehicleType
from logistics.geo.distance import SPEED_MPS, StraightLine
from logistics.geo.osrm import Osrm
from tests.support.osrm import FakeOsrm

PICKUP = (-1.2864, 36.8172)
NORTH = (-1.2764, 36.8172)  # about 1.1 km north, across the river
SOUTH = (-1.2964, 36.8182)  # about 1.1 km south, same bank
EAST = (-1.2869, 36.8272)
RIVER = -1.2814


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    server = FakeOsrm(river_lat=RIVER).start()
    yield server
    server.stop()


def provider(server: FakeOsrm, **kwargs: object) -> tuple[Osrm, CollectorRegistry]:
    registry = CollectorRegistry()
    return Osrm(server.url, registry=registry, **kwargs), registry  # type: ignore[arg-type]


def fallbacks(registry: CollectorRegistry, reason: str) -> float:
    return registry.get_sample_value("logistics_osrm_fallbacks_total", {"reason": reason}) or 0.0


async def test_travel_to_asks_once_from_every_origin_to_the_destination(osrm: FakeOsrm) -> None:
    distances, _ = provider(osrm)
    origins = [NORTH, SOUTH, EAST]
    vehicles = [VehicleType.MOTORBIKE, VehicleType.CAR, None]
    got = await distances.travel_to(origins, PICKUP, vehicles)
    assert len(osrm.requests) == 1
    asked = osrm.requests[0]
    assert asked["sources"] == [0, 1, 2]
    assert asked["destinations"] == [3]
    assert asked["annotations"] == "duration,distance"
    assert asked["profile"] == "driving"
    for (metres, seconds), origin in zip(got, origins, strict=True):
        want_m, want_s = osrm.road(origin, PICKUP)
        assert metres == pytest.approx(want_m, abs=0.1)
        assert seconds == pytest.approx(want_s, abs=0.1)
    # The river: the northern rider, nearer as the crow flies than it is by road, is slower.
    assert got[0][1] > got[1][1]
    await distances.aclose()


async def test_riders_on_foot_or_bicycle_take_the_road_distance_at_their_own_speed(
    osrm: FakeOsrm,
) -> None:
    distances, _ = provider(osrm)
    (m_foot, s_foot), (m_bike, s_bike) = await distances.travel_to(
        [SOUTH, EAST], PICKUP, [VehicleType.ON_FOOT, VehicleType.BICYCLE]
    )
    assert s_foot == pytest.approx(m_foot / SPEED_MPS[VehicleType.ON_FOOT])
    assert s_bike == pytest.approx(m_bike / SPEED_MPS[VehicleType.BICYCLE])
    assert m_foot == pytest.approx(osrm.road(SOUTH, PICKUP)[0], abs=0.1)
    await distances.aclose()


async def test_answers_are_cached_and_travel_reads_the_cache(osrm: FakeOsrm) -> None:
    distances, _ = provider(osrm, cache_size=2)
    first = await distances.travel_to([NORTH, SOUTH], PICKUP, [None, None])
    again = await distances.travel_to([NORTH, SOUTH], PICKUP, [None, None])
    assert again == first
    assert len(osrm.requests) == 1
    # The synchronous call answers a cached pair from OSRM, an unknown one by the straight line.
    assert distances.travel(*NORTH, *PICKUP, None) == first[0]
    assert distances.travel(*EAST, *PICKUP, None) == StraightLine().travel(*EAST, *PICKUP, None)
    # Bounded: a third pair pushes the least recently used one (NORTH) out.
    await distances.travel_to([EAST], PICKUP, [None])
    await distances.travel_to([NORTH, SOUTH], PICKUP, [None, None])
    assert osrm.requests[-1]["points"] == [NORTH, PICKUP]
    await distances.aclose()


async def test_a_table_larger_than_the_server_takes_is_asked_in_blocks(osrm: FakeOsrm) -> None:
    distances, _ = provider(osrm, max_table_size=4)
    points = [PICKUP, NORTH, SOUTH, EAST, (-1.2900, 36.8100)]
    table = await distances.table(points, VehicleType.CAR)
    assert all(len(r["points"]) <= 4 for r in osrm.requests)
    assert len(osrm.requests) == 9  # blocks of 2 x 2 over 5 points: 3 x 3
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            want = (0.0, 0.0) if i == j else osrm.road(a, b)
            assert table.metres[i][j] == pytest.approx(want[0], abs=0.1)
            assert table.seconds[i][j] == pytest.approx(want[1], abs=0.1)
    await distances.aclose()


async def test_a_pair_without_a_route_falls_back_alone(osrm: FakeOsrm) -> None:
    distances, registry = provider(osrm)
    osrm.unroutable.add(EAST)
    got = await distances.travel_to([SOUTH, EAST], PICKUP, [None, None])
    assert got[0][0] == pytest.approx(osrm.road(SOUTH, PICKUP)[0], abs=0.1)
    assert got[1] == StraightLine().travel(*EAST, *PICKUP, None)
    assert fallbacks(registry, "no_route") == 1
    await distances.aclose()


@pytest.mark.parametrize("mode", ["error", "garbage"])
async def test_a_failing_server_gives_straight_lines_and_is_left_alone_for_a_while(
    osrm: FakeOsrm, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    distances, registry = provider(osrm, retry_after_s=0.3)
    osrm.mode = mode
    with caplog.at_level(logging.WARNING, logger="logistics.geo.osrm"):
        got = await distances.travel_to([NORTH, SOUTH], PICKUP, [None, VehicleType.VAN])
    line = StraightLine()
    assert got == [
        line.travel(*NORTH, *PICKUP, None),
        line.travel(*SOUTH, *PICKUP, VehicleType.VAN),
    ]
    assert fallbacks(registry, "error") == 2
    assert "OSRM failed" in caplog.text
    # Within retry_after the server is not asked again; after it, it is.
    osrm.mode = "ok"
    calls = registry.get_sample_value("logistics_osrm_requests_total", {"outcome": "error"})
    await distances.travel_to([NORTH], PICKUP, [None])
    assert fallbacks(registry, "unavailable") == 1
    await asyncio.sleep(0.35)
    recovered = await distances.travel_to([NORTH], PICKUP, [None])
    assert recovered[0][0] == pytest.approx(osrm.road(NORTH, PICKUP)[0], abs=0.1)
    assert registry.get_sample_value("logistics_osrm_requests_total", {"outcome": "error"}) == calls
    await distances.aclose()


async def test_a_slow_server_costs_one_timeout_then_straight_lines(osrm: FakeOsrm) -> None:
    distances, registry = provider(osrm, timeout_s=0.2)
    osrm.mode, osrm.delay_s = "slow", 1.0
    started = time.monotonic()
    got = await distances.travel_to([NORTH], PICKUP, [None])
    assert time.monotonic() - started < 0.9
    assert got == [StraightLine().travel(*NORTH, *PICKUP, None)]
    table = await distances.table([NORTH, PICKUP], None)
    assert table == await StraightLine().table([NORTH, PICKUP], None)
    assert time.monotonic() - started < 0.9
    assert fallbacks(registry, "error") == 1
    assert fallbacks(registry, "unavailable") == 4  # the 2 x 2 table's cells
    await distances.aclose()


async def test_a_server_that_is_not_there_gives_straight_lines() -> None:
    down = FakeOsrm()
    url = down.url
    down._server.server_close()  # the port is closed: connection refused
    distances = Osrm(url, registry=CollectorRegistry())
    got = await distances.travel_to([NORTH], PICKUP, [VehicleType.MOTORBIKE])
    assert got == [StraightLine().travel(*NORTH, *PICKUP, VehicleType.MOTORBIKE)]
    await distances.aclose()
