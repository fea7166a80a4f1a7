"""What the notification adapter needs from outside: riders' live positions, an ETA to a step,
the customer's tracking link, and its queue across tenants."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from logistics.domain.ids import TenantSlug
from logistics.domain.notifications import DueRequest, OutboxEvent, Watch
from logistics.geo.distance import Point
from logistics.geo.live_values import LivePosition
from logistics.services.etas import Estimator
from logistics.store.unit_of_work import UnitOfWork

__all__ = ["EstimatedEtas", "Etas", "Queue", "RiderPositions", "TrackingLinks"]


class Rounds(Protocol):
    """How one round over the outbox went (``store.outbox_cursor.CursorRound``)."""

    @property
    def more(self) -> bool: ...


class Queue(Protocol):
    """The adapter's work across tenants (``store.notification_queue.NotificationQueue``):
    each handler runs in the tenant's unit of work, in the transaction that moves the cursor
    or holds the claim."""

    async def consume(
        self,
        limit: int,
        prefix: str,
        handle: Callable[[UnitOfWork, list[OutboxEvent]], Awaitable[int]],
    ) -> Rounds: ...

    async def release_due(
        self,
        now: datetime,
        limit: int,
        handle: Callable[[UnitOfWork, list[DueRequest]], Awaitable[int]],
    ) -> int: ...

    async def watches(self, limit: int) -> list[Watch]: ...


class RiderPositions(Protocol):
    """Riders' live positions as the live index has them (``geo.live_index.LiveIndex``)."""

    async def riders(self, tenant: str, rider_ids: Sequence[str]) -> dict[str, LivePosition]:
        """Those of ``rider_ids`` the index knows, fresh or stale, in one round trip."""
        ...


class Etas(Protocol):
    """Seconds from each origin to ``destination`` until the tenant's expected arrival."""

    async def seconds(
        self, tenant: str, origins: Sequence[Point], destination: Point
    ) -> list[float]: ...


class EstimatedEtas:
    """ETAs from the shared ``services.etas.Estimator``, as TrackTask sees them: road-aware
    within its wait budget, and the tenant's calibrated p50 once calibration has learnt one.
    The estimator asks one origin per road question (and memoises per destination), so many
    origins are many estimates, at most ``concurrency`` at a time."""

    def __init__(self, estimator: Estimator, *, concurrency: int = 8) -> None:
        self._estimator = estimator
        self._slots = asyncio.Semaphore(concurrency)

    async def seconds(
        self, tenant: str, origins: Sequence[Point], destination: Point
    ) -> list[float]:
        return list(await asyncio.gather(*(self._one(tenant, o, destination) for o in origins)))

    async def _one(self, tenant: str, origin: Point, destination: Point) -> float:
        async with self._slots:
            eta = await self._estimator.eta(origin, destination, tenant=TenantSlug(tenant))
        return eta.remaining_s(eta.computed)


class TrackingLinks(Protocol):
    """The customer's tracking page for a task; empty when the service cannot mint one."""

    def link(self, tenant: str, task_id: uuid.UUID) -> str: ...
