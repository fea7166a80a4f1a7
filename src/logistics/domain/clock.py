"""Time as a dependency, so rules that depend on "now" can be tested at any time. Here in the
domain (a Protocol and a class that reads the system clock, no other I/O) so that every layer,
adapters included, can take a clock without importing the use cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
