"""Route adherence's paths from an OSRM-shaped route server over real HTTP: the road
geometry, long waypoint lists asked in pieces, and the straight line when OSRM fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from logistics.domain.adherence import ROAD, STRAIGHT_LINE
from logistics.geo.route_geometry import OsrmPaths, StraightPaths
from tests.support.osrm_routes import FakeOsrmRoutes, l_road

WAYPOINTS = [(-1.28 + 0.002 * i, 36.80 + 0.003 * (i % 2)) for i in range(7)]


@pytest.fixture
def osrm() -> Iterator[FakeOsrmRoutes]:
    server = FakeOsrmRoutes().start()
    yield server
    server.stop()


async def test_the_path_is_the_road_geometry_asked_in_pieces(osrm: FakeOsrmRoutes) -> None:
    paths = OsrmPaths(osrm.url, max_waypoints=3)
    try:
        path = await paths.path(WAYPOINTS)
    finally:
        await paths.aclose()
    assert path.source == ROAD
    # Pieces of three waypoints sharing their ends: 0-2, 2-4, 4-6.
    assert [r["points"] for r in osrm.route_requests] == [
        WAYPOINTS[0:3],
        WAYPOINTS[2:5],
        WAYPOINTS[4:7],
    ]
    expected = l_road(WAYPOINTS)
    assert len(path.points) == len(expected)
    for got, want in zip(path.points, expected, strict=True):
        assert got == pytest.approx(want, abs=2e-6)  # six decimals on the wire


@pytest.mark.parametrize("mode", ["error", "garbage"])
async def test_a_failing_server_gives_the_straight_line_then_is_left_alone(
    osrm: FakeOsrmRoutes, mode: str
) -> None:
    paths = OsrmPaths(osrm.url, retry_after_s=60)
    osrm.mode = mode
    try:
        first = await paths.path(WAYPOINTS)
        osrm.mode = "ok"
        second = await paths.path(WAYPOINTS)  # within retry_after_s: not asked
    finally:
        await paths.aclose()
    assert first == second == await StraightPaths().path(WAYPOINTS)
    assert first.source == STRAIGHT_LINE
    assert osrm.route_requests == []


async def test_a_lone_point_makes_a_path_of_no_length() -> None:
    path = await StraightPaths().path([WAYPOINTS[0], WAYPOINTS[0]])
    assert path.points == (WAYPOINTS[0], WAYPOINTS[0])
