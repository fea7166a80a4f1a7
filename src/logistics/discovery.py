"""Discovery: asking the service a write came from about a tenant or outlet we have never seen.

Riders are onboarded in other platform services, whose backends call us with a tenant slug and
outlet ids. A write that names an unknown tenant or outlet is accepted only once its origin has
vouched for it here; storing the answer, and never asking again for what is stored, is the
caller's job. A ``Discovery`` only asks.

The protocol an upstream service implements
-------------------------------------------

Request: ``POST {url}`` (the endpoint configured for that origin) with
``content-type: application/json``, ``accept: application/json`` and one of the JSON bodies::

    {"type": "tenant.lookup", "tenant": "<slug>"}
    {"type": "outlet.lookup", "tenant": "<slug>", "outlet_id": "<id>"}

The request is signed as a Standard Webhook (https://www.standardwebhooks.com/, see
``logistics.events.signing``) with the secrets shared with that origin: ``webhook-id``,
``webhook-timestamp`` (unix seconds) and ``webhook-signature`` (one ``v1,`` signature per
current secret, so either side can rotate). The receiver must verify the signature with any
Standard Webhooks library and reject a bad one with 401. Each logical lookup has a fresh
``webhook-id`` that every retry of it repeats (with a fresh timestamp and signature), so the
receiver may de-duplicate on it. Lookups are read-only, so answering a repeat again is fine.

Answers:

* ``200`` with ``{"tenant": {"slug": "<slug asked>", "display_name": "<non-empty>"}}`` or
  ``{"outlet": {"id": "<id asked>", "display_name": "<non-empty>", "latitude": <number|null>,
  "longitude": <number|null>}}`` (the coordinates may be omitted, but come both or neither,
  in WGS84 degrees). Other members are ignored, so the answer may grow.
* ``404``: no such tenant, or no such outlet of that tenant: ``DiscoveryNotFound``, not retried.
* ``408``, ``429`` or any ``5xx``, a timeout (``timeout_s`` for the whole attempt) or a
  connection error: retried, ``attempts`` in all, after a delay drawn uniformly from
  ``[0, min(max_backoff_s, backoff_s * 2**(retry - 1))]`` (exponential backoff with full
  jitter), or, when the answer has ``Retry-After`` (seconds, or an HTTP date: the time until
  then), after that long capped at ``max_backoff_s`` (a write is waiting). When every attempt
  has failed: ``DiscoveryUnavailable``, chained to the last exception if there was one.
* Any other status: ``DiscoveryUnavailable`` at once, with the status; the origin said no and
  asking again will not change that (401 here usually means the secrets disagree).
* ``200`` with a body that is not that JSON (not JSON, over 64 KiB, missing or mistyped
  members, another slug or id than the one asked, coordinates out of range): also
  ``DiscoveryUnavailable`` at once, not retried: a well-formed origin answers the same thing
  again, and the write waiting on it should fail fast with the reason.

Concurrent lookups of one key through one ``HttpDiscovery`` share one in-flight request, so a
burst of writes for a new tenant asks once. Nothing is cached after the request ends.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from logistics.backoff import full_jitter
from logistics.events.signing import decode_secret, generate_message_id, sign
from logistics.net.retry_after import retry_after_s

__all__ = [
    "DiscoveredOutlet",
    "DiscoveredTenant",
    "Discovery",
    "DiscoveryError",
    "DiscoveryNotFound",
    "DiscoveryUnavailable",
    "HttpDiscovery",
]

logger = logging.getLogger(__name__)

_MAX_ANSWER_BYTES = 64 * 1024
_RETRYABLE_STATUSES = frozenset({408, 429})

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class DiscoveredTenant:
    slug: str
    display_name: str


@dataclass(frozen=True)
class DiscoveredOutlet:
    tenant: str
    outlet_id: str
    display_name: str
    latitude: float | None
    longitude: float | None


class DiscoveryError(Exception):
    """A lookup did not yield a tenant or outlet; the write waiting on it must be rejected."""


class DiscoveryNotFound(DiscoveryError):
    """The origin answered: it has no such tenant or outlet (HTTP 404)."""


class DiscoveryUnavailable(DiscoveryError):
    """No usable answer: timeouts, connection errors or 408/429/5xx on every attempt, another
    status, or a malformed answer. ``status`` is the last HTTP status, if any was received."""

    def __init__(self, message: str, *, status: int | None, attempts: int) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class Discovery(Protocol):
    """Looks up, at the origin of a write, a tenant or outlet we have not stored."""

    async def tenant(self, slug: str) -> DiscoveredTenant: ...

    async def outlet(self, tenant: str, outlet_id: str) -> DiscoveredOutlet: ...


class _Malformed(ValueError):
    """A 200 whose body is not the answer the protocol describes."""


class _Retry(Exception):
    """An attempt worth repeating: no answer (``__cause__`` says why), or 408, 429 or 5xx."""

    def __init__(self, failure: str, *, status: int | None, retry_after: float | None) -> None:
        super().__init__(failure)
        self.failure = failure
        self.status = status
        self.retry_after = retry_after


class HttpDiscovery:
    """``Discovery`` over the signed HTTP protocol in this module's docstring, for one origin.

    Owns ``client`` only if it made it (then ``aclose`` closes it). ``sleep`` is how retries
    wait, so tests can watch the delays.
    """

    def __init__(
        self,
        url: str,
        secrets: Sequence[str],
        *,
        timeout_s: float = 3.0,
        attempts: int = 4,
        backoff_s: float = 0.2,
        max_backoff_s: float = 2.0,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if httpx.URL(url).scheme not in ("http", "https"):
            raise ValueError("the discovery URL must be http or https")
        if isinstance(secrets, str) or not secrets:
            raise ValueError("discovery needs a sequence of at least one whsec_ secret")
        for secret in secrets:
            decode_secret(secret)  # a bad secret is a configuration error: fail at startup
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if timeout_s <= 0 or backoff_s < 0 or max_backoff_s < 0:
            raise ValueError("timeout_s must be positive, backoff_s and max_backoff_s not negative")
        self._url = url
        self._secrets = tuple(secrets)
        self._timeout_s = timeout_s
        self._attempts = attempts
        self._max_backoff_s = max_backoff_s
        self._backoff = full_jitter(backoff_s, max_backoff_s)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._sleep = sleep
        self._tenants: _SingleFlight[str, DiscoveredTenant] = _SingleFlight()
        self._outlets: _SingleFlight[tuple[str, str], DiscoveredOutlet] = _SingleFlight()

    async def tenant(self, slug: str) -> DiscoveredTenant:
        if not slug:
            raise ValueError("a tenant slug is needed")
        request = {"type": "tenant.lookup", "tenant": slug}
        return await self._tenants.do(
            slug,
            lambda: self._lookup(
                f"tenant {slug!r}", request, functools.partial(_parse_tenant, slug=slug)
            ),
        )

    async def outlet(self, tenant: str, outlet_id: str) -> DiscoveredOutlet:
        if not tenant or not outlet_id:
            raise ValueError("a tenant slug and an outlet id are needed")
        request = {"type": "outlet.lookup", "tenant": tenant, "outlet_id": outlet_id}
        parse = functools.partial(_parse_outlet, tenant=tenant, outlet_id=outlet_id)
        return await self._outlets.do(
            (tenant, outlet_id),
            lambda: self._lookup(f"outlet {outlet_id!r} of tenant {tenant!r}", request, parse),
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> HttpDiscovery:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _lookup(self, what: str, request: dict[str, str], parse: Callable[[bytes], T]) -> T:
        body = json.dumps(request, separators=(",", ":")).encode()
        msg_id = generate_message_id()  # one per logical lookup, repeated by its retries
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            sleep=self._sleep,
            before_sleep=functools.partial(self._log_retry, what),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return await self._attempt(what, msg_id, body, parse, number)
        except _Retry as last:
            raise DiscoveryUnavailable(
                f"{self._url} did not answer about {what} after {self._attempts} attempts: "
                f"{last.failure}",
                status=last.status,
                attempts=self._attempts,
            ) from last.__cause__
        raise AssertionError("tenacity ends with an answer or the last attempt's error")

    async def _attempt(
        self, what: str, msg_id: str, body: bytes, parse: Callable[[bytes], T], attempt: int
    ) -> T:
        """One attempt: the answer, or ``_Retry``, or the error that ends the lookup."""
        try:
            status, retry_after_header, content = await self._post(msg_id, body)
        except (httpx.RequestError, TimeoutError) as exc:
            failure = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise _Retry(failure, status=None, retry_after=None) from exc
        if status == 200:
            try:
                return parse(content)
            except _Malformed as exc:
                raise DiscoveryUnavailable(
                    f"{self._url} gave a malformed answer about {what}: {exc}",
                    status=status,
                    attempts=attempt,
                ) from None
        if status == 404:
            raise DiscoveryNotFound(f"{self._url} knows no {what}")
        if not _retryable(status):
            raise DiscoveryUnavailable(
                f"{self._url} answered HTTP {status} about {what}: {_snippet(content)}",
                status=status,
                attempts=attempt,
            )
        retry_after = retry_after_s(retry_after_header, datetime.now(UTC))
        raise _Retry(f"HTTP {status}", status=status, retry_after=retry_after)

    def _wait(self, state: RetryCallState) -> float:
        """What the answer's ``Retry-After`` asks for (capped), else the backoff's draw."""
        failed = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failed, _Retry) and failed.retry_after is not None:
            return min(failed.retry_after, self._max_backoff_s)
        return self._backoff(state)

    def _log_retry(self, what: str, state: RetryCallState) -> None:
        failed = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning(
            "discovery failed, retrying",
            extra={
                "discovery_url": self._url,
                "lookup": what,
                "attempt": state.attempt_number,
                "error": failed.failure if isinstance(failed, _Retry) else repr(failed),
                "delay_s": round(delay, 3),
            },
        )

    async def _post(self, msg_id: str, body: bytes) -> tuple[int, str | None, bytes]:
        """One attempt: the status, the Retry-After header and at most 64 KiB + 1 of the body."""
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            **sign(self._secrets, msg_id, int(time.time()), body),
        }
        # httpx's timeout bounds each phase; this bounds the attempt, so a server that drips
        # bytes cannot hold a write for longer than timeout_s.
        async with asyncio.timeout(self._timeout_s):
            async with self._client.stream(
                "POST", self._url, content=body, headers=headers, timeout=self._timeout_s
            ) as response:
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > _MAX_ANSWER_BYTES:
                        break
                return response.status_code, response.headers.get("retry-after"), bytes(content)


class _SingleFlight(Generic[K, T]):
    """Concurrent calls for one key share one in-flight call; nothing is kept once it ends."""

    def __init__(self) -> None:
        self._calls: dict[K, asyncio.Task[T]] = {}

    async def do(self, key: K, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
        task = self._calls.get(key)
        if task is None:
            task = asyncio.create_task(call())
            self._calls[key] = task
            task.add_done_callback(functools.partial(self._forget, key))
        # A caller that gives up (its request was cancelled) must not cancel the others' call.
        return await asyncio.shield(task)

    def _forget(self, key: K, task: asyncio.Task[T]) -> None:
        if self._calls.get(key) is task:
            del self._calls[key]
        if not task.cancelled():
            task.exception()  # retrieved, so no warning if every caller had given up


def _retryable(status: int) -> bool:
    return status in _RETRYABLE_STATUSES or 500 <= status <= 599


def _snippet(content: bytes) -> str:
    text = content[:200].decode("utf-8", "replace").strip()
    return text or "(no body)"


def _answer(content: bytes, kind: str) -> dict[str, Any]:
    if len(content) > _MAX_ANSWER_BYTES:
        raise _Malformed(f"the answer is over {_MAX_ANSWER_BYTES} bytes")
    try:
        document = json.loads(content)
    except ValueError:
        raise _Malformed(f"the answer is not JSON: {_snippet(content)}") from None
    entry = document.get(kind) if isinstance(document, dict) else None
    if not isinstance(entry, dict):
        raise _Malformed(f"the answer has no {kind!r} object")
    return entry


def _display_name(entry: dict[str, Any]) -> str:
    name = entry.get("display_name")
    if not isinstance(name, str) or not name.strip():
        raise _Malformed("display_name must be a non-empty string")
    return name


def _coordinate(entry: dict[str, Any], name: str, limit: float) -> float | None:
    value = entry.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(f"{name} must be a number or null")
    if not (math.isfinite(value) and -limit <= value <= limit):
        raise _Malformed(f"{name} must be within [-{limit:g}, {limit:g}]")
    return float(value)


def _parse_tenant(content: bytes, *, slug: str) -> DiscoveredTenant:
    entry = _answer(content, "tenant")
    if entry.get("slug") != slug:
        raise _Malformed(f"the answer is about tenant {entry.get('slug')!r}, not {slug!r}")
    return DiscoveredTenant(slug=slug, display_name=_display_name(entry))


def _parse_outlet(content: bytes, *, tenant: str, outlet_id: str) -> DiscoveredOutlet:
    entry = _answer(content, "outlet")
    if entry.get("id") != outlet_id:
        raise _Malformed(f"the answer is about outlet {entry.get('id')!r}, not {outlet_id!r}")
    latitude = _coordinate(entry, "latitude", 90.0)
    longitude = _coordinate(entry, "longitude", 180.0)
    if (latitude is None) != (longitude is None):
        raise _Malformed("latitude and longitude come both or neither")
    return DiscoveredOutlet(
        tenant=tenant,
        outlet_id=outlet_id,
        display_name=_display_name(entry),
        latitude=latitude,
        longitude=longitude,
    )
