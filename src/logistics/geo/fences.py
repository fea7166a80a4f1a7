"""Geofence geometry: which fences a point may be in (an H3 cover per fence), and whether it
is inside one, allowing for the ping's accuracy so a rider on a boundary does not flap."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import h3
from shapely.geometry import Point, Polygon

from logistics.domain.shapes import CircleShape, PolygonShape, Shape
from logistics.domain.telemetry import EARTH_RADIUS_M, haversine_m


class Side(enum.Enum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    UNSURE = "unsure"  # within the ping's accuracy of the boundary: keep the previous state


class _Projection:
    """Equirectangular metres around a reference point: exact enough at city scale."""

    def __init__(self, latitude: float, longitude: float) -> None:
        self.lat0, self.lng0 = latitude, longitude
        self.kx = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(latitude))
        self.ky = math.radians(1) * EARTH_RADIUS_M

    def xy(self, latitude: float, longitude: float) -> tuple[float, float]:
        return (longitude - self.lng0) * self.kx, (latitude - self.lat0) * self.ky


@dataclass
class FenceGeometry:
    """A fence ready for point tests; build it with ``geometry_of``."""

    fence_id: str
    shape: Shape
    projection: _Projection
    polygon: Polygon | None

    def signed_distance_m(self, latitude: float, longitude: float) -> float:
        """Metres from the boundary: positive inside, negative outside."""
        x, y = self.projection.xy(latitude, longitude)
        if isinstance(self.shape, CircleShape):
            return self.shape.radius_m - math.hypot(x, y)
        assert self.polygon is not None
        point = Point(x, y)
        distance = float(self.polygon.exterior.distance(point))
        return distance if self.polygon.contains(point) else -distance

    def side(self, latitude: float, longitude: float, accuracy_m: float) -> Side:
        d = self.signed_distance_m(latitude, longitude)
        if d > accuracy_m:
            return Side.INSIDE
        if d < -accuracy_m:
            return Side.OUTSIDE
        return Side.UNSURE if accuracy_m > 0 else (Side.INSIDE if d >= 0 else Side.OUTSIDE)


def geometry_of(fence_id: str, shape: Shape) -> FenceGeometry:
    if isinstance(shape, CircleShape):
        return FenceGeometry(fence_id, shape, _Projection(shape.latitude, shape.longitude), None)
    lat0 = sum(v[0] for v in shape.vertices) / len(shape.vertices)
    lng0 = sum(v[1] for v in shape.vertices) / len(shape.vertices)
    projection = _Projection(lat0, lng0)
    polygon = Polygon([projection.xy(lat, lng) for lat, lng in shape.vertices])
    return FenceGeometry(fence_id, shape, projection, polygon)


def polygon_problem(vertices: Sequence[tuple[float, float]]) -> str | None:
    """Why these vertices are not a usable fence, or None."""
    if len(vertices) < 3:
        return "needs at least 3 vertices"
    for lat, lng in vertices:
        if not (
            math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180
        ):
            return "has a vertex out of range"
    geometry = geometry_of("check", PolygonShape(tuple(vertices)))
    assert geometry.polygon is not None
    if not geometry.polygon.is_valid:
        return "crosses itself"
    if geometry.polygon.area < 1.0:
        return "has no area"
    if geometry.polygon.area > 1e11:
        return "is larger than 100,000 km²"
    return None


def _outline(shape: Shape) -> list[tuple[float, float]]:
    """The shape's boundary as (latitude, longitude) vertices; a circle becomes a 72-gon drawn
    just outside it, so everything inside the circle is inside the outline."""
    if isinstance(shape, PolygonShape):
        return list(shape.vertices)
    radius = shape.radius_m / math.cos(math.pi / 72) + 1.0
    lat_m = math.radians(1) * EARTH_RADIUS_M
    lng_m = lat_m * math.cos(math.radians(shape.latitude))
    return [
        (
            shape.latitude + radius * math.cos(a) / lat_m,
            shape.longitude + radius * math.sin(a) / lng_m,
        )
        for a in (2 * math.pi * i / 72 for i in range(72))
    ]


def cover(shape: Shape, resolution: int) -> set[str]:
    """H3 cells that may hold a point inside the fence.

    Cells whose centre is inside, plus every cell the boundary passes through (found by walking
    each edge in steps much shorter than the smallest cell) and their neighbours: a point inside
    lies in a cell that either has its centre inside or is crossed by the boundary, whatever the
    fence's shape (narrow corridors included) or the local cell size.
    """
    outline = _outline(shape)
    cells = {str(c) for c in h3.polygon_to_cells(h3.LatLngPoly(outline), resolution)}
    step_m = h3.average_hexagon_edge_length(resolution, "m") / 4
    crossed: set[str] = set()
    for (lat1, lng1), (lat2, lng2) in zip(outline, outline[1:] + outline[:1], strict=True):
        steps = max(1, math.ceil(haversine_m(lat1, lng1, lat2, lng2) / step_m))
        for i in range(steps + 1):
            t = i / steps
            point = (lat1 + (lat2 - lat1) * t, lng1 + (lng2 - lng1) * t)
            crossed.add(str(h3.latlng_to_cell(point[0], point[1], resolution)))
    for cell in crossed:
        cells.update(str(c) for c in h3.grid_disk(cell, 1))
    return cells


class FenceIndex:
    """A tenant's fences by H3 cell: the candidates for a point, then the exact test."""

    def __init__(self, fences: Iterable[FenceGeometry], resolution: int) -> None:
        self.resolution = resolution
        self._by_cell: dict[str, list[FenceGeometry]] = {}
        self.fences = {f.fence_id: f for f in fences}
        for fence in self.fences.values():
            for cell in cover(fence.shape, resolution):
                self._by_cell.setdefault(cell, []).append(fence)

    def candidates(self, latitude: float, longitude: float) -> list[FenceGeometry]:
        return self._by_cell.get(str(h3.latlng_to_cell(latitude, longitude, self.resolution)), [])
