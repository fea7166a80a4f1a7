"""Address search over HTTP: Nominatim's ``/search`` (``format=jsonv2``) and Pelias's
``/v1/search`` (GeoJSON), behind ``services.tasks.addresses.Geocoder``.

Each query is tried a few times (tenacity: timeouts, connection errors, 5xx and 429 are retried
with a short exponential wait), answers are kept in a bounded LRU cache, and after
``breaker_failures`` queries in a row fail the provider is left alone for ``breaker_seconds``
(every query then fails at once): a dead provider costs one round of timeouts, not one per
task. Every failure is ``GeocoderUnavailable``; the caller leaves the task waiting.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from logistics.domain.addresses import Candidate, GeocodeQuery, GeocoderUnavailable

__all__ = ["HttpGeocoder", "nominatim", "pelias"]

logger = logging.getLogger(__name__)

Params = Callable[[GeocodeQuery, int], dict[str, str]]
Parse = Callable[[Any], list[Candidate]]
# A viewbox of about 0.5 degree (some 50 km) each way around the bias point.
_BOX = 0.5


class _Retry(Exception):
    """A failure worth another try."""


class HttpGeocoder:
    def __init__(
        self,
        url: str,
        params: Params,
        parse: Parse,
        *,
        limit: int = 5,
        timeout_s: float = 3.0,
        attempts: int = 3,
        retry_wait_s: float = 0.5,
        cache_size: int = 10_000,
        breaker_failures: int = 5,
        breaker_seconds: float = 30.0,
        user_agent: str = "bengobox-logistics",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._params = params
        self._parse = parse
        self._limit = limit
        self._client = client or httpx.AsyncClient(
            timeout=timeout_s, headers={"User-Agent": user_agent}
        )
        self._attempts = attempts
        self._wait = wait_exponential(multiplier=retry_wait_s, max=retry_wait_s * 8)
        self._cache: OrderedDict[GeocodeQuery, list[Candidate]] = OrderedDict()
        self._cache_size = cache_size
        self._breaker_failures = breaker_failures
        self._breaker_seconds = breaker_seconds
        self._failures = 0
        self._open_until = 0.0

    async def search(self, query: GeocodeQuery) -> list[Candidate]:
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return list(cached)
        if time.monotonic() < self._open_until:
            raise GeocoderUnavailable(f"{self._url} failed {self._failures} times; resting")
        try:
            found = await self._ask(query)
        except GeocoderUnavailable:
            self._failures += 1
            if self._failures >= self._breaker_failures:
                self._open_until = time.monotonic() + self._breaker_seconds
            raise
        self._failures = 0
        self._cache[query] = found
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return list(found)

    async def _ask(self, query: GeocodeQuery) -> list[Candidate]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(query)
        except _Retry as exc:
            raise GeocoderUnavailable(
                f"{self._url} did not answer after {self._attempts} attempts: {exc}"
            ) from exc
        raise AssertionError("tenacity ends with an answer or the last attempt's error")

    async def _once(self, query: GeocodeQuery) -> list[Candidate]:
        try:
            response = await self._client.get(self._url, params=self._params(query, self._limit))
        except httpx.HTTPError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retry(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise GeocoderUnavailable(f"{self._url} answered HTTP {response.status_code}")
        try:
            return self._parse(response.json())
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise GeocoderUnavailable(f"{self._url} answered in an unknown shape: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def _nominatim_params(query: GeocodeQuery, limit: int) -> dict[str, str]:
    params = {"q": query.address, "format": "jsonv2", "limit": str(limit)}
    if query.countries:
        params["countrycodes"] = ",".join(query.countries)
    if query.near is not None:
        lat, lng = query.near
        # A preference, not a bound (``bounded`` stays 0): left, top, right, bottom.
        params["viewbox"] = f"{lng - _BOX},{lat + _BOX},{lng + _BOX},{lat - _BOX}"
    return params


def _nominatim_parse(body: Any) -> list[Candidate]:
    """Nominatim has no confidence: its ``place_rank`` (30 = a house or a point of interest,
    26 = a street, 16 = a city) over 30 stands for it."""
    if not isinstance(body, list):
        raise ValueError("not a JSON array")
    return [
        Candidate(
            label=str(place["display_name"]),
            latitude=float(place["lat"]),
            longitude=float(place["lon"]),
            confidence=round(min(1.0, max(0.0, int(place.get("place_rank", 0)) / 30)), 3),
        )
        for place in body
    ]


def nominatim(url: str, **options: Any) -> HttpGeocoder:
    """A Nominatim server at ``url`` (its ``/search`` is appended)."""
    return HttpGeocoder(f"{url.rstrip('/')}/search", _nominatim_params, _nominatim_parse, **options)


def _pelias_params(query: GeocodeQuery, limit: int) -> dict[str, str]:
    params = {"text": query.address, "size": str(limit)}
    if query.countries:
        params["boundary.country"] = ",".join(c.upper() for c in query.countries)
    if query.near is not None:
        params["focus.point.lat"], params["focus.point.lon"] = map(str, query.near)
    return params


def _pelias_parse(body: Any) -> list[Candidate]:
    return [
        Candidate(
            label=str(f["properties"].get("label", "")),
            latitude=float(f["geometry"]["coordinates"][1]),
            longitude=float(f["geometry"]["coordinates"][0]),
            confidence=float(f["properties"].get("confidence", 0.0)),
        )
        for f in body["features"]
    ]


def pelias(url: str, **options: Any) -> HttpGeocoder:
    """A Pelias server at ``url`` (its ``/v1/search`` is appended)."""
    return HttpGeocoder(f"{url.rstrip('/')}/v1/search", _pelias_params, _pelias_parse, **options)
