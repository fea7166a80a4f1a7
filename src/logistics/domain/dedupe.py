"""Recently seen event ids, so a consumer handles each event once. Pure; the caller gives the time.

Events reach the bus at least once: a relay that crashes after publishing a batch but before
marking it publishes the batch again. JetStream drops the copies by event id within its
duplicate window; plain subscribers (live views) see both, and drop the second with this.
Memory is bounded twice: an id is forgotten ``window_s`` after it was first seen, and beyond
``capacity`` ids the oldest go first (a copy arriving after that is let through again).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["DEFAULT_CAPACITY", "Deduplicator"]

DEFAULT_CAPACITY = 65_536


class Deduplicator:
    def __init__(self, window_s: float, capacity: int = DEFAULT_CAPACITY) -> None:
        if window_s <= 0 or capacity <= 0:
            raise ValueError("window_s and capacity must be positive")
        self._window_s = window_s
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()  # id -> first seen, oldest first

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, event_id: str, now: float) -> bool:
        """True the first time ``event_id`` is offered within the window, False for a copy."""
        self._forget_before(now - self._window_s)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return True

    def _forget_before(self, cutoff: float) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if seen_at > cutoff:
                return
            del self._seen[oldest]
