"""The path a rider is expected to follow through given waypoints: the road geometry from an
OSRM server's HTTP ``route`` service (``overview=full&geometries=geojson``: the line as
``[lng, lat]`` pairs, no decoder needed), or the straight line between the waypoints when
OSRM is not configured, fails, or has no route (logged, counted, and said by ``source``, so
the caller can widen the corridor). After a failure the server is left alone for
``retry_after_s``, as ``geo.osrm`` does for tables; both are built from the same settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from logistics.domain.adherence import ROAD, STRAIGHT_LINE, LatLng, RoutePath
from logistics.geo.osrm import OsrmError, ask_osrm

logger = logging.getLogger(__name__)


def straight(waypoints: Sequence[LatLng]) -> RoutePath:
    """The waypoints joined by straight lines (a lone point makes a path of no length)."""
    points = _distinct(waypoints)
    if len(points) == 1:
        points.append(points[0])
    return RoutePath(tuple(points), STRAIGHT_LINE)


def _distinct(waypoints: Sequence[LatLng]) -> list[LatLng]:
    out: list[LatLng] = []
    for p in waypoints:
        if not out or out[-1] != p:
            out.append(p)
    if not out:
        raise ValueError("a path needs a waypoint")
    return out


class StraightPaths:
    """Paths without a road network."""

    async def path(self, waypoints: Sequence[LatLng]) -> RoutePath:
        return straight(waypoints)

    async def aclose(self) -> None:
        pass


class OsrmPaths:
    """Road paths from OSRM; ``max_waypoints`` per request (OSRM's default limit for the route
    service is 500), longer lists are asked in pieces sharing their end points."""

    def __init__(
        self,
        url: str,
        *,
        profile: str = "driving",
        timeout_s: float = 2.0,
        max_waypoints: int = 100,
        retry_after_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._base = f"{url.rstrip('/')}/route/v1/{profile}/"
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout_s)
        self._timeout = timeout_s
        self._max = max(2, max_waypoints)
        self._retry_after = retry_after_s
        self._down_until = 0.0
        self.paths = Counter(
            "logistics_route_paths_total",
            "Paths made for route adherence, by source (osrm or straight_line).",
            ["source"],
            registry=registry,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def path(self, waypoints: Sequence[LatLng]) -> RoutePath:
        points = _distinct(waypoints)
        if len(points) < 2 or time.monotonic() < self._down_until:
            self.paths.labels(STRAIGHT_LINE).inc()
            return straight(points)
        line: list[LatLng] = []
        try:
            for start in range(0, len(points) - 1, self._max - 1):
                piece = await self._route(points[start : start + self._max])
                line.extend(piece[1:] if line and piece[0] == line[-1] else piece)
        except OsrmError as exc:
            self._down_until = time.monotonic() + self._retry_after
            logger.warning("OSRM route failed (%s): the straight line between stops", exc)
            self.paths.labels(STRAIGHT_LINE).inc()
            return straight(points)
        self.paths.labels(ROAD).inc()
        return RoutePath(tuple(line) if len(line) >= 2 else (line[0], line[0]), ROAD)

    async def _route(self, points: Sequence[LatLng]) -> list[LatLng]:
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        params = {"overview": "full", "geometries": "geojson", "steps": "false"}
        body = await ask_osrm(self._client, self._base + coordinates, params, self._timeout)
        return _line(body)


def _line(body: dict[str, Any]) -> list[LatLng]:
    try:
        coordinates = body["routes"][0]["geometry"]["coordinates"]
        line = [(float(lat), float(lng)) for lng, lat in coordinates]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise OsrmError(f"malformed route: {type(exc).__name__}: {exc}") from exc
    if not line or not all(-90 <= lat <= 90 and -180 <= lng <= 180 for lat, lng in line):
        raise OsrmError("malformed route: no usable coordinates")
    return line
