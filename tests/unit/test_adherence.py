"""Route adherence rules: the distance to a path, the off-route hysteresis and the score."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from logistics.domain.adherence import (
    AHEAD,
    SLACK,
    SLACK_M,
    Corridor,
    Fix,
    Follower,
    OffState,
    Side,
    score,
    side,
    step,
)
from logistics.domain.telemetry import EARTH_RADIUS_M

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
LAT0, LNG0 = -1.2864, 36.8172


def at(east_m: float, north_m: float) -> tuple[float, float]:
    return (
        LAT0 + north_m / M_PER_DEG,
        LNG0 + east_m / (M_PER_DEG * math.cos(math.radians(LAT0))),
    )


# An L: 1 km east, then 1 km north.
PATH = [at(0, 0), at(1000, 0), at(1000, 1000)]

coords = st.floats(-3000, 3000, allow_nan=False)


@given(
    st.lists(st.tuples(coords, coords), min_size=2, max_size=30),
    st.tuples(coords, coords),
    st.integers(0, 40),
)
def test_the_distance_to_a_path_is_shapelys_when_found_within_reach(
    vertices: list[tuple[float, float]], point: tuple[float, float], hint: int
) -> None:
    corridor = Corridor([at(e, n) for e, n in vertices])
    x, y = corridor.xy(*at(*point))
    line = LineString([corridor.xy(*at(e, n)) for e, n in vertices])
    exact = line.distance(Point(x, y))
    d, segment = corridor.distance(x, y, min(hint, corridor.segments - 1), 0.0, 0.0)
    # Nothing is within 0 m (or the point is on the line): the whole path is searched.
    assert math.isclose(d, exact, rel_tol=1e-9, abs_tol=1e-6)
    assert 0 <= segment < corridor.segments


def test_a_long_path_is_searched_near_the_hint_first() -> None:
    # A path walking east in 1 m steps, far longer than the search window.
    corridor = Corridor([at(float(i), 0) for i in range(AHEAD * 4)])
    x, y = corridor.xy(*at(700.5, 3))
    d, segment = corridor.distance(x, y, 690, 10.0, 10.0)
    assert segment == 700
    assert math.isclose(d, 3, abs_tol=1e-6)
    # From a hint far behind, the window misses it and the whole path is searched.
    d, segment = corridor.distance(x, y, 0, 10.0, 10.0)
    assert segment == 700
    assert math.isclose(d, 3, abs_tol=1e-6)


def test_the_accuracy_widens_the_band_both_ways() -> None:
    assert side(40, 50, 5) == Side.INSIDE
    assert side(48, 50, 5) == Side.UNSURE
    assert side(54, 50, 5) == Side.UNSURE
    assert side(56, 50, 5) == Side.OUTSIDE
    assert side(50, 50, 0) == Side.INSIDE
    assert side(50.1, 50, 0) == Side.OUTSIDE


def follower(tolerance_s: float = 60) -> Follower:
    return Follower(Corridor(PATH), 50.0, int(tolerance_s * 1000), OffState())


def walk(points: list[tuple[float, float, float]]) -> list[Fix]:
    """(east, north, accuracy) one second apart."""
    return [Fix(i * 1000, *at(e, n), a) for i, (e, n, a) in enumerate(points)]


def changes(f: Follower, fixes: list[Fix]) -> list[str]:
    return [c.kind for fix in fixes if (c := f.check(fix)[1]) is not None]


def test_off_route_past_the_tolerance_then_back_is_one_of_each() -> None:
    fixes = walk(
        [(e * 10.0, 0, 5) for e in range(50)]  # along the first leg
        + [(500, 200, 5)] * 90  # 200 m off for 90 s
        + [(e * 10.0, 0, 5) for e in range(50, 100)]
    )
    f = follower()
    assert changes(f, fixes) == ["off", "back"]


def test_an_excursion_shorter_than_the_tolerance_raises_nothing() -> None:
    fixes = walk([(100, 0, 5)] * 5 + [(100, 300, 5)] * 59 + [(100, 0, 5)] * 5)
    assert changes(follower(), fixes) == []


def test_jitter_within_the_accuracy_band_raises_nothing() -> None:
    # 45 to 70 m off with 30 m accuracy: never surely outside a 50 m corridor.
    fixes = walk([(300, 45 + (i % 6) * 5, 30) for i in range(600)])
    assert changes(follower(tolerance_s=10), fixes) == []


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.floats(-200, 1200), st.floats(-200, 1200), st.floats(0, 40)),
        min_size=1,
        max_size=200,
    ),
    st.integers(0, 30),
)
def test_alerts_alternate_and_each_follows_the_tolerance(
    points: list[tuple[float, float, float]], tolerance_s: int
) -> None:
    f = follower(tolerance_s)
    fixes = walk(points)
    seen = []
    for fix in fixes:
        _, change = f.check(fix)
        if change is not None:
            seen.append(change)
    kinds = [c.kind for c in seen]
    assert kinds == ["off", "back"] * (len(kinds) // 2) + ["off"] * (len(kinds) % 2)
    for c in seen:
        if c.kind == "off":
            assert c.at_ms - c.off_since_ms >= tolerance_s * 1000


def test_the_score_is_the_share_of_time_on_the_corridor() -> None:
    fixes = walk(
        [(e * 10.0, 0, 5) for e in range(100)]  # 100 s on
        + [(500, 200, 5)] * 100  # 100 s off (from its first ping off)
        + [(1000, n * 10.0, 5) for n in range(101)]  # back, up the second leg
    )
    result = score(follower(), fixes)
    assert result.points == len(fixes)
    assert result.tracked_ms == (len(fixes) - 1) * 1000
    assert len(result.deviations) == 1
    deviation = result.deviations[0]
    assert deviation.start_ms == 100_000
    assert deviation.end_ms == 200_000
    assert math.isclose(deviation.max_distance_m, 200, abs_tol=1)
    assert result.off_route_ms == 100_000
    assert math.isclose(result.score, 1 - 100 / 300)


def test_a_deviation_not_over_counts_to_the_last_point() -> None:
    fixes = walk([(0, 0, 5)] * 10 + [(500, 500, 5)] * 91)
    result = score(follower(), fixes)
    assert [d.end_ms for d in result.deviations] == [None]
    assert result.off_route_ms == 90_000
    assert result.tracked_ms == 100_000


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.floats(-5, 25), st.floats(-5, 25)), min_size=1, max_size=150),
    st.floats(0, 30),
)
def test_the_farthest_distance_recorded_is_close_below_the_true_one(
    moves: list[tuple[float, float]], accuracy: float
) -> None:
    """Walking away from the path in steps of up to 25 m (the bounds skip most searches)."""
    f = follower(tolerance_s=0)
    corridor = f.corridor
    east, north = 500.0, 0.0
    farthest = 0.0
    for i, (de, dn) in enumerate(moves):
        east, north = east + de, north + dn
        fix = Fix(i * 1000, *at(east, north), accuracy)
        f.check(fix)
        exact, _ = corridor.distance(*corridor.xy(fix.latitude, fix.longitude), 0, -1, -1)
        if f.state.off_since_ms is None:
            farthest = 0.0
            continue
        farthest = max(farthest, exact)
        assert f.state.max_off_m <= farthest + 1e-6
        assert f.state.max_off_m >= farthest / (1 + SLACK) - SLACK_M - 1e-6


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.floats(-40, 40), st.floats(-40, 40), st.floats(0, 40)),
        min_size=1,
        max_size=200,
    ),
    st.integers(0, 20),
)
def test_the_bounds_change_no_decision(
    moves: list[tuple[float, float, float]], tolerance_s: int
) -> None:
    """The follower's alerts are those of the exact distance (shapely) on every ping."""
    f = follower(tolerance_s)
    line = LineString([f.corridor.xy(*p) for p in PATH])
    state = OffState()
    east, north = 0.0, 0.0
    for i, (de, dn, accuracy) in enumerate(moves):
        east, north = east + de, north + dn
        fix = Fix(i * 1000, *at(east, north), accuracy)
        _, change = f.check(fix)
        exact = line.distance(Point(*f.corridor.xy(fix.latitude, fix.longitude)))
        band = side(exact, 50.0, accuracy)
        state, expected = step(state, fix.at_ms, exact, 0, band, tolerance_s * 1000)
        got = (change.kind, change.at_ms) if change else None
        want = (expected.kind, expected.at_ms) if expected else None
        assert got == want
