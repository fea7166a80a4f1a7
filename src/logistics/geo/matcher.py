"""Nearest available riders over the live index: one script call (one round trip) walks the
cells around the pickup nearest first and stops as soon as the nearest ``count`` are certain.
Exact: the riders returned are the true nearest ones (by straight-line distance) among those
the filters admit.

Each cell is sent with a lower bound on its distance from the query point (the distance to
its centre less its circumradius), so the script reads the few cells that can hold the
answer, in order, rather than whole rings."""

from __future__ import annotations

import functools
from datetime import datetime

import h3

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m
from logistics.geo import scripts
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import AreaSurvey, Candidate, Need, SurveyedRider, text_of

# Margins on the query cell's own edge lengths and circumradius: cells near it differ a
# little in size (under 1 % within 12 rings at resolutions 8 to 11, 2.3 % at 7).
_EDGE_LOW, _EDGE_HIGH, _REACH = 0.97, 1.03, 1.05
# Rings whose cells go in the first call, each with its own bound; most queries are certain
# within them (three rings cover some 780 m at resolution 9). The rest of the disk, ring by
# ring, goes in a second call only when they are not.
FIRST_RINGS = 3


def covered_m(rings: int, edge_low: float, edge_high: float) -> float:
    """A lower bound on how far from the query point the ``rings``-disk around its cell
    reaches in every direction: each ring adds at least 1.5 edge lengths (the distance between
    the centres of neighbouring hexagons), less the query's offset in its cell."""
    return max(0.0, 1.5 * (rings + 1) * edge_low - 2 * edge_high)


@functools.lru_cache(maxsize=4096)
def _neighbourhood(centre: str, rings: int) -> tuple[tuple[str, float, float], ...]:
    """The cells of the ``rings``-disk around ``centre`` with their centres (static geometry,
    so cached: pickups repeat, outlets do not move)."""
    return tuple((c, *h3.cell_to_latlng(c)) for c in h3.grid_disk(centre, rings))


@functools.lru_cache(maxsize=4096)
def cell_size(cell: str) -> tuple[float, float, float]:
    """The cell's shortest and longest edge and its circumradius (centre to farthest vertex),
    in metres."""
    edges = [h3.edge_length(e, "m") for e in h3.origin_to_directed_edges(cell)]
    lat, lng = h3.cell_to_latlng(cell)
    reach = max(haversine_m(lat, lng, a, b) for a, b in h3.cell_to_boundary(cell))
    return min(edges), max(edges), reach


def disk_bounds(
    latitude: float, longitude: float, resolution: int, rings: int
) -> tuple[list[tuple[int, str]], float]:
    """The cells of the ``rings``-disk around the point's cell, nearest first, each with a
    lower bound (whole metres) on the distance from the point to any point of the cell (to
    its centre less its circumradius, with margin); and a lower bound on the distance to any
    point outside the disk."""
    centre = h3.latlng_to_cell(latitude, longitude, resolution)
    low, high, reach = cell_size(centre)
    reach *= _REACH
    bounds = [
        (max(0, int(haversine_m(latitude, longitude, lat, lng) - reach)), cell)
        for cell, lat, lng in _neighbourhood(centre, rings)
    ]
    bounds.sort()
    return bounds, covered_m(rings, low * _EDGE_LOW, high * _EDGE_HIGH)


def _need_args(need: Need) -> list[str | int | float]:
    """The need as NEAREST and EXPLAIN read it (their ARGV 4 to 9)."""
    types = (
        "," + ",".join(sorted(t.value for t in need.vehicle_types)) + ","
        if need.vehicle_types
        else ""
    )
    return [
        types,
        need.weight_kg,
        need.volume_l,
        need.item_count,
        need.fleet_id or "",
        need.zone or "",
    ]


class Matcher:
    def __init__(self, index: LiveIndex) -> None:
        self._index = index
        self._nearest = index.script(scripts.NEAREST)
        self._explain = index.script(scripts.EXPLAIN)

    async def survey(
        self,
        tenant: str,
        latitude: float,
        longitude: float,
        *,
        radius_m: float,
        need: Need,
        now: datetime,
    ) -> AreaSurvey:
        """Every rider within ``radius_m`` judged by matching's rules (one script call over
        every cell of the disk): FindNearestRiders' explain pass, not its hot path."""
        prefix = self._index.prefix(tenant)
        now_ms = int(now.timestamp() * 1000)
        cells = self._index.disk(latitude, longitude, radius_m)
        reply = await self._explain(
            keys=[f"{prefix}seen"],
            args=[
                prefix,
                now_ms - int(self._index.stale_after_s * 1000),
                now_ms,
                *_need_args(need),
                repr(latitude),
                repr(longitude),
                radius_m,
                *cells,
            ],
        )
        riders = []
        for raw in reply[3:]:
            rider, distance, unavailable, misfit = (text_of(raw) or "").split("|")
            riders.append(
                SurveyedRider(rider, float(distance), unavailable or None, misfit or None)
            )
        riders.sort(key=lambda r: (r.distance_m, r.rider_id))
        return AreaSurvey(int(reply[0]), int(reply[1]), int(reply[2]), riders)

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
        prefix = self._index.prefix(tenant)
        now_ms = int(now.timestamp() * 1000)
        args: list[str | int | float] = [
            prefix,
            now_ms - int(self._index.stale_after_s * 1000),
            now_ms,
            *_need_args(need),
            repr(latitude),
            repr(longitude),
            count,
            radius_m,
        ]
        # First call: the cells of the first rings nearer than what those rings cover, each
        # with its own bound, nearest first.
        resolution = self._index.resolution
        bounds, outside = disk_bounds(latitude, longitude, resolution, FIRST_RINGS)
        cells = " ".join(f"{cell} {bound}" for bound, cell in bounds if bound < outside)
        reply = _text(await self._nearest(keys=[f"{prefix}seen"], args=[*args, cells, outside]))
        if reply[:1] != "1" and outside < radius_m + 0.5:
            # Then the whole disk to the radius: those cells, the rest of the first rings, then
            # ring after ring, each bounded by what the rings inside it cover.
            parts = [cells, *(f"{cell} {int(outside)}" for b, cell in bounds if b >= outside)]
            centre = h3.latlng_to_cell(latitude, longitude, resolution)
            low, high, _ = cell_size(centre)
            rings = FIRST_RINGS
            while outside < radius_m + 0.5:
                rings += 1
                parts.extend(f"{cell} {int(outside)}" for cell in h3.grid_ring(centre, rings))
                outside = covered_m(rings, low * _EDGE_LOW, high * _EDGE_HIGH)
            reply = _text(
                await self._nearest(keys=[f"{prefix}seen"], args=[*args, " ".join(parts), outside])
            )
        found = []
        for line in reply.split("\n")[1:]:
            rider, lat_s, lng_s, vt, load, idle, rating = line.split("|")
            lat, lng = float(lat_s), float(lng_s)
            distance = haversine_m(latitude, longitude, lat, lng)
            if distance <= radius_m:
                found.append(
                    Candidate(
                        rider,
                        lat,
                        lng,
                        distance,
                        VehicleType(vt) if vt else None,
                        int(float(load or 0)),
                        int(float(idle or 0)),
                        float(rating) if rating else None,
                    )
                )
        found.sort(key=lambda c: (c.distance_m, c.rider_id))
        return found[:count]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
