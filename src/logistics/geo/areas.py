"""The area a live view covers: a bounding box, a polygon or a zone fence, optionally limited
to the zones a dispatcher may see. Point tests are exact and cheap (every rider update of a
covered cell is tested against every view of it): a latitude/longitude bounds check first,
then ray casting (polygons) or a distance (circles); the H3 cover says which cells to listen to
and to read a snapshot from."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import h3

from logistics.domain.shapes import CircleShape, Shape
from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.geo.fences import FenceGeometry, cover, geometry_of


@dataclass
class _FastShape:
    """One shape ready for many point tests."""

    geometry: FenceGeometry
    south: float = field(init=False)
    west: float = field(init=False)
    north: float = field(init=False)
    east: float = field(init=False)
    rectangle: bool = field(init=False)  # an axis-aligned box: the bounds are the test
    ring: list[tuple[float, float]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        shape = self.geometry.shape
        if isinstance(shape, CircleShape):
            dlat = math.degrees(shape.radius_m / EARTH_RADIUS_M)
            dlng = dlat / max(math.cos(math.radians(shape.latitude)), 1e-9)
            self.south, self.north = shape.latitude - dlat, shape.latitude + dlat
            self.west, self.east = shape.longitude - dlng, shape.longitude + dlng
            self.rectangle = False
            return
        lats = [v[0] for v in shape.vertices]
        lngs = [v[1] for v in shape.vertices]
        self.south, self.north, self.west, self.east = min(lats), max(lats), min(lngs), max(lngs)
        corners = {(a, b) for a in (self.south, self.north) for b in (self.west, self.east)}
        self.rectangle = len(shape.vertices) == 4 and set(shape.vertices) == corners
        self.ring = list(shape.vertices)

    def contains(self, latitude: float, longitude: float) -> bool:
        if not (self.south <= latitude <= self.north and self.west <= longitude <= self.east):
            return False
        if self.rectangle:
            return True
        if self.geometry.polygon is None:  # a circle
            return self.geometry.signed_distance_m(latitude, longitude) >= 0
        return _in_ring(self.ring, latitude, longitude)


def _in_ring(ring: list[tuple[float, float]], latitude: float, longitude: float) -> bool:
    """Even-odd ray casting in latitude/longitude. The fences' local metres are an affine
    image of latitude/longitude, so the answer is the same as there (shapely's, up to points
    exactly on an edge); a plain loop beats a shapely call per point by an order of magnitude."""
    inside = False
    lat_j, lng_j = ring[-1]
    for lat_i, lng_i in ring:
        if _on_segment(lat_i, lng_i, lat_j, lng_j, latitude, longitude):
            return True  # the boundary belongs to the area
        if (lat_i > latitude) != (lat_j > latitude):
            crossing = lng_i + (latitude - lat_i) * (lng_j - lng_i) / (lat_j - lat_i)
            if longitude < crossing:
                inside = not inside
        lat_j, lng_j = lat_i, lng_i
    return inside


@dataclass
class ViewArea:
    shape: FenceGeometry
    allowed: Sequence[FenceGeometry] | None = None  # None: not limited to zones

    def __post_init__(self) -> None:
        self._area = _FastShape(self.shape)
        self._zones = None if self.allowed is None else [_FastShape(z) for z in self.allowed]

    @classmethod
    def of(cls, shape: Shape, allowed: Sequence[Shape] | None = None) -> ViewArea:
        limits = (
            None if allowed is None else [geometry_of(f"z{i}", s) for i, s in enumerate(allowed)]
        )
        return cls(geometry_of("view", shape), limits)

    def contains(self, latitude: float, longitude: float) -> bool:
        """Inside the area (its boundary included) and, if limited, inside one of the zones."""
        if not self._area.contains(latitude, longitude):
            return False
        return self._zones is None or any(z.contains(latitude, longitude) for z in self._zones)

    def cells(self, resolution: int) -> set[str]:
        """Cells at ``resolution`` that may hold a point of the area."""
        cells = cover(self.shape.shape, resolution)
        if self.allowed is not None:
            zones: set[str] = set()
            for zone in self.allowed:
                zones |= cover(zone.shape, resolution)
            cells &= zones
        return cells


def _on_segment(
    lat1: float, lng1: float, lat2: float, lng2: float, latitude: float, longitude: float
) -> bool:
    if not (min(lat1, lat2) <= latitude <= max(lat1, lat2)):
        return False
    if not (min(lng1, lng2) <= longitude <= max(lng1, lng2)):
        return False
    return (latitude - lat1) * (lng2 - lng1) == (longitude - lng1) * (lat2 - lat1)


def coarse_cell(latitude: float, longitude: float, resolution: int) -> str:
    return str(h3.latlng_to_cell(latitude, longitude, resolution))


def cells_around(cell: str, rings: int = 1) -> set[str]:
    return {str(c) for c in h3.grid_disk(cell, rings)}
