"""Travel over roads from an OSRM server's HTTP ``table`` service, with the straight line as
the fallback: a slow, failing or unreachable server, or a pair it has no route for, gives the
straight-line estimate for that answer (logged and counted), never an error to dispatch.

One request per question: ``travel_to`` asks for every origin to one destination at once
(``sources`` = the origins, ``destinations`` = the destination), ``table`` for a whole matrix,
each split into blocks that respect the server's table size. Answers are cached per pair of
points (rounded to about a metre), least recently used out first; ``travel`` answers from the
cache and falls back to the straight line for a pair never asked (it cannot wait on the
network). After a failure the server is left alone for ``retry_after_s``, so a dead server
costs one timeout, not one per query.

OSRM serves one profile (usually a car's, ``driving``): its durations are used for motor
vehicles; riders on foot or on a bicycle take its road distance at their own speed.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from logistics.domain.eta import EtaSource, Travel
from logistics.domain.fleet import VehicleType
from logistics.geo.distance import SPEED_MPS, Point, StraightLine, Table

logger = logging.getLogger(__name__)

_OWN_SPEED = frozenset({VehicleType.ON_FOOT, VehicleType.BICYCLE})
_Pair = tuple[int, int, int, int]


class OsrmError(Exception):
    """OSRM did not answer with a usable table or route; the message says why."""


async def ask_osrm(
    client: httpx.AsyncClient, url: str, params: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """One OSRM service call (``table`` or ``route``): its JSON body when OSRM says ``Ok``;
    ``OsrmError`` for a transport failure, a non-200 answer, a body that is not JSON or
    another ``code``."""
    try:
        response = await client.get(url, params=params, timeout=timeout_s)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OsrmError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200 or not isinstance(body, dict) or body.get("code") != "Ok":
        code = body.get("code") if isinstance(body, dict) else None
        raise OsrmError(f"HTTP {response.status_code}, code {code!r}")
    return body


def _key(a: Point, b: Point) -> _Pair:
    return (round(a[0] * 1e5), round(a[1] * 1e5), round(b[0] * 1e5), round(b[1] * 1e5))


def _blocks(n: int, size: int) -> list[range]:
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


class Osrm:
    def __init__(
        self,
        url: str,
        *,
        profile: str = "driving",
        timeout_s: float = 2.0,
        cache_size: int = 100_000,
        max_table_size: int = 100,
        retry_after_s: float = 10.0,
        fallback: StraightLine | None = None,
        client: httpx.AsyncClient | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._base = f"{url.rstrip('/')}/table/v1/{profile}/"
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout_s)
        self._timeout = timeout_s
        self._cache: OrderedDict[_Pair, tuple[float, float]] = OrderedDict()
        self._cache_size = cache_size
        self._block = max(1, max_table_size // 2)
        self._retry_after = retry_after_s
        self._down_until = 0.0
        self._last_warning = 0.0
        self._fallback = fallback or StraightLine()
        self.requests = Counter(
            "logistics_osrm_requests_total",
            "OSRM table requests, by outcome (ok or error).",
            ["outcome"],
            registry=registry,
        )
        self.fallbacks = Counter(
            "logistics_osrm_fallbacks_total",
            "Travel answers given by the straight line instead of OSRM, by reason.",
            ["reason"],
            registry=registry,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        road = self._cache.get(_key((lat1, lng1), (lat2, lng2)))
        if road is None:
            return self._fallback.travel(lat1, lng1, lat2, lng2, vehicle)
        return _for(vehicle, *road)

    async def travel_to(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[tuple[float, float]]:
        return [(t.metres, t.seconds) for t in await self.journeys(origins, destination, vehicles)]

    async def journeys(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[Travel]:
        road: dict[int, tuple[float, float]] = {}
        cached: set[int] = set()
        missing = []
        for i, origin in enumerate(origins):
            hit = self._cache.get(_key(origin, destination))
            if hit is None:
                missing.append(i)
            else:
                self._cache.move_to_end(_key(origin, destination))
                road[i] = hit
                cached.add(i)
        for block in _blocks(len(missing), max(1, 2 * self._block - 1)):
            asked = [missing[j] for j in block]
            points = [origins[i] for i in asked] + [destination]
            found = await self._ask(points, list(range(len(asked))), [len(asked)])
            for row, i in enumerate(asked):
                cell = found[row][0] if found is not None else None
                if cell is not None:
                    road[i] = cell
                    self._remember(origins[i], destination, cell)
        out = []
        for i, (origin, vehicle) in enumerate(zip(origins, vehicles, strict=True)):
            if i in road:
                source = EtaSource.ROAD_CACHED if i in cached else EtaSource.ROAD
                out.append(Travel(*_for(vehicle, *road[i]), source))
            else:
                fallback = EtaSource.STRAIGHT_LINE_FALLBACK
                out.append(self._fallback.line(origin, destination, vehicle, fallback))
        return out

    async def table(self, points: Sequence[Point], vehicle: VehicleType | None) -> Table:
        n = len(points)
        metres = [[0.0] * n for _ in range(n)]
        seconds = [[0.0] * n for _ in range(n)]
        blocks = _blocks(n, self._block)
        for sources in blocks:
            for targets in blocks:
                asked = list(sources) + [j for j in targets if j not in sources]
                where = {p: k for k, p in enumerate(asked)}
                found = await self._ask(
                    [points[p] for p in asked],
                    [where[i] for i in sources],
                    [where[j] for j in targets],
                )
                for r, i in enumerate(sources):
                    for c, j in enumerate(targets):
                        if i == j:
                            continue
                        cell = found[r][c] if found is not None else None
                        if cell is None:
                            m, s = self._fallback.travel(*points[i], *points[j], vehicle)
                        else:
                            self._remember(points[i], points[j], cell)
                            m, s = _for(vehicle, *cell)
                        metres[i][j], seconds[i][j] = m, s
        return Table(metres, seconds)

    def _remember(self, a: Point, b: Point, road: tuple[float, float]) -> None:
        key = _key(a, b)
        self._cache[key] = road
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _ask(
        self, points: Sequence[Point], sources: list[int], destinations: list[int]
    ) -> list[list[tuple[float, float] | None]] | None:
        """(metres, seconds) from each source to each destination over roads (None where
        OSRM has no route); None when OSRM could not be asked or answered badly."""
        cells = len(sources) * len(destinations)
        if time.monotonic() < self._down_until:
            self.fallbacks.labels("unavailable").inc(cells)
            return None
        try:
            table = await self._request(points, sources, destinations)
        except OsrmError as exc:
            self.requests.labels("error").inc()
            self.fallbacks.labels("error").inc(cells)
            self._down_until = time.monotonic() + self._retry_after
            self._warn(f"OSRM failed ({exc}); straight-line travel for {self._retry_after:g} s")
            return None
        self.requests.labels("ok").inc()
        no_route = sum(cell is None for row in table for cell in row)
        if no_route:
            self.fallbacks.labels("no_route").inc(no_route)
        return table

    async def _request(
        self, points: Sequence[Point], sources: list[int], destinations: list[int]
    ) -> list[list[tuple[float, float] | None]]:
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        params = {
            "sources": ";".join(map(str, sources)),
            "destinations": ";".join(map(str, destinations)),
            "annotations": "duration,distance",
        }
        body = await ask_osrm(self._client, self._base + coordinates, params, self._timeout)
        try:
            durations, distances = body["durations"], body["distances"]
            return [
                [
                    None
                    if distances[r][c] is None or durations[r][c] is None
                    else (float(distances[r][c]), float(durations[r][c]))
                    for c in range(len(destinations))
                ]
                for r in range(len(sources))
            ]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise OsrmError(f"malformed table: {type(exc).__name__}: {exc}") from exc

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 60:
            self._last_warning = now
            logger.warning(message)


def _for(vehicle: VehicleType | None, metres: float, seconds: float) -> tuple[float, float]:
    if vehicle in _OWN_SPEED:
        return metres, metres / SPEED_MPS[vehicle]
    return metres, seconds
