"""Movement along a path at a vehicle's speed: where a rider is after so many seconds. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8

# Typical moving speeds in a congested African city, metres per second.
SPEEDS_MPS: dict[str, float] = {
    "bicycle": 4.2,
    "motorbike": 8.5,
    "car": 7.0,
    "van": 6.5,
    "truck": 5.5,
    "on_foot": 1.3,
}


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: Point, b: Point) -> float:
    """Initial compass bearing from ``a`` to ``b``, in [0, 360)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dl = math.radians(b.lng - a.lng)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(origin: Point, north_m: float, east_m: float) -> Point:
    """The point ``north_m`` north and ``east_m`` east of ``origin`` (flat-earth, for metres)."""
    m_per_deg = math.pi * EARTH_RADIUS_M / 180
    return Point(
        origin.lat + north_m / m_per_deg,
        origin.lng + east_m / (m_per_deg * math.cos(math.radians(origin.lat))),
    )


@dataclass(frozen=True)
class Position:
    """Where a mover is on its path, which way it faces and whether it has arrived."""

    point: Point
    heading_deg: float
    arrived: bool


class PathWalker:
    """Advances along a polyline by distance; the last vertex is the destination."""

    def __init__(self, path: Sequence[Point]) -> None:
        if not path:
            raise ValueError("a path needs at least one point")
        self._path = list(path)
        self._legs = [distance_m(a, b) for a, b in zip(self._path, self._path[1:], strict=False)]
        self._leg = 0
        self._into = 0.0  # metres along the current leg
        self._heading = bearing_deg(path[0], path[1]) if len(path) > 1 else 0.0

    @property
    def length_m(self) -> float:
        return sum(self._legs)

    def advance(self, metres: float) -> Position:
        """Moves ``metres`` further (negative counts as zero) and says where that is."""
        left = max(0.0, metres)
        while self._leg < len(self._legs):
            leg = self._legs[self._leg]
            if self._into + left < leg:
                self._into += left
                break
            left -= leg - self._into
            self._leg, self._into = self._leg + 1, 0.0
        return self.position()

    def position(self) -> Position:
        if self._leg >= len(self._legs):
            return Position(self._path[-1], self._heading, arrived=True)
        a, b = self._path[self._leg], self._path[self._leg + 1]
        leg = self._legs[self._leg]
        f = self._into / leg if leg > 0 else 1.0
        self._heading = bearing_deg(a, b) if leg > 0 else self._heading
        here = Point(a.lat + (b.lat - a.lat) * f, a.lng + (b.lng - a.lng) * f)
        return Position(here, self._heading, arrived=False)


def straight_path(a: Point, b: Point, step_m: float = 150.0) -> list[Point]:
    """A path from ``a`` to ``b`` without a road network: a dog-leg along the grid (as city
    streets make a rider turn), its corners every ``step_m`` or so."""
    east_first = (int(a.lat * 1e4) + int(b.lng * 1e4)) % 2
    corner = Point(a.lat, b.lng) if east_first else Point(b.lat, a.lng)
    path = [a]
    for start, end in ((a, corner), (corner, b)):
        n = max(1, math.ceil(distance_m(start, end) / step_m))
        dlat, dlng = end.lat - start.lat, end.lng - start.lng
        path.extend(
            Point(start.lat + dlat * i / n, start.lng + dlng * i / n) for i in range(1, n + 1)
        )
    return path
