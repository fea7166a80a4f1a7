"""Nearest available riders over the live index: the H3 rings around the pickup cell, outward
to the radius limit, are walked by one script call (one round trip) that stops as soon as the
nearest ``count`` are certain. Exact: the riders returned are the true nearest ones (by
straight-line distance) among those the filters admit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import h3

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m
from logistics.geo import scripts
from logistics.geo.live_index import LiveIndex

# Margins on the query cell's own edge lengths: neighbouring cells differ a little in size.
_EDGE_LOW, _EDGE_HIGH = 0.97, 1.03
# Rings sent in the first call; most queries are certain within them (three rings cover some
# 450 m at resolution 9). The rest of the disk goes in a second call only when they are not.
FIRST_RINGS = 3


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


def covered_m(rings: int, edge_low: float, edge_high: float) -> float:
    """A lower bound on how far from the query point the ``rings``-disk around its cell
    reaches in every direction: each ring adds at least 1.5 edge lengths (the distance between
    the centres of neighbouring hexagons), less the query's offset in its cell."""
    return max(0.0, 1.5 * (rings + 1) * edge_low - 2 * edge_high)


class Matcher:
    def __init__(self, index: LiveIndex) -> None:
        self._index = index
        self._nearest = index.redis.register_script(scripts.NEAREST)

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
        resolution = self._index.resolution
        centre = h3.latlng_to_cell(latitude, longitude, resolution)
        edges = [h3.edge_length(e, "m") for e in h3.origin_to_directed_edges(centre)]
        low, high = min(edges) * _EDGE_LOW, max(edges) * _EDGE_HIGH
        prefix = self._index.prefix(tenant)
        now_ms = int(now.timestamp() * 1000)
        types = (
            "," + ",".join(sorted(t.value for t in need.vehicle_types)) + ","
            if need.vehicle_types
            else ""
        )
        args: list[str | int | float] = [
            prefix,
            now_ms - int(self._index.stale_after_s * 1000),
            now_ms,
            types,
            need.weight_kg,
            need.volume_l,
            need.item_count,
            need.fleet_id or "",
            need.zone or "",
            repr(latitude),
            repr(longitude),
            count,
            radius_m,
        ]
        disk: list[tuple[int, float, list[str]]] = []
        rings = 0
        while True:
            cells = h3.grid_ring(centre, rings) if rings else [centre]
            covered = covered_m(rings, low, high)
            disk.append((len(cells), covered, cells))
            if covered >= radius_m:
                break
            rings += 1
        reply = await self._walk(prefix, args, disk[:FIRST_RINGS])
        if int(reply[0]) != 1 and len(disk) > FIRST_RINGS:
            reply = await self._walk(prefix, args, disk)
        found = []
        for i in range(1, len(reply), 6):
            lat, lng = float(reply[i + 1]), float(reply[i + 2])
            distance = haversine_m(latitude, longitude, lat, lng)
            if distance <= radius_m:
                vt = _text(reply[i + 3])
                found.append(
                    Candidate(
                        _text(reply[i]),
                        lat,
                        lng,
                        distance,
                        VehicleType(vt) if vt else None,
                        int(float(reply[i + 4] or 0)),
                        int(float(reply[i + 5] or 0)),
                    )
                )
        found.sort(key=lambda c: (c.distance_m, c.rider_id))
        return found[:count]

    async def _walk(
        self, prefix: str, head: list[str | int | float], rings: list[tuple[int, float, list[str]]]
    ) -> list[Any]:
        args = list(head)
        for n, covered, cells in rings:
            args.extend((n, covered, *cells))
        reply: list[Any] = await self._nearest(keys=[f"{prefix}seen"], args=args)
        return reply


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
