"""Nearest available riders over the live index: walk H3 rings outward from the pickup cell,
one script call (one round trip) per ring, until the nearest ``count`` are certain or the
radius limit is reached. Exact: the riders returned are the true nearest ones (by
straight-line distance) among those the filters admit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import h3

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m
from logistics.geo import scripts
from logistics.geo.live_index import LiveIndex

# Cells vary in size within a resolution; these margins keep the "covered" radius a lower bound.
_EDGE_MIN_FACTOR = 0.6
_EDGE_MAX_FACTOR = 1.6


@dataclass(frozen=True)
class Need:
    vehicle_types: frozenset[VehicleType] = frozenset()
    weight_kg: float = 0.0
    volume_l: float = 0.0
    item_count: int = 0
    fleet_id: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class Candidate:
    rider_id: str
    latitude: float
    longitude: float
    distance_m: float
    vehicle_type: VehicleType | None
    load: int
    idle_since_ms: int


class Matcher:
    def __init__(self, index: LiveIndex) -> None:
        self._index = index
        self._nearest = index.redis.register_script(scripts.NEAREST)
        edge = h3.average_hexagon_edge_length(index.resolution, "m")
        self._edge_min = edge * _EDGE_MIN_FACTOR
        self._edge_max = edge * _EDGE_MAX_FACTOR

    def covered_m(self, rings: int) -> float:
        """Every point within this distance of the query point lies in the ``rings``-disk
        around its cell (a lower bound, whatever the cell sizes here)."""
        return max(
            0.0, (2 * rings + 1) * float(self._edge_min) * math.sqrt(3) / 2 - float(self._edge_max)
        )

    async def nearest(
        self,
        tenant: str,
        latitude: float,
        longitude: float,
        *,
        count: int,
        radius_m: float,
        need: Need,
        now: datetime,
    ) -> list[Candidate]:
        centre = h3.latlng_to_cell(latitude, longitude, self._index.resolution)
        prefix = self._index.prefix(tenant)
        min_seen = int(now.timestamp() * 1000) - int(self._index.stale_after_s * 1000)
        types = (
            "," + ",".join(sorted(t.value for t in need.vehicle_types)) + ","
            if need.vehicle_types
            else ""
        )
        found: dict[str, Candidate] = {}
        rings = 0
        while True:
            cells = [str(c) for c in (h3.grid_ring(centre, rings) if rings else [centre])]
            reply = await self._nearest(
                keys=[f"{prefix}seen"],
                args=[
                    prefix,
                    min_seen,
                    int(now.timestamp() * 1000),
                    types,
                    need.weight_kg,
                    need.volume_l,
                    need.item_count,
                    need.fleet_id or "",
                    need.zone or "",
                    *cells,
                ],
            )
            for i in range(0, len(reply), 6):
                rider = _text(reply[i])
                lat, lng = float(reply[i + 1]), float(reply[i + 2])
                distance = haversine_m(latitude, longitude, lat, lng)
                if distance <= radius_m:
                    vt = _text(reply[i + 3])
                    found[rider] = Candidate(
                        rider,
                        lat,
                        lng,
                        distance,
                        VehicleType(vt) if vt else None,
                        int(float(reply[i + 4] or 0)),
                        int(float(reply[i + 5] or 0)),
                    )
            covered = self.covered_m(rings)
            ranked = sorted(found.values(), key=lambda c: (c.distance_m, c.rider_id))
            if covered >= radius_m:
                return ranked[:count]
            if len(ranked) >= count and ranked[count - 1].distance_m <= covered:
                return ranked[:count]
            rings += 1


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
