"""Readiness: can this replica serve? PostgreSQL gates it; Redis and NATS only degrade it.

An accepted write needs PostgreSQL and nothing else: its events wait in the outbox while NATS
is away, and Redis holds only what the next pings rebuild. Failing the probe on Redis or NATS
would take every replica out at once for an outage no replica can fix, so their loss is
reported (``degraded`` in the body, ``logistics_dependency_up`` 0) and the probe still passes.
A draining process is not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Gauge

__all__ = ["CHECK_TIMEOUT_S", "Readiness", "ReadinessReport"]

CHECK_TIMEOUT_S = 2.0

Check = Callable[[], Awaitable[object]]
Status = Literal["ok", "degraded", "unavailable"]


@dataclass(frozen=True)
class ReadinessReport:
    """What ``/readyz`` says: an overall status and one line per dependency."""

    status: Status
    checks: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return self.status != "unavailable"

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "checks": dict(self.checks)}


def summarise(checks: Mapping[str, str], required: Collection[str], draining: bool) -> Status:
    """``unavailable`` if draining or a required dependency failed, else ``degraded`` if any
    other one failed, else ``ok``."""
    if draining or any(checks.get(name) != "ok" for name in required):
        return "unavailable"
    if any(result != "ok" for result in checks.values()):
        return "degraded"
    return "ok"


class Readiness:
    def __init__(
        self,
        checks: Mapping[str, Check],
        *,
        required: Collection[str],
        registry: CollectorRegistry | None = None,
    ) -> None:
        unknown = set(required) - set(checks)
        if unknown:
            raise ValueError(f"required checks not defined: {sorted(unknown)}")
        self._checks = dict(checks)
        self._required = frozenset(required)
        self.draining = False
        self._watchers: list[Callable[[bool], Awaitable[None]]] = []
        self._ready: bool | None = None
        self._up = Gauge(
            "logistics_dependency_up",
            "1 if the dependency answered its last readiness check, else 0",
            ["dependency"],
            registry=registry,
        )

    async def __call__(self) -> ReadinessReport:
        """Runs every check at once (each within ``CHECK_TIMEOUT_S``) and updates the gauge."""
        results = await asyncio.gather(*(self._run(c) for c in self._checks.values()))
        checks = dict(zip(self._checks, results, strict=True))
        for name, result in checks.items():
            self._up.labels(dependency=name).set(1 if result == "ok" else 0)
        status = summarise(checks, self._required, self.draining)
        if self.draining:
            checks["server"] = "draining"
        report = ReadinessReport(status, checks)
        if report.ready != self._ready:
            self._ready = report.ready
            for watcher in self._watchers:
                await watcher(report.ready)
        return report

    def watch(self, watcher: Callable[[bool], Awaitable[None]]) -> None:
        """Calls ``watcher`` with the new answer whenever a check finds readiness changed (the
        gRPC health service follows ``/readyz`` this way)."""
        self._watchers.append(watcher)

    async def run(self, stop: asyncio.Event, interval_s: float = 15.0) -> None:
        """Checks every ``interval_s`` until ``stop``, so ``/metrics`` alone shows an outage."""
        while not stop.is_set():
            await self()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    @staticmethod
    async def _run(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
        except Exception as exc:  # a readiness probe reports, it never raises
            return f"error: {type(exc).__name__}: {exc}"[:200]
        return "ok"
