"""Distance and travel time between points: straight-line distance times a detour factor over
a per-vehicle speed (the default provider; ``geo.osrm.Osrm`` asks a routing engine).

Four calls: ``travel`` for one pair, synchronous and cheap (a road answer only when one is
already known); ``journeys`` from many origins to one destination, each answer saying its
source (``domain.eta.EtaSource``: what ETAs shown to people use); ``travel_to``, the same
without the source (ranking the candidates of a pickup); and ``table`` for a full matrix
between many points (route optimisation). The last three are asynchronous so a provider backed
by a routing engine (OSRM ``table``) answers each with one request over the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from logistics.domain.eta import EtaSource, Travel
from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m

# Typical urban speeds, m/s.
SPEED_MPS: dict[VehicleType | None, float] = {
    VehicleType.ON_FOOT: 1.3,
    VehicleType.BICYCLE: 4.5,
    VehicleType.MOTORBIKE: 8.5,
    VehicleType.CAR: 7.0,
    VehicleType.VAN: 6.5,
    VehicleType.TRUCK: 5.5,
    None: 7.0,
}

Point = tuple[float, float]
"""(latitude, longitude) in degrees."""


@dataclass(frozen=True)
class Table:
    """Travel between every pair of points: ``metres[i][j]`` and ``seconds[i][j]`` from point
    ``i`` to point ``j`` (zero on the diagonal)."""

    metres: list[list[float]]
    seconds: list[list[float]]


class DistanceProvider(Protocol):
    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        """(metres, seconds) from the first point to the second."""
        ...

    async def journeys(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[Travel]:
        """Travel from each origin, by its vehicle, to ``destination``, with its source."""
        ...

    async def travel_to(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[tuple[float, float]]:
        """(metres, seconds) from each origin, by its vehicle, to ``destination``."""
        ...

    async def table(self, points: Sequence[Point], vehicle: VehicleType | None) -> Table:
        """Travel between every pair of ``points``."""
        ...


class StraightLine:
    def __init__(self, detour_factor: float = 1.35) -> None:
        self.detour_factor = detour_factor

    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        metres = haversine_m(lat1, lng1, lat2, lng2) * self.detour_factor
        return metres, metres / SPEED_MPS.get(vehicle, SPEED_MPS[None])

    def line(
        self, origin: Point, destination: Point, vehicle: VehicleType | None, source: EtaSource
    ) -> Travel:
        """The straight-line travel, labelled ``source`` (the line itself, or a fallback)."""
        return Travel(*self.travel(*origin, *destination, vehicle), source)

    async def journeys(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[Travel]:
        return [
            self.line(origin, destination, vehicle, EtaSource.STRAIGHT_LINE)
            for origin, vehicle in zip(origins, vehicles, strict=True)
        ]

    async def travel_to(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[tuple[float, float]]:
        return [
            self.travel(*origin, *destination, vehicle)
            for origin, vehicle in zip(origins, vehicles, strict=True)
        ]

    async def table(self, points: Sequence[Point], vehicle: VehicleType | None) -> Table:
        speed = SPEED_MPS.get(vehicle, SPEED_MPS[None])
        metres = [
            [haversine_m(a[0], a[1], b[0], b[1]) * self.detour_factor for b in points]
            for a in points
        ]
        return Table(metres, [[m / speed for m in row] for row in metres])
