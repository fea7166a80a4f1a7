"""Presence: a rider with no ping for ``offline_after`` becomes offline, and
``logistics.rider.offline`` is emitted once per transition, by whichever replica notices first
(the live index's sweep is atomic). ``rider.online`` is emitted by the ingest path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from logistics.domain.clock import Clock
from logistics.domain.errors import Unavailable
from logistics.domain.events import RiderOffline
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)


class PresenceIndex(Protocol):
    """The live index as the sweep uses it (``geo.live_index.LiveIndex``); a Redis failure is
    ``Unavailable``."""

    async def tenants(self) -> list[str]: ...

    async def sweep_offline(
        self, tenant: str, cutoff: datetime, limit: int = ...
    ) -> list[tuple[str, datetime | None]]: ...


class PresenceMonitor:
    def __init__(
        self,
        index: PresenceIndex,
        store: Store,
        clock: Clock,
        *,
        offline_after: timedelta,
        interval_s: float = 5.0,
        on_offline: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self._index = index
        self._store = store
        self._clock = clock
        self._offline_after = offline_after
        self._interval_s = interval_s
        self._on_offline = on_offline

    async def sweep(self) -> int:
        """Turns stale riders offline; returns how many this call turned."""
        turned = 0
        cutoff = self._clock.now() - self._offline_after
        for tenant in await self._index.tenants():
            gone = await self._index.sweep_offline(tenant, cutoff)
            if not gone:
                continue
            slug = TenantSlug(tenant)
            async with self._store.write(slug) as uow:
                for rider_id, last_seen in gone:
                    await uow.emit(RiderOffline(RIDERS.name(slug, rider_id), last_seen))
            turned += len(gone)
            if self._on_offline is not None:
                for rider_id, _ in gone:
                    try:
                        await self._on_offline(tenant, rider_id)
                    except Exception:
                        logger.warning("cannot tell live views a rider went offline", exc_info=True)
        return turned

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep()
            except Unavailable as exc:
                logger.warning("presence sweep skipped: %s (%s)", exc, exc.__cause__)
            except Exception:
                logger.exception("presence sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval_s)
