"""The geometry the matcher's walk stops on: a cell's bound is never more than the distance
from the query to any point of the cell, and no point nearer than what a disk covers lies
outside it. Checked on random points over the whole globe (not only near Nairobi, where the
integration tests run), at the resolutions the live index may use."""

from __future__ import annotations

import math
import random

import h3
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.telemetry import EARTH_RADIUS_M, haversine_m
from logistics.geo.matcher import FIRST_RINGS, disk_bounds

# Latitudes where people ride; h3 pentagons all lie at sea.
latitudes = st.floats(-70.0, 70.0)
longitudes = st.floats(-180.0, 180.0)
resolutions = st.sampled_from([7, 8, 9, 10, 11])


def destination(lat: float, lng: float, bearing: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` from (lat, lng) along ``bearing`` (radians) on the sphere."""
    p, lam, delta = math.radians(lat), math.radians(lng), metres / EARTH_RADIUS_M
    p2 = math.asin(
        math.sin(p) * math.cos(delta) + math.cos(p) * math.sin(delta) * math.cos(bearing)
    )
    lam2 = lam + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(p),
        math.cos(delta) - math.sin(p) * math.sin(p2),
    )
    return math.degrees(p2), (math.degrees(lam2) + 540) % 360 - 180


@settings(max_examples=60, deadline=None)
@given(lat=latitudes, lng=longitudes, resolution=resolutions, seed=st.integers(0, 2**32 - 1))
def test_no_point_of_a_cell_is_nearer_than_its_bound(
    lat: float, lng: float, resolution: int, seed: int
) -> None:
    bounds, _ = disk_bounds(lat, lng, resolution, FIRST_RINGS)
    by_cell = {cell: bound for bound, cell in bounds}
    # The vertices of every cell (the farthest points from its centre) and points in between.
    for cell, bound in by_cell.items():
        ring = h3.cell_to_boundary(cell)
        for (a_lat, a_lng), (b_lat, b_lng) in zip(ring, ring[1:] + ring[:1], strict=True):
            for t in (0.0, 0.25, 0.5, 0.75):
                p = (a_lat + (b_lat - a_lat) * t, a_lng + (b_lng - a_lng) * t)
                assert haversine_m(lat, lng, *p) >= bound, (cell, p)
    # And random points, bound to the cell they fall in.
    rng = random.Random(seed)
    reach = 4 * h3.average_hexagon_edge_length(resolution, "m") * (FIRST_RINGS + 1)
    for _ in range(200):
        p = destination(lat, lng, rng.uniform(0, 2 * math.pi), rng.uniform(0, reach))
        cell = h3.latlng_to_cell(*p, resolution)
        if cell in by_cell:
            assert haversine_m(lat, lng, *p) >= by_cell[cell], (cell, p)


@settings(max_examples=60, deadline=None)
@given(
    lat=latitudes,
    lng=longitudes,
    resolution=resolutions,
    rings=st.integers(0, 6),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 1),
)
def test_every_point_nearer_than_the_outside_bound_is_in_the_disk(
    lat: float, lng: float, resolution: int, rings: int, bearing: float, fraction: float
) -> None:
    bounds, outside = disk_bounds(lat, lng, resolution, rings)
    p = destination(lat, lng, bearing, outside * fraction)
    assert h3.latlng_to_cell(*p, resolution) in {cell for _, cell in bounds}


def test_bounds_come_nearest_first_and_start_at_the_query_cell() -> None:
    bounds, outside = disk_bounds(-1.2864, 36.8172, 9, FIRST_RINGS)
    assert (0, h3.latlng_to_cell(-1.2864, 36.8172, 9)) in bounds
    assert [b for b, _ in bounds] == sorted(b for b, _ in bounds)
    assert len(bounds) == 37
    # Tighter than whole rings: the cells nearer than the disk's reach are fewer than all.
    assert 0 < sum(b < outside for b, _ in bounds) < len(bounds)
