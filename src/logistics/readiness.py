"""Readiness: PostgreSQL, Redis and NATS answer, and the process is not draining."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

CHECK_TIMEOUT_S = 2.0


class Readiness:
    def __init__(self, checks: dict[str, Callable[[], Awaitable[object]]]) -> None:
        self._checks = checks
        self.draining = False

    async def __call__(self) -> dict[str, str]:
        results = await asyncio.gather(*(self._run(c) for c in self._checks.values()))
        report = dict(zip(self._checks, results, strict=True))
        if self.draining:
            report["server"] = "draining"
        return report

    @staticmethod
    async def _run(check: Callable[[], Awaitable[object]]) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
        except Exception as exc:  # a readiness probe reports, it never raises
            return f"error: {type(exc).__name__}: {exc}"[:200]
        return "ok"
