"""``FakeOsrm`` that also speaks OSRM's route service (``GET /route/v1/{profile}/{lng,lat;...}``
with ``overview=full&geometries=geojson``), as osrm-backend's docs/http.md describes it:
``{"code": "Ok", "routes": [{"geometry": {"type": "LineString", "coordinates": [[lng, lat],
...]}, "distance": ..., "duration": ...}], "waypoints": [...]}``.

Its roads between two waypoints run north-south first, then east-west (an L, never the
straight line), with a vertex every ``step_m`` metres, so a path has many vertices.
"""

from __future__ import annotations

import itertools
import math
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from logistics.domain.telemetry import haversine_m
from tests.support.osrm import SPEED_MPS, FakeOsrm

LatLng = tuple[float, float]


def _between(a: LatLng, b: LatLng, step_m: float) -> list[LatLng]:
    n = max(1, math.ceil(haversine_m(*a, *b) / step_m))
    return [(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n) for i in range(n + 1)]


def l_road(waypoints: list[LatLng], step_m: float = 20.0) -> list[LatLng]:
    """The road through ``waypoints``: for each pair, north-south to the next latitude, then
    east-west to the next waypoint."""
    line: list[LatLng] = [waypoints[0]]
    for a, b in itertools.pairwise(waypoints):
        corner = (b[0], a[1])
        for piece in (_between(a, corner, step_m), _between(corner, b, step_m)):
            line.extend(p for p in piece[1:] if p != line[-1])
    return line


class FakeOsrmRoutes(FakeOsrm):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.route_requests: list[dict[str, Any]] = []

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        segments = parts.path.split("/")
        if len(segments) != 5 or segments[1:3] != ["route", "v1"] or self.mode != "ok":
            super()._handle(handler)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            points = [
                (float(lat), float(lng))
                for lng, lat in (c.split(",") for c in segments[4].split(";"))
            ]
        except ValueError as exc:
            self._reply(handler, 400, {"code": "InvalidQuery", "message": str(exc)})
            return
        self.route_requests.append({"points": points, **query})
        line = l_road(points)
        metres = sum(haversine_m(*a, *b) for a, b in itertools.pairwise(line))
        geometry = {"type": "LineString", "coordinates": [[lng, lat] for lat, lng in line]}
        self._reply(
            handler,
            200,
            {
                "code": "Ok",
                "routes": [
                    {"geometry": geometry, "distance": metres, "duration": metres / SPEED_MPS}
                ],
                "waypoints": [{"location": [lng, lat], "name": ""} for lat, lng in points],
            },
        )
