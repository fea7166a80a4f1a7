"""Geocoding a task's address-only steps in the worker, off the request path: fired by the
``task.geocode`` timer set when such a task is created or its address edited, so the work
survives restarts. An outage leaves the step PENDING (the task ``needs_address``) and sets the
timer again, backing off.

The geocoder is asked with no transaction open: the timer's transaction only moves the timer a
lease ahead (a worker that dies while asking leaves it to fire again), and the answers are
applied in a transaction of their own."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from logistics.domain import addresses
from logistics.domain.addresses import Candidate, GeocodeQuery, GeocoderUnavailable
from logistics.domain.clock import Clock
from logistics.domain.events import TaskUpdated
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.tasks import TERMINAL, Task
from logistics.domain.timers import DueTimer
from logistics.services.tasks.trail import public
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

# Longer than a geocoder's answer can take (its timeout times its attempts): until then no
# other worker asks again for the same task.
LEASE = timedelta(minutes=2)

Question = tuple[str, str]  # a step's id and the address asked
Answers = Mapping[str, tuple[str, list[Candidate] | None]]  # by step id: address, answer


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
        store: Store,
        geocoder: Geocoder,
        clock: Clock,
        *,
        min_confidence: float,
        countries: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``countries``: per tenant slug (``*`` for any other tenant), where addresses are."""
        self._store = store
        self._geocoder = geocoder
        self._clock = clock
        self._min_confidence = min_confidence
        self._countries = dict(countries or {})

    def countries_of(self, tenant: TenantSlug) -> tuple[str, ...]:
        return self._countries.get(str(tenant), self._countries.get("*", ()))

    async def handle_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Claims the task's geocoding in the timer's transaction (the timer moves a lease
        ahead); once that commits, the geocoder is asked and the answers applied."""
        task = await uow.tasks.get(timer.subject_id)
        if task is None or task.state in TERMINAL:
            return
        questions = [
            (step.id, step.address)
            for step in task.steps
            if addresses.to_geocode(step) and step.address is not None
        ]
        if not questions:
            return
        await uow.timers.set(addresses.GEOCODE_TIMER, task.id, self._clock.now() + LEASE)
        query = _Query(uow.tenant, task.id, questions, addresses.bias_point(task))
        uow.after_commit(lambda: self._geocode(query))

    async def _geocode(self, query: _Query) -> None:
        countries = self.countries_of(query.tenant)
        answers: dict[str, tuple[str, list[Candidate] | None]] = {}
        for step_id, address in query.questions:
            try:
                found = await self._geocoder.search(GeocodeQuery(address, countries, query.near))
            except GeocoderUnavailable as exc:
                logger.warning("geocoder unavailable for task %s: %s", query.task_id, exc)
                answers[step_id] = (address, None)
            else:
                answers[step_id] = (address, found)
        async with self._store.write(query.tenant) as uow:
            await self._apply(uow, query.task_id, answers)

    async def _apply(self, uow: UnitOfWork, task_id: uuid.UUID, answers: Answers) -> None:
        """Applies the answers to the steps whose address is still the one asked (an edit in
        between wins), then sets the timer for what is left: a retry after an outage, at once
        for an address edited meanwhile, none when every step is answered."""
        current = await uow.tasks.get(task_id, for_update=True)
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
        if after != current:
            after = await uow.tasks.save(after)
            await _record(uow, current, after)
        await uow.timers.set(addresses.GEOCODE_TIMER, after.id, self._next_try(after))

    def _next_try(self, task: Task) -> datetime | None:
        now = self._clock.now()
        waiting = [s for s in task.steps if addresses.to_geocode(s)]
        if any(s.geocode_attempts == 0 for s in waiting):
            return now
        if waiting:
            return now + addresses.retry_after(max(s.geocode_attempts for s in waiting))
        return None


@dataclasses.dataclass(frozen=True)
class _Query:
    """What one round asks the geocoder, taken from the task as the timer found it."""

    tenant: TenantSlug
    task_id: uuid.UUID
    questions: list[Question]
    near: tuple[float, float] | None


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
