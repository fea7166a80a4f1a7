"""Geocoding a task's address-only steps in the worker, off the request path: fired by the
``task.geocode`` timer set when such a task is created or its address edited, so the work
survives restarts. An outage leaves the step PENDING (the task ``needs_address``) and sets the
timer again, backing off."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from logistics.domain import addresses
from logistics.domain.addresses import Candidate, GeocodeQuery, GeocoderUnavailable
from logistics.domain.clock import Clock
from logistics.domain.events import TaskUpdated
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.tasks import TERMINAL, Step, Task
from logistics.domain.timers import DueTimer
from logistics.services.tasks.trail import public
from logistics.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


class Geocoder(Protocol):
    """An address search (``geo.geocoders``: Nominatim, Pelias)."""

    async def search(self, query: GeocodeQuery) -> list[Candidate]:
        """Candidates for the address, any order; [] when nothing matches. Raises
        ``GeocoderUnavailable`` when the provider cannot answer."""
        ...


async def ask_geocoding(uow: UnitOfWork, task: Task, now: datetime) -> None:
    """In a create's or an edit's transaction: a step waits for the geocoder, so the worker
    is told (the timer is the durable request)."""
    if addresses.pending(task):
        await uow.timers.set(addresses.GEOCODE_TIMER, task.id, now)


class NoGeocoder:
    """No provider configured: every address waits for a dispatcher (NEEDS_ADDRESS)."""

    async def search(self, query: GeocodeQuery) -> list[Candidate]:
        return []


class AddressResolver:
    def __init__(
        self,
        geocoder: Geocoder,
        clock: Clock,
        *,
        min_confidence: float,
        countries: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``countries``: per tenant slug (``*`` for any other tenant), where addresses are."""
        self._geocoder = geocoder
        self._clock = clock
        self._min_confidence = min_confidence
        self._countries = dict(countries or {})

    def countries_of(self, tenant: TenantSlug) -> tuple[str, ...]:
        return self._countries.get(str(tenant), self._countries.get("*", ()))

    async def handle_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Geocodes the task's waiting steps. The task row is read, then the geocoder asked
        without holding its lock, then the answers applied to the steps whose address is
        still the one asked (an edit in between wins)."""
        task = await uow.tasks.get(timer.subject_id)
        if task is None or task.state in TERMINAL:
            return
        countries = self.countries_of(uow.tenant)
        near = addresses.bias_point(task)
        answers: dict[str, tuple[str, list[Candidate] | None]] = {}
        for step in task.steps:
            if not addresses.to_geocode(step) or step.address is None:
                continue
            try:
                found = await self._geocoder.search(GeocodeQuery(step.address, countries, near))
            except GeocoderUnavailable as exc:
                logger.warning("geocoder unavailable for task %s: %s", task.id, exc)
                answers[step.id] = (step.address, None)
            else:
                answers[step.id] = (step.address, found)
        if answers:
            await self._apply(uow, timer, answers)

    async def _apply(
        self,
        uow: UnitOfWork,
        timer: DueTimer,
        answers: Mapping[str, tuple[str, list[Candidate] | None]],
    ) -> None:
        current = await uow.tasks.get(timer.subject_id, for_update=True)
        if current is None or current.state in TERMINAL:
            return
        steps = list(current.steps)
        for i, step in enumerate(steps):
            asked = answers.get(step.id)
            if asked is None or asked[0] != step.address or not addresses.to_geocode(step):
                continue
            found = asked[1]
            steps[i] = (
                addresses.unreachable(step)
                if found is None
                else addresses.resolved(step, found, self._min_confidence)
            )
        after = dataclasses.replace(current, steps=tuple(steps))
        if after == current:
            return
        saved = await uow.tasks.save(after)
        await _record(uow, current, saved)
        retry = [s.geocode_attempts for s in saved.steps if _outage(s)]
        if retry:
            due = self._clock.now() + addresses.retry_after(max(retry))
            await uow.timers.set(addresses.GEOCODE_TIMER, saved.id, due)


def _outage(step: Step) -> bool:
    """Still waiting for an answer after being asked: the geocoder was down."""
    return addresses.to_geocode(step) and step.geocode_attempts > 0


async def _record(uow: UnitOfWork, before: Task, after: Task) -> None:
    """``task.updated`` with the steps whose place changed, by ``system``."""
    changed = tuple(
        f"steps[{i}].{field}"
        for i, (old, new) in enumerate(zip(before.steps, after.steps, strict=True))
        for field, differs in (
            ("location", (old.latitude, old.longitude) != (new.latitude, new.longitude)),
            ("address_state", old.address_state is not new.address_state),
        )
        if differs
    )
    name = TASKS.name(uow.tenant, after.id)
    waiting = addresses.needs_address(after)
    reason = ("needs address: " if waiting else "address resolved: ") + ", ".join(changed)
    await uow.tasks.add_event(
        after.id,
        TaskUpdated.kind(),
        "system",
        from_state=before.state,
        to_state=after.state,
        reason=reason,
    )
    await uow.record(
        "system",
        "task.updated",
        name,
        before=public(before),
        after=public(after),
        event=TaskUpdated(
            name=name,
            task=after,
            from_state=before.state,
            rider=RIDERS.name(uow.tenant, after.rider_id) if after.rider_id else None,
            changed=changed,
        ),
    )
