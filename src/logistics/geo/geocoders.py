"""Address search over HTTP: Nominatim's ``/search`` (``format=jsonv2``), Pelias's
``/v1/search`` (GeoJSON), Mapbox's ``/geocoding/v5/mapbox.places`` and Google's
``/maps/api/geocode/json``, behind ``services.tasks.addresses.Geocoder``; each provider is a
request builder and a parser of its answer.

Each query is tried a few times (tenacity: timeouts, connection errors, 5xx and 429 are retried
with a short exponential wait), answers are kept in a bounded LRU cache, and after
``breaker_failures`` queries in a row fail the provider is left alone for ``breaker_seconds``
(every query then fails at once): a dead provider costs one round of timeouts, not one per
task. Every failure is ``GeocoderUnavailable``; the caller leaves the task waiting.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from cachetools import LRUCache
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from logistics.domain.addresses import Candidate, GeocodeQuery, GeocoderUnavailable

__all__ = ["HttpGeocoder", "google", "mapbox", "nominatim", "pelias"]

logger = logging.getLogger(__name__)

# The URL and the query parameters of a search (limit: the most answers wanted).
Request = Callable[[GeocodeQuery, int], tuple[str, dict[str, str]]]
Parse = Callable[[Any], list[Candidate]]
# A viewbox of about 0.5 degree (some 50 km) each way around the bias point.
_BOX = 0.5


class _Retry(Exception):
    """A failure worth another try."""


class HttpGeocoder:
    def __init__(
        self,
        url: str,
        request: Request,
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
        self._url = url  # for messages: the provider's base URL, never a key
        self._request = request
        self._parse = parse
        self._limit = limit
        self._client = client or httpx.AsyncClient(
            timeout=timeout_s, headers={"User-Agent": user_agent}
        )
        self._attempts = attempts
        self._wait = wait_exponential(multiplier=retry_wait_s, max=retry_wait_s * 8)
        self._cache: LRUCache[GeocodeQuery, list[Candidate]] = LRUCache(cache_size)
        self._breaker_failures = breaker_failures
        self._breaker_seconds = breaker_seconds
        self._failures = 0
        self._open_until = 0.0

    async def search(self, query: GeocodeQuery) -> list[Candidate]:
        cached = self._cache.get(query)
        if cached is not None:
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
        url, params = self._request(query, self._limit)
        try:
            response = await self._client.get(url, params=params)
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


def _nominatim_request(base: str, query: GeocodeQuery, limit: int) -> tuple[str, dict[str, str]]:
    params = {"q": query.address, "format": "jsonv2", "limit": str(limit)}
    if query.countries:
        params["countrycodes"] = ",".join(query.countries)
    if query.near is not None:
        lat, lng = query.near
        # A preference, not a bound (``bounded`` stays 0): left, top, right, bottom.
        params["viewbox"] = f"{lng - _BOX},{lat + _BOX},{lng + _BOX},{lat - _BOX}"
    return f"{base}/search", params


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
    base = url.rstrip("/")
    return HttpGeocoder(
        base, functools.partial(_nominatim_request, base), _nominatim_parse, **options
    )


def _pelias_request(base: str, query: GeocodeQuery, limit: int) -> tuple[str, dict[str, str]]:
    params = {"text": query.address, "size": str(limit)}
    if query.countries:
        params["boundary.country"] = ",".join(c.upper() for c in query.countries)
    if query.near is not None:
        params["focus.point.lat"], params["focus.point.lon"] = map(str, query.near)
    return f"{base}/v1/search", params


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
    base = url.rstrip("/")
    return HttpGeocoder(base, functools.partial(_pelias_request, base), _pelias_parse, **options)


def _mapbox_request(
    base: str, token: str, query: GeocodeQuery, limit: int
) -> tuple[str, dict[str, str]]:
    params = {"access_token": token, "limit": str(limit), "types": "address,poi"}
    if query.countries:
        params["country"] = ",".join(query.countries)
    if query.near is not None:
        params["proximity"] = f"{query.near[1]},{query.near[0]}"
    return f"{base}/geocoding/v5/mapbox.places/{quote(query.address, safe='')}.json", params


def _mapbox_parse(body: Any) -> list[Candidate]:
    """Mapbox's ``relevance`` (0 to 1, how much of the query matched) is the confidence."""
    return [
        Candidate(
            label=str(f["place_name"]),
            latitude=float(f["center"][1]),
            longitude=float(f["center"][0]),
            confidence=float(f.get("relevance", 0.0)),
        )
        for f in body["features"]
    ]


def mapbox(url: str, token: str, **options: Any) -> HttpGeocoder:
    """Mapbox's geocoding API (v5) at ``url``, its API's base URL, with an access token."""
    base = url.rstrip("/")
    return HttpGeocoder(
        base, functools.partial(_mapbox_request, base, token), _mapbox_parse, **options
    )


# Google's location_type, from a point on the building to a rough area.
_GOOGLE_PRECISION = {
    "ROOFTOP": 1.0,
    "RANGE_INTERPOLATED": 0.9,
    "GEOMETRIC_CENTER": 0.7,
    "APPROXIMATE": 0.4,
}


def _google_request(
    base: str, key: str, query: GeocodeQuery, limit: int
) -> tuple[str, dict[str, str]]:
    params = {"address": query.address, "key": key}
    if query.countries:
        # One country filter: Google's components are ANDed, so two countries would match none.
        params["components"] = f"country:{query.countries[0].upper()}"
    if query.near is not None:
        lat, lng = query.near
        params["bounds"] = f"{lat - _BOX},{lng - _BOX}|{lat + _BOX},{lng + _BOX}"
    return f"{base}/maps/api/geocode/json", params


def _google_parse(body: Any) -> list[Candidate]:
    """Confidence from ``geometry.location_type``, lowered for a ``partial_match``."""
    status = body["status"]
    if status == "ZERO_RESULTS":
        return []
    if status in ("OVER_QUERY_LIMIT", "UNKNOWN_ERROR"):
        raise _Retry(f"Google status {status}")
    if status != "OK":
        raise GeocoderUnavailable(f"Google status {status}: {body.get('error_message', '')}")
    return [
        Candidate(
            label=str(r["formatted_address"]),
            latitude=float(r["geometry"]["location"]["lat"]),
            longitude=float(r["geometry"]["location"]["lng"]),
            confidence=_GOOGLE_PRECISION.get(r["geometry"].get("location_type"), 0.0)
            * (0.8 if r.get("partial_match") else 1.0),
        )
        for r in body["results"]
    ]


def google(url: str, key: str, **options: Any) -> HttpGeocoder:
    """Google's Geocoding API at ``url``, its API's base URL, with an API key."""
    base = url.rstrip("/")
    return HttpGeocoder(
        base, functools.partial(_google_request, base, key), _google_parse, **options
    )
