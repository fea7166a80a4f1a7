"""Every carrier call's resilience: a timeout (the HTTP client's), retries with exponential
backoff and full jitter (tenacity, as ``logistics.backoff``), and a circuit breaker per carrier
account (purgatory).

purgatory was chosen over aiobreaker: it is asyncio-native and typed, keeps any number of named
circuits in one factory (one per account, made on first use), excludes chosen exceptions from
the failure count (a carrier that says no is working), can keep its state in Redis later, and
is maintained (3.0, 2024) where aiobreaker's last release is from 2021.

A call that fails with ``CarrierUnavailable`` is retried up to ``attempts`` times; each attempt
passes through the account's breaker, so ``threshold`` failures in a row open it and every call
is then refused at once (``CARRIER_CIRCUIT_OPEN``, not retried) until ``open_s`` passed, when
one trial call is let through. ``CarrierDeclined`` is neither retried nor counted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from logistics.backoff import full_jitter
from logistics.carriers.errors import CallbackRefused, CarrierDeclined, CarrierUnavailable

__all__ = ["Resilience", "ResilienceSettings"]

T = TypeVar("T")


@dataclass(frozen=True)
class ResilienceSettings:
    timeout_s: float = 5.0
    attempts: int = 3
    backoff_base_s: float = 0.2
    backoff_cap_s: float = 2.0
    threshold: int = 5
    open_s: float = 30.0


class Resilience:
    """Retries and one breaker per circuit name (a carrier account's resource name); one per
    process, shared by every connector so an account's breaker outlives a connector."""

    def __init__(self, settings: ResilienceSettings = ResilienceSettings()) -> None:
        self.settings = settings
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=settings.threshold,
            default_ttl=settings.open_s,
            exclude=[CarrierDeclined, CallbackRefused],
        )

    async def call(self, circuit: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt()`` through the circuit, retried while the carrier is unavailable."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=full_jitter(self.settings.backoff_base_s, self.settings.backoff_cap_s),
            retry=retry_if_exception(_retriable),
            reraise=True,
        )
        async for trial in retrying:
            with trial:
                return await self._through(circuit, attempt)
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def state(self, circuit: str) -> str:
        """``closed``, ``opened`` or ``half-opened``."""
        breaker = await self._breakers.get_breaker(circuit)
        return str(breaker.context.state)

    async def _through(self, circuit: str, attempt: Callable[[], Awaitable[T]]) -> T:
        try:
            async with await self._breakers.get_breaker(circuit):
                return await attempt()
        except OpenedState:
            raise CarrierUnavailable(
                f"the carrier account's circuit is open after {self.settings.threshold} "
                "failures in a row; calls resume after a pause",
                reason="CARRIER_CIRCUIT_OPEN",
            ) from None


def _retriable(exc: BaseException) -> bool:
    return isinstance(exc, CarrierUnavailable) and exc.reason != "CARRIER_CIRCUIT_OPEN"
