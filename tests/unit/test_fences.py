"""Geofence geometry: signed distance to circles and polygons, the accuracy hysteresis of
``side``, the H3 cover a fence is found through, and polygon validation."""

from __future__ import annotations

import math

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.shapes import CircleShape, PolygonShape
from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.geo.fences import FenceIndex, Side, cover, geometry_of, polygon_problem

RESOLUTION = 9
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m`` and ``east_m`` metres from (lat, lng), on the module's projection."""
    return (
        lat + north_m / M_PER_DEG,
        lng + east_m / (M_PER_DEG * math.cos(math.radians(lat))),
    )


def square(lat: float, lng: float, half_m: float) -> PolygonShape:
    return PolygonShape(
        tuple(
            offset(lat, lng, n, e)
            for n, e in ((-half_m, -half_m), (-half_m, half_m), (half_m, half_m), (half_m, -half_m))
        )
    )


NAIROBI = (-1.2864, 36.8172)


# --- signed distance and side -----------------------------------------------------------------


def test_circle_distance_is_positive_inside_and_negative_outside() -> None:
    fence = geometry_of("c", CircleShape(*NAIROBI, 100.0))
    assert fence.signed_distance_m(*NAIROBI) == pytest.approx(100.0)
    assert fence.signed_distance_m(*offset(*NAIROBI, 60, 0)) == pytest.approx(40.0, abs=0.01)
    assert fence.signed_distance_m(*offset(*NAIROBI, 0, -130)) == pytest.approx(-30.0, abs=0.01)


def test_polygon_distance_is_to_the_nearest_edge_with_the_sign_of_containment() -> None:
    fence = geometry_of("p", square(*NAIROBI, 200.0))
    assert fence.signed_distance_m(*NAIROBI) == pytest.approx(200.0, abs=0.5)
    assert fence.signed_distance_m(*offset(*NAIROBI, 150, 20)) == pytest.approx(50.0, abs=0.5)
    assert fence.signed_distance_m(*offset(*NAIROBI, 0, 260)) == pytest.approx(-60.0, abs=0.5)
    # Beyond a corner the nearest boundary point is the corner itself.
    corner = fence.signed_distance_m(*offset(*NAIROBI, 230, 240))
    assert corner == pytest.approx(-50.0, abs=0.5)


def test_a_point_clearly_inside_or_outside_is_sure_whatever_its_accuracy() -> None:
    fence = geometry_of("c", CircleShape(*NAIROBI, 100.0))
    assert fence.side(*offset(*NAIROBI, 50, 0), 20.0) is Side.INSIDE
    assert fence.side(*offset(*NAIROBI, 150, 0), 20.0) is Side.OUTSIDE


@pytest.mark.parametrize("metres_from_centre", [81.0, 95.0, 100.0, 105.0, 119.0])
def test_a_point_within_its_accuracy_of_the_boundary_is_unsure(metres_from_centre: float) -> None:
    fence = geometry_of("c", CircleShape(*NAIROBI, 100.0))
    assert fence.side(*offset(*NAIROBI, 0, metres_from_centre), 20.0) is Side.UNSURE


def test_the_same_point_is_unsure_with_poor_accuracy_and_sure_with_good_accuracy() -> None:
    fence = geometry_of("p", square(*NAIROBI, 200.0))
    near_edge = offset(*NAIROBI, 190, 0)  # 10 m inside
    assert fence.side(*near_edge, 25.0) is Side.UNSURE
    assert fence.side(*near_edge, 5.0) is Side.INSIDE
    outside = offset(*NAIROBI, 210, 0)
    assert fence.side(*outside, 25.0) is Side.UNSURE
    assert fence.side(*outside, 5.0) is Side.OUTSIDE


def test_a_perfect_fix_on_the_boundary_counts_as_inside() -> None:
    fence = geometry_of("c", CircleShape(*NAIROBI, 100.0))
    assert fence.side(*offset(*NAIROBI, 0, 99.9), 0.0) is Side.INSIDE
    assert fence.side(*offset(*NAIROBI, 0, 100.1), 0.0) is Side.OUTSIDE


# --- cover ------------------------------------------------------------------------------------


def _interior_point(
    draw: st.DrawFn, fence_shape: CircleShape | PolygonShape
) -> tuple[float, float]:
    fence = geometry_of("f", fence_shape)
    if isinstance(fence_shape, CircleShape):
        bearing = draw(st.floats(0, 2 * math.pi))
        radius = draw(st.floats(0, 0.999)) * fence_shape.radius_m
        return offset(
            fence_shape.latitude,
            fence_shape.longitude,
            radius * math.cos(bearing),
            radius * math.sin(bearing),
        )
    assert fence.polygon is not None
    minx, miny, maxx, maxy = fence.polygon.bounds
    for _ in range(50):
        x, y = draw(st.floats(minx, maxx)), draw(st.floats(miny, maxy))
        lat = fence.projection.lat0 + y / fence.projection.ky
        lng = fence.projection.lng0 + x / fence.projection.kx
        if fence.signed_distance_m(lat, lng) > 0:
            return lat, lng
    return fence.projection.lat0, fence.projection.lng0  # the centroid of a convex polygon


@st.composite
def circles_with_a_point_inside(draw: st.DrawFn) -> tuple[CircleShape, tuple[float, float]]:
    shape = CircleShape(
        draw(st.floats(-70, 70)), draw(st.floats(-179, 179)), draw(st.floats(5, 500))
    )
    return shape, _interior_point(draw, shape)


@st.composite
def polygons_with_a_point_inside(draw: st.DrawFn) -> tuple[PolygonShape, tuple[float, float]]:
    """Convex-ish polygons (jittered regular n-gons, 150 m to 5 km across)."""
    lat, lng = draw(st.floats(-70, 70)), draw(st.floats(-179, 179))
    size = draw(st.floats(150, 5000))
    n = draw(st.integers(3, 8))
    vertices = []
    for i in range(n):
        angle = 2 * math.pi * i / n
        r = size * draw(st.floats(0.7, 1.0))
        vertices.append(offset(lat, lng, r * math.cos(angle), r * math.sin(angle)))
    shape = PolygonShape(tuple(vertices))
    return shape, _interior_point(draw, shape)


@settings(max_examples=60, deadline=None)
@given(circles_with_a_point_inside())
def test_a_circles_cover_holds_the_cell_of_every_point_inside(
    case: tuple[CircleShape, tuple[float, float]],
) -> None:
    shape, (lat, lng) = case
    assert h3.latlng_to_cell(lat, lng, RESOLUTION) in cover(shape, RESOLUTION)


@settings(max_examples=60, deadline=None)
@given(polygons_with_a_point_inside())
def test_a_polygons_cover_holds_the_cell_of_every_point_inside(
    case: tuple[PolygonShape, tuple[float, float]],
) -> None:
    shape, (lat, lng) = case
    assert polygon_problem(shape.vertices) is None
    assert h3.latlng_to_cell(lat, lng, RESOLUTION) in cover(shape, RESOLUTION)


def test_the_fence_index_offers_a_fence_for_points_inside_it_only_nearby() -> None:
    near = geometry_of("near", CircleShape(*NAIROBI, 300.0))
    far = geometry_of("far", square(*offset(*NAIROBI, 20_000, 0), 300.0))
    index = FenceIndex([near, far], RESOLUTION)
    assert [f.fence_id for f in index.candidates(*offset(*NAIROBI, 100, 100))] == ["near"]
    assert [f.fence_id for f in index.candidates(*offset(*NAIROBI, 20_000, 50))] == ["far"]
    assert index.candidates(*offset(*NAIROBI, 10_000, 0)) == []


def test_a_2_km_circle_in_stockholm_is_found_for_points_just_inside_its_edge() -> None:
    centre = (59.33, 18.0)
    shape = CircleShape(*centre, 2000.0)
    index = FenceIndex([geometry_of("zone", shape)], RESOLUTION)
    missed = []
    for degrees in range(0, 360, 5):
        bearing = math.radians(degrees)
        point = offset(*centre, 1990 * math.cos(bearing), 1990 * math.sin(bearing))
        if not index.candidates(*point):
            missed.append(degrees)
    assert missed == []


def test_a_narrow_corridor_fence_is_found_along_its_whole_length() -> None:
    lat, lng = NAIROBI
    corridor = PolygonShape(
        (
            (lat, lng),
            offset(lat, lng, 0, 3000),
            offset(lat, lng, 20, 3000),
            offset(lat, lng, 20, 0),
        )
    )
    assert polygon_problem(corridor.vertices) is None
    index = FenceIndex([geometry_of("road", corridor)], RESOLUTION)
    missed = [
        metres
        for metres in range(100, 3000, 100)
        if not index.candidates(*offset(lat, lng, 10, metres))
    ]
    assert missed == []


# --- polygon_problem --------------------------------------------------------------------------


def test_a_plain_polygon_has_no_problem() -> None:
    assert polygon_problem(square(*NAIROBI, 100.0).vertices) is None


@pytest.mark.parametrize(
    ("vertices", "problem"),
    [
        (((0.0, 0.0), (0.0, 0.01)), "needs at least 3 vertices"),
        (((0.0, 0.0), (0.0, 0.01), (math.nan, 0.01)), "has a vertex out of range"),
        (((0.0, 0.0), (0.0, 0.01), (91.0, 0.01)), "has a vertex out of range"),
        (((0.0, 0.0), (0.0, 0.01), (0.01, 181.0)), "has a vertex out of range"),
        # A bow tie: its edges cross.
        (((0.0, 0.0), (0.01, 0.01), (0.0, 0.01), (0.01, 0.0)), "crosses itself"),
        # Three points on a line: a degenerate ring.
        (((0.0, 0.0), (0.0, 0.01), (0.0, 0.02)), "crosses itself"),
        # A sliver well under a square metre.
        (((0.0, 0.0), (0.0, 0.01), (0.000000001, 0.005)), "has no area"),
        # Some 40 degrees square near the equator: far over 100,000 km².
        (((-20.0, 0.0), (-20.0, 40.0), (20.0, 40.0), (20.0, 0.0)), "is larger than 100,000 km²"),
    ],
)
def test_each_unusable_polygon_is_refused_with_its_reason(
    vertices: tuple[tuple[float, float], ...], problem: str
) -> None:
    assert polygon_problem(vertices) == problem
