"""Delay before breach: an assigned task's predicted arrival at its next step, checked against
the deadline that applies there; ``task.delayed`` when it crosses the deadline before the
deadline passes (once per crossing), and the SLA policy's ``delay_action``.

Where the prediction runs: a due timer per assigned task (``task.eta_check``), armed when a
rider gets the task and re-armed every ``interval_s`` by the worker that fires it while the task
is under way. Not on the ingest path: pings come every few seconds per rider and each check
costs a task read, a live-index read and a road question, where a deadline moves on a scale of
minutes. The timer queue spreads the checks over the workers, fires each once, and survives a
restart (the timers are rows in PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from logistics.domain import tasks as machine
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.eta import Prediction, promise_at_next_step
from logistics.domain.events import TaskDelayed
from logistics.domain.tasks import Task
from logistics.domain.timers import DueTimer
from logistics.geo.live_values import LivePosition
from logistics.services.etas import Estimator
from logistics.services.tasks.rider_news import RiderNews
from logistics.services.tasks.sla import DELAY_CHECK, unassign_for_manual_dispatch
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import UnitOfWork

__all__ = ["DELAY_CHECK", "DelayWatch", "RiderPositions", "arm_delay_check"]


class RiderPositions(Protocol):
    """A rider's live position (``geo.live_index.LiveIndex``)."""

    async def rider(self, tenant: str, rider_id: str) -> LivePosition | None: ...


async def arm_delay_check(uow: UnitOfWork, before: Task | None, after: Task, now: datetime) -> None:
    """After a change: a task that got a rider (or another one) is checked at once."""
    if after.rider_id is not None and (before is None or before.rider_id != after.rider_id):
        await uow.timers.set(DELAY_CHECK, after.id, now)


class DelayWatch:
    def __init__(
        self,
        index: RiderPositions,
        etas: Estimator,
        clock: Clock,
        *,
        interval_s: float,
        news: RiderNews | None = None,
    ) -> None:
        """``news``: tells a rider whose task the policy takes back."""
        self._news = news
        self._index = index
        self._etas = etas
        self._clock = clock
        self._interval = timedelta(seconds=interval_s)

    async def handle(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Fired by the worker in the tenant's transaction: predicts, records the prediction,
        and on a new crossing emits ``task.delayed`` (and applies the policy); re-arms itself
        while the task has a rider and has not ended."""
        task = await uow.tasks.get(timer.subject_id)
        if task is None or task.rider_id is None or task.state in machine.TERMINAL:
            return  # the next assignment arms it again
        now = self._clock.now()
        await uow.timers.set(DELAY_CHECK, task.id, now + self._interval)
        promise = promise_at_next_step(task)
        position = await self._index.rider(str(uow.tenant), str(task.rider_id))
        if promise is None or position is None or not position.online:
            return
        kind, deadline, step = promise
        # The road question is asked before the row is locked, so a slow answer never holds
        # the task's lock; the decision is made on the task as locked.
        eta = await self._etas.eta(
            (position.latitude, position.longitude),
            (step.latitude, step.longitude),
            tenant=uow.tenant,
        )
        locked = await uow.tasks.get(task.id, for_update=True)
        if locked is None or locked.version != task.version:
            return  # changed meanwhile: the next check predicts for it
        prediction = Prediction(task.id, kind, deadline, step.id, eta, eta.late_for(deadline))
        previous = await uow.predictions.get(task.id)
        await uow.predictions.put(prediction)
        now = self._clock.now()
        if not prediction.crossed_from(previous) or now >= deadline:
            return  # not a new crossing, or the breach itself is the SLA timer's to report
        if locked.sla_state is machine.SlaState.BREACHED:
            return
        late_s = (eta.expected - deadline).total_seconds()
        reason = f"{kind} predicted {late_s / 60:.0f} min late ({eta.source.value})"
        system = Caller(uow.tenant, "system", frozenset({Scope.ADMIN}))
        extra = {"arrival": eta, "deadline": deadline}
        await record(system, uow, locked, locked, TaskDelayed, reason=reason, extra=extra)
        if (await uow.sla_policy.get()).delay_action == "manual_dispatch":
            await unassign_for_manual_dispatch(uow, locked, f"{kind} predicted late", self._news)
