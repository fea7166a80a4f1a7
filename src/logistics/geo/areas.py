"""The area a live view covers: a bounding box, a polygon or a zone fence, optionally limited
to the zones a dispatcher may see. Point tests are exact (shapely, in local metres); the H3
cover says which cells to listen to and to read a snapshot from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h3

from logistics.geo.fences import FenceGeometry, PolygonShape, Shape, cover, geometry_of


def box(south: float, west: float, north: float, east: float) -> PolygonShape:
    return PolygonShape(((south, west), (south, east), (north, east), (north, west)))


@dataclass
class ViewArea:
    shape: FenceGeometry
    allowed: Sequence[FenceGeometry] | None = None  # None: not limited to zones

    @classmethod
    def of(cls, shape: Shape, allowed: Sequence[Shape] | None = None) -> ViewArea:
        limits = (
            None if allowed is None else [geometry_of(f"z{i}", s) for i, s in enumerate(allowed)]
        )
        return cls(geometry_of("view", shape), limits)

    def contains(self, latitude: float, longitude: float) -> bool:
        if self.shape.signed_distance_m(latitude, longitude) < 0:
            return False
        if self.allowed is None:
            return True
        return any(z.signed_distance_m(latitude, longitude) >= 0 for z in self.allowed)

    def cells(self, resolution: int) -> set[str]:
        """Cells at ``resolution`` that may hold a point of the area."""
        cells = cover(self.shape.shape, resolution)
        if self.allowed is not None:
            zones: set[str] = set()
            for zone in self.allowed:
                zones |= cover(zone.shape, resolution)
            cells &= zones
        return cells


def coarse_cell(latitude: float, longitude: float, resolution: int) -> str:
    return str(h3.latlng_to_cell(latitude, longitude, resolution))


def cells_around(cell: str, rings: int = 1) -> set[str]:
    return {str(c) for c in h3.grid_disk(cell, rings)}
