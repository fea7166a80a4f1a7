"""The notification adapter: turns task events and riders' approach into ``notification.requested``
events (through the outbox, so onto the bus and to webhooks) by the tenant's rules, each at most
once per task, trigger, recipient and channel, held back by quiet hours and limited per
recipient.

Three jobs, each safe to run in any number of workers: task events read on the adapter's own
outbox cursor (the requests commit with the cursor's move); deferred requests released when
their quiet hours end (each claimed by one worker); and the started tasks of tenants with ETA
or arrival rules, checked every ``watch_interval_s`` against their riders' live positions. The
last costs one position read per watched task per interval, whatever the ping rate, and an
ETA only for a rider that could be within the threshold at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from logistics.domain.clock import Clock
from logistics.domain.events import NotificationRequested
from logistics.domain.ids import TenantSlug
from logistics.domain.names import NOTIFICATION_RULES, NOTIFICATIONS, RIDERS, TASKS
from logistics.domain.notifications import (
    POSITION_TRIGGERS,
    DueRequest,
    NotificationRule,
    OutboxEvent,
    QuietMode,
    RequestRecord,
    Trigger,
    Watch,
    quiet_until,
    reached,
    recipient_of,
    target_of,
    triggers_of,
    watched_view,
)
from logistics.domain.telemetry import haversine_m
from logistics.outages import OutageLog
from logistics.services.notifications.ports import Etas, Queue, RiderPositions, TrackingLinks
from logistics.store.snapshot import event_data
from logistics.store.unit_of_work import Store, UnitOfWork

__all__ = ["NotificationAdapter", "NotificationLimits"]

logger = logging.getLogger(__name__)

_ENDED = frozenset({"completed", "failed", "cancelled"})
# No road vehicle covers more than this on average: a rider farther than threshold * this
# from the step cannot be within the ETA threshold, so no ETA is asked for.
_FASTEST_MPS = 25.0


@dataclass(frozen=True)
class NotificationLimits:
    """At most ``rate_limit`` requests per recipient within ``rate_window``; rounds of
    ``batch`` events; watched tasks checked every ``watch_interval_s`` (``watch_limit`` at a
    time); idle rounds ``interval_s`` apart."""

    rate_limit: int = 5
    rate_window: timedelta = timedelta(minutes=10)
    batch: int = 500
    interval_s: float = 1.0
    watch_interval_s: float = 2.0
    watch_limit: int = 5000


@dataclass(frozen=True)
class _Approach:
    """Where a watched task's rider is relative to a rule's step."""

    distance_m: float
    eta_s: float | None


class NotificationAdapter:
    def __init__(
        self,
        store: Store,
        queue: Queue,
        positions: RiderPositions,
        etas: Etas,
        links: TrackingLinks,
        clock: Clock,
        limits: NotificationLimits = NotificationLimits(),
    ) -> None:
        self._store = store
        self._queue = queue
        self._positions = positions
        self._etas = etas
        self._links = links
        self._clock = clock
        self._limits = limits
        self._outages = OutageLog()
        # (task, rule) -> loop time before which its ETA need not be asked again. Only saves
        # requests: lost on a restart, the next round asks once more.
        self._eta_after: dict[tuple[uuid.UUID, uuid.UUID], float] = {}

    # -- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        watched_at = 0.0
        while not stop.is_set():
            busy = False
            try:
                busy = await self.handle_events()
                await self.release_due()
                if loop.time() - watched_at >= self._limits.watch_interval_s:
                    watched_at = loop.time()
                    await self.check_watches()
            except Exception as exc:
                self._outages.failed(logger, "notifications wait and retry", exc)
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._limits.interval_s)

    async def handle_events(self) -> bool:
        """One round of task events; True when more are waiting."""
        done = await self._queue.consume(self._limits.batch, "task.", self._on_events)
        return done.more

    async def release_due(self) -> int:
        """Requests the deferred notifications whose quiet hours have ended."""
        return await self._queue.release_due(self._clock.now(), self._limits.batch, self._release)

    # -- task events ----------------------------------------------------------------------

    async def _on_events(self, uow: UnitOfWork, events: list[OutboxEvent]) -> int:
        rules = await uow.notification_rules.live()
        if not rules:
            return 0
        watching = any(r.trigger in POSITION_TRIGGERS for r in rules)
        made = 0
        for event in events:
            task = event.data.get("task")
            if not isinstance(task, Mapping) or "id" not in task:
                continue
            task_id = uuid.UUID(str(task["id"]))
            if task.get("state") in _ENDED:
                await uow.notifications.unwatch(task_id)
            elif watching and event.event_type == "task.en_route":
                await uow.notifications.watch(task_id, watched_view(task))
            elif watching:
                await uow.notifications.refresh_watch(task_id, watched_view(task))
            triggers = triggers_of(event.event_type, event.data)
            for rule in rules:
                if rule.trigger in triggers:
                    made += await self._request(uow, rule, task)
        return made

    # -- one request ----------------------------------------------------------------------

    async def _request(
        self,
        uow: UnitOfWork,
        rule: NotificationRule,
        task: Mapping[str, Any],
        approach: _Approach | None = None,
    ) -> int:
        """Records the rule's request for the task, unless it has one: requested now, held
        back by quiet hours (deferred or suppressed) or over the recipient's limit."""
        task_id = uuid.UUID(str(task["id"]))
        log = uow.notifications
        if not await log.claim(task_id, rule.trigger, rule.recipient, rule.channel):
            return 0
        now = self._clock.now()
        who = recipient_of(uow.tenant, task, rule.recipient)
        zone = await self._zone(uow, task, rule)
        request_id = uuid.uuid4()
        rider = task.get("rider_id")
        event = NotificationRequested(
            id=request_id,
            name=NOTIFICATIONS.name(uow.tenant, request_id),
            task=TASKS.name(uow.tenant, task_id),
            rule=NOTIFICATION_RULES.name(uow.tenant, rule.id),
            trigger=rule.trigger.value,
            recipient=rule.recipient.value,
            to=who.to,
            recipient_name=who.display_name,
            channel=rule.channel.value,
            template_id=rule.template_id,
            tracking_link=self._links.link(uow.tenant, task_id),
            task_state=str(task.get("state", "")),
            rider=RIDERS.name(uow.tenant, uuid.UUID(str(rider))) if rider else None,
            eta_seconds=round(approach.eta_s) if approach and approach.eta_s is not None else None,
            distance_m=round(approach.distance_m) if approach else None,
        )
        until = quiet_until(rule.quiet_hours, zone, now)
        if until is not None and rule.quiet_hours is not None:
            state = "deferred" if rule.quiet_hours.mode == QuietMode.DEFER else "suppressed"
        else:
            state = await self._within_limit(uow, who.key, now)
        await log.add(
            RequestRecord(
                request_id,
                task_id,
                rule.id,
                rule.trigger.value,
                rule.recipient.value,
                rule.channel.value,
                who.key,
                state,
                until if state == "deferred" else None,
                event_data(event, tenant=uow.tenant),
            ),
            now,
        )
        if state == "requested":
            await uow.emit(event)
            return 1
        return 0

    async def _within_limit(self, uow: UnitOfWork, key: str, now: datetime) -> str:
        sent = await uow.notifications.requested_since(key, now - self._limits.rate_window)
        return "requested" if sent < self._limits.rate_limit else "rate_limited"

    async def _zone(self, uow: UnitOfWork, task: Mapping[str, Any], rule: NotificationRule) -> str:
        """The outlet's zone when the task has an outlet with one, else the rule's."""
        outlet = task.get("outlet_id")
        if rule.quiet_hours is None or not outlet:
            return rule.time_zone
        zones = await uow.notifications.outlet_zones([str(outlet)])
        return zones.get(str(outlet), rule.time_zone)

    async def _release(self, uow: UnitOfWork, due: list[DueRequest]) -> int:
        now = self._clock.now()
        made = 0
        for request in due:
            state = await self._within_limit(uow, request.recipient_key, now)
            await uow.notifications.settle(request.id, state, now)
            if state != "requested":
                continue
            data = {k: v for k, v in request.event.items() if k != "tenant"}
            data["tracking_link"] = self._links.link(uow.tenant, request.task_id)
            data["deferred_until"] = now.isoformat()
            await uow.emit(NotificationRequested(id=request.id, **data))
            made += 1
        return made

    # -- position triggers ----------------------------------------------------------------

    async def check_watches(self) -> int:
        """Checks every watched task against its rider's live position; requests the ETA and
        arrival notifications that are due, and stops watching tasks with nothing left."""
        watches = await self._queue.watches(self._limits.watch_limit)
        watched = {w.task_id for w in watches}
        self._eta_after = {k: t for k, t in self._eta_after.items() if k[0] in watched}
        by_tenant: dict[TenantSlug, list[Watch]] = {}
        for watch in watches:
            by_tenant.setdefault(watch.tenant, []).append(watch)
        made = 0
        for tenant, group in by_tenant.items():
            made += await self._check_tenant(tenant, group)
        return made

    async def _check_tenant(self, tenant: TenantSlug, watches: list[Watch]) -> int:
        async with self._store.read(tenant) as uow:
            rules = [
                r for r in await uow.notification_rules.live() if r.trigger in POSITION_TRIGGERS
            ]
            fired = await uow.notifications.fired([w.task_id for w in watches]) if rules else set()
        pending: list[tuple[Watch, NotificationRule]] = []
        finished: list[Watch] = []
        for watch in watches:
            left = [
                r
                for r in rules
                if (watch.task_id, r.trigger.value, r.recipient.value, r.channel.value) not in fired
                and not reached(watch.task, r.recipient)
            ]
            if not left:
                finished.append(watch)
            pending.extend((watch, r) for r in left if target_of(watch.task, r.recipient))
        due = await self._due(tenant, pending)
        made = 0
        if due or finished:
            async with self._store.write(tenant) as uow:
                for watch in finished:
                    await uow.notifications.unwatch(watch.task_id)
                for watch, rule, approach in due:
                    made += await self._request(uow, rule, watch.task, approach)
        return made

    async def _due(
        self, tenant: str, pending: Sequence[tuple[Watch, NotificationRule]]
    ) -> list[tuple[Watch, NotificationRule, _Approach]]:
        now = asyncio.get_running_loop().time()
        riders = sorted({str(w.task["rider_id"]) for w, _ in pending if w.task.get("rider_id")})
        found = await self._positions.riders(tenant, riders)
        live = {r: p for r, p in found.items() if p.online}
        due = []
        for watch, rule in pending:
            position = live.get(str(watch.task.get("rider_id")))
            target = target_of(watch.task, rule.recipient)
            if position is None or target is None:
                continue
            metres = haversine_m(
                position.latitude, position.longitude, target.latitude, target.longitude
            )
            if rule.trigger == Trigger.ARRIVING:
                if rule.within_m is not None and metres <= rule.within_m:
                    due.append((watch, rule, _Approach(metres, None)))
                continue
            threshold = rule.eta_threshold.total_seconds() if rule.eta_threshold else 0.0
            key = (watch.task_id, rule.id)
            if metres > threshold * _FASTEST_MPS or now < self._eta_after.get(key, 0.0):
                continue
            (eta,) = await self._etas.seconds(
                tenant,
                [(position.latitude, position.longitude)],
                (target.latitude, target.longitude),
            )
            if eta <= threshold:
                due.append((watch, rule, _Approach(metres, eta)))
            else:
                # Half the slack: an ETA 20 minutes over a 10-minute threshold is asked again
                # in 5, not every round (with OSRM, each is a request).
                self._eta_after[key] = now + (eta - threshold) / 2
        return due
