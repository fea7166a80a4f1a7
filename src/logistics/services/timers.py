"""Fires due timers (document expiry, task SLA deadlines and predicted-arrival checks,
geocoding, route templates, flows, the proof retention sweep) from a background loop.

Runs in ``logistics worker`` and, under ``logistics dev``, inside the server process. Any
number of runners may run: each timer fires once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from logistics.domain.addresses import GEOCODE_TIMER
from logistics.domain.clock import Clock
from logistics.domain.names import DOCUMENTS
from logistics.domain.timers import DueTimer
from logistics.outages import OutageLog
from logistics.services.compliance import DOCUMENT_EXPIRY, emit_compliance_changed
from logistics.services.tasks.sla import DELAY_CHECK
from logistics.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

# Runs in the timer's tenant's transaction, which marks the timer fired when it commits.
TimerHandler = Callable[[UnitOfWork, DueTimer], Awaitable[None]]


class DueTimers(Protocol):
    """The timer queue (``store.timers.TimerQueue``)."""

    async def fire_one(self, now: datetime, handler: TimerHandler) -> bool:
        """Fires the earliest due timer through ``handler``; False when none is due."""
        ...


class TimerRunner:
    def __init__(
        self,
        queue: DueTimers,
        clock: Clock,
        *,
        task_timers: TimerHandler | None = None,
        delay_timers: TimerHandler | None = None,
        route_timers: TimerHandler | None = None,
        address_timers: TimerHandler | None = None,
        flow_timers: TimerHandler | None = None,
        proof_timers: TimerHandler | None = None,
        interval_s: float = 1.0,
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._task_timers = task_timers
        self._delay_timers = delay_timers
        self._route_timers = route_timers
        self._address_timers = address_timers
        self._flow_timers = flow_timers
        self._proof_timers = proof_timers
        self._interval_s = interval_s
        self._outages = OutageLog()

    async def fire_due(self, limit: int = 500) -> int:
        """Fires up to ``limit`` due timers; returns how many fired."""
        fired = 0
        while fired < limit and await self._queue.fire_one(self._clock.now(), self._handle):
            fired += 1
        return fired

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.fire_due()
            except Exception as exc:
                self._outages.failed(logger, "due timers wait and retry", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval_s)

    async def _handle(self, uow: UnitOfWork, timer: DueTimer) -> None:
        if timer.kind == DOCUMENT_EXPIRY:
            await self._document_expired(uow, timer)
        elif timer.kind == GEOCODE_TIMER and self._address_timers is not None:
            await self._address_timers(uow, timer)
        elif timer.kind == DELAY_CHECK:
            if self._delay_timers is not None:
                await self._delay_timers(uow, timer)
        elif timer.kind.startswith("task.") and self._task_timers is not None:
            await self._task_timers(uow, timer)
        elif timer.kind.startswith("route_template.") and self._route_timers is not None:
            await self._route_timers(uow, timer)
        elif timer.kind.startswith("flow.") and self._flow_timers is not None:
            await self._flow_timers(uow, timer)
        elif timer.kind.startswith("proof.") and self._proof_timers is not None:
            await self._proof_timers(uow, timer)
        else:
            logger.error("unknown timer kind %r; dropping it", timer.kind)

    async def _document_expired(self, uow: UnitOfWork, timer: DueTimer) -> None:
        document = await uow.documents.get_any_rider(timer.subject_id)
        if (
            document is None
            or document.expire_time is None
            or document.expire_time > timer.due_time
        ):
            return  # deleted, or its expiry moved (a newer timer covers it)
        if await uow.riders.get(document.rider_id) is None:
            return  # the rider is gone: nobody's eligibility changes
        name = DOCUMENTS.of(document.rider_id).name(uow.tenant, document.id)
        await uow.audit("system", "document.expired", name, after=document)
        await emit_compliance_changed(
            uow, document.rider_id, self._clock.now(), "document expired", document
        )
