"""Live views' ETAs: a task change is shown at once; when a view shows its rider, the ETA at
the task's next step is estimated (``services.etas``: asynchronous, bounded, labelled with its
source) once for all views, and the change is offered again carrying it, unless a newer change
of the same task overtook it meanwhile (frames keep the latest change per task, so the ETA'd
one replaces the bare one, usually within the same frame)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from collections.abc import Callable, Collection

from logistics.domain.ids import TenantSlug
from logistics.domain.live import TaskChange
from logistics.services.etas import Estimator
from logistics.services.live.view import View

logger = logging.getLogger(__name__)

_ENDED = frozenset({"completed", "failed", "cancelled"})


class TaskEtas:
    def __init__(self, etas: Estimator) -> None:
        self._etas = etas
        self._latest: dict[str, TaskChange] = {}  # task -> newest change, while one is estimated
        self._running: set[asyncio.Task[None]] = set()

    def offer(
        self,
        tenant: str,
        change: TaskChange,
        views: Collection[View],
        deliver: Callable[[TaskChange], None],
    ) -> None:
        """Offers ``change`` to ``views`` now and, once its ETA (with ``tenant``'s calibrated
        spread) is known, ``deliver``s the change with it (to the views of that moment)."""
        for view in views:
            view.offer_task(change)
        where = _points(change, views)
        if where is None:
            self._latest.pop(change.task, None)  # overtakes any change being estimated
            return
        self._latest[change.task] = change
        job = asyncio.get_running_loop().create_task(
            self._estimate(TenantSlug(tenant), change, *where, deliver)
        )
        self._running.add(job)
        job.add_done_callback(self._running.discard)

    async def _estimate(
        self,
        tenant: TenantSlug,
        change: TaskChange,
        at: tuple[float, float],
        step: tuple[float, float],
        deliver: Callable[[TaskChange], None],
    ) -> None:
        try:
            eta = await self._etas.eta(at, step, tenant=tenant)
        except Exception:
            logger.exception("live views: no ETA for %s", change.task)
            eta = None
        latest = self._latest.get(change.task)
        if latest is change:
            del self._latest[change.task]
        if latest is change and eta is not None:
            deliver(dataclasses.replace(change, eta=eta))

    def cancel(self) -> None:
        for job in list(self._running):
            job.cancel()


def _points(
    change: TaskChange, views: Collection[View]
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where the change's rider is shown and where its next step is, when both are known and
    the task has not ended."""
    lat, lng = change.latitude, change.longitude
    if change.rider is None or change.state in _ENDED or lat is None or lng is None:
        return None
    if math.isnan(lat) or math.isnan(lng):
        return None
    rider_id = change.rider.rsplit("/", 1)[-1]
    at = next((p for v in views if (p := v.position_of(rider_id)) is not None), None)
    return None if at is None else (at, (lat, lng))
