"""What the notification adapter needs from outside: riders' live positions, an ETA to a step,
the customer's tracking link, and its queue across tenants."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from logistics.domain.notifications import DueRequest, OutboxEvent, Watch
from logistics.geo.distance import DistanceProvider, Point
from logistics.geo.live_values import LivePosition
from logistics.store.unit_of_work import UnitOfWork

__all__ = ["DistanceEtas", "Etas", "Queue", "RiderPositions", "TrackingLinks"]


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
    """Seconds from each origin to ``destination``: the seam where the calibrated, road-aware
    ETA of the tracking work replaces ``DistanceEtas``."""

    async def seconds(self, origins: Sequence[Point], destination: Point) -> list[float]: ...


class DistanceEtas:
    """ETAs from the distance provider (OSRM when configured, else the straight line)."""

    def __init__(self, distances: DistanceProvider) -> None:
        self._distances = distances

    async def seconds(self, origins: Sequence[Point], destination: Point) -> list[float]:
        found = await self._distances.travel_to(origins, destination, [None] * len(origins))
        return [s for _, s in found]


class TrackingLinks(Protocol):
    """The customer's tracking page for a task; empty when the service cannot mint one."""

    def link(self, tenant: str, task_id: uuid.UUID) -> str: ...
