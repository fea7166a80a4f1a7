"""Paths between two points: OSRM's route service when a URL is given (road geometry), else
two straight segments along the street grid. An OSRM failure falls back to the straight path,
so a demo never stops for a routing server."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from logistics.sim.motion import Point, straight_path

logger = logging.getLogger(__name__)

PROFILES = {"bicycle": "cycling", "on_foot": "foot"}


class Router(Protocol):
    async def path(self, a: Point, b: Point, vehicle_type: str) -> list[Point]: ...

    async def close(self) -> None: ...


class StraightRouter:
    async def path(self, a: Point, b: Point, vehicle_type: str) -> list[Point]:
        return straight_path(a, b)

    async def close(self) -> None:
        return None


class OsrmRouter:
    """``GET {base}/route/v1/{profile}/{lng,lat;lng,lat}?overview=full&geometries=geojson``."""

    def __init__(self, base_url: str, timeout_s: float = 3.0) -> None:
        self._base = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout_s, trust_env=False)
        self._warned = False

    async def path(self, a: Point, b: Point, vehicle_type: str) -> list[Point]:
        profile = PROFILES.get(vehicle_type, "driving")
        url = f"{self._base}/route/v1/{profile}/{a.lng},{a.lat};{b.lng},{b.lat}"
        try:
            reply = await self._client.get(
                url, params={"overview": "full", "geometries": "geojson"}
            )
            reply.raise_for_status()
            coordinates = reply.json()["routes"][0]["geometry"]["coordinates"]
            path = [Point(float(lat), float(lng)) for lng, lat in coordinates]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            if not self._warned:
                logger.warning(
                    "OSRM route failed; straight paths instead", extra={"error": str(exc)}
                )
                self._warned = True
            return straight_path(a, b)
        return [a, *path, b] if path else straight_path(a, b)

    async def close(self) -> None:
        await self._client.aclose()


def router(osrm_url: str | None) -> Router:
    return OsrmRouter(osrm_url) if osrm_url else StraightRouter()
