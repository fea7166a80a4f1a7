"""A clock the test moves by hand, for use cases that take a ``Clock``."""

from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    """Stands still at ``now`` until the test sets or advances it."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, by: timedelta) -> None:
        self._now += by
