"""Order readiness: how long a rider waited at a pickup, and which riders to offer a task
whose order is not ready yet (the rider best timed to arrive as it becomes ready). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

# Riders whose arrival differs from readiness by less than this are equally well timed; the
# dispatch score decides between them.
TIMING_BUCKET_S = 60.0


def pickup_wait_seconds(arrived: datetime, ready: datetime | None, completed: datetime) -> int:
    """The rider's wait at a pickup: from arrival until the later of arrival and readiness,
    never past completion. Readiness unknown: the whole stay until completion counts."""
    until = completed if ready is None else min(max(ready, arrived), completed)
    return max(0, round((until - arrived).total_seconds()))


class Timed(Protocol):
    @property
    def eta_s(self) -> float: ...


T = TypeVar("T", bound=Timed)


def by_readiness(matches: Sequence[T], ready_in_s: float) -> list[T]:
    """``matches`` (best score first) reordered for an order ready in ``ready_in_s`` seconds:
    the rider whose arrival is closest to readiness first (an early rider waits at the counter,
    a late one lets the order go cold), in one-minute buckets, ties kept in score order. An
    order ready now (``ready_in_s <= 0``) keeps the score order."""
    if ready_in_s <= 0:
        return list(matches)
    return sorted(matches, key=lambda m: int(abs(m.eta_s - ready_in_s) // TIMING_BUCKET_S))
