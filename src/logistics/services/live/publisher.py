"""The ingest side of live views: each rider's newest position to its coarse cell's subject."""

from __future__ import annotations

import asyncio
import logging

from logistics.domain.live import RiderUpdate
from logistics.geo.areas import coarse_cell
from logistics.services.live.ports import LiveBus, LiveSettings

logger = logging.getLogger(__name__)


class LivePublisher:
    """The ingest side: a rider's newest position goes to its coarse cell's subject (and, when
    it just crossed into another cell, to the one it left, whose viewers then drop it)."""

    def __init__(self, bus: LiveBus, settings: LiveSettings) -> None:
        self._bus = bus
        self._resolution = settings.cell_resolution
        self._delay_s = settings.publish_delay_s
        self._pending: dict[tuple[str, str], tuple[dict[str, RiderUpdate], set[str]]] = {}
        self._flushing: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()

    def cell_of(self, latitude: float, longitude: float) -> str:
        return coarse_cell(latitude, longitude, self._resolution)

    def moved(self, tenant: str, update: RiderUpdate, previous_cell: str | None) -> str:
        """Queues ``update``; returns the rider's cell now."""
        cell = self.cell_of(update.latitude, update.longitude)
        self._slot(tenant, cell)[0][update.rider_id] = update
        if previous_cell is not None and previous_cell != cell:
            self._slot(tenant, previous_cell)[0][update.rider_id] = update
        return cell

    def gone(self, tenant: str, rider_id: str, cell: str) -> None:
        updates, removals = self._slot(tenant, cell)
        updates.pop(rider_id, None)
        removals.add(rider_id)

    def _slot(self, tenant: str, cell: str) -> tuple[dict[str, RiderUpdate], set[str]]:
        slot = self._pending.get((tenant, cell))
        if slot is None:
            slot = self._pending[(tenant, cell)] = ({}, set())
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_later(self._delay_s, self._flush)
        return slot

    def _flush(self) -> None:
        self._flushing = None
        pending, self._pending = self._pending, {}
        task = asyncio.get_running_loop().create_task(self._send(pending))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _send(
        self, pending: dict[tuple[str, str], tuple[dict[str, RiderUpdate], set[str]]]
    ) -> None:
        for (tenant, cell), (updates, removals) in pending.items():
            try:
                await self._bus.publish_riders(
                    tenant, cell, list(updates.values()), sorted(removals)
                )
            except Exception as exc:  # live views miss a beat; nothing durable depends on it
                logger.warning("live fan-out to %s/%s failed: %s", tenant, cell, exc)
