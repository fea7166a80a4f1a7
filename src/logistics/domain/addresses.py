"""Addresses that wait for coordinates: a step given an address and no location is geocoded off
the request path; until one answer is confident enough the task is ``needs_address`` and is
never dispatched to a guess."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from logistics.domain.errors import FailedPrecondition

if TYPE_CHECKING:
    from logistics.domain.tasks import Step, Task

# The timer (``timers`` table) that asks the worker to geocode a task's waiting steps.
GEOCODE_TIMER = "task.geocode"
MAX_CANDIDATES = 5
MAX_ADDRESS_CHARS = 500
_FIRST_RETRY = timedelta(seconds=30)
_LAST_RETRY = timedelta(hours=1)


class AddressState(enum.StrEnum):
    """Where a step's coordinates come from."""

    GIVEN = "given"  # the caller gave a location (or a dispatcher picked one)
    PENDING = "pending"  # not geocoded yet (or the geocoder was down): the worker will try
    RESOLVED = "resolved"  # geocoded with enough confidence
    NEEDS_ADDRESS = "needs_address"  # no confident answer: a dispatcher sets the location


WAITING = frozenset({AddressState.PENDING, AddressState.NEEDS_ADDRESS})


@dataclass(frozen=True)
class Candidate:
    """One place a geocoder offered for an address; ``confidence`` from 0 to 1."""

    label: str
    latitude: float
    longitude: float
    confidence: float


@dataclass(frozen=True)
class GeocodeQuery:
    """What a geocoder is asked: the address, the countries it must be in (ISO 3166-1 alpha-2,
    lower case; empty: anywhere) and a point to prefer answers near (the task's pickup)."""

    address: str
    countries: tuple[str, ...] = ()
    near: tuple[float, float] | None = None


class GeocoderUnavailable(Exception):
    """The geocoder could not answer (down, slow, or an answer that is not its format)."""


def needs_address(task: Task) -> bool:
    return any(s.address_state in WAITING for s in task.steps)


def require_located(task: Task) -> None:
    """Dispatch and assignment refuse a task whose place is a guess."""
    waiting = [s.id for s in task.steps if s.address_state in WAITING]
    if waiting:
        raise FailedPrecondition(
            f"step {', '.join(waiting)} has an address that is not resolved to a location; "
            "set the step's location (or pick one of its candidates) with UpdateTask",
            reason="NEEDS_ADDRESS",
        )


def best(candidates: Sequence[Candidate], min_confidence: float) -> Candidate | None:
    """The one answer to trust: the most confident, if confident enough; else None."""
    top = max(candidates, key=lambda c: c.confidence, default=None)
    return top if top is not None and top.confidence >= min_confidence else None


def resolved(step: Step, candidates: Sequence[Candidate], min_confidence: float) -> Step:
    """The step after a geocoder's answer: located, or waiting for a dispatcher with the
    candidates (most confident first)."""
    ranked = tuple(sorted(candidates, key=lambda c: -c.confidence)[:MAX_CANDIDATES])
    chosen = best(ranked, min_confidence)
    if chosen is None:
        return dataclasses.replace(
            step,
            address_state=AddressState.NEEDS_ADDRESS,
            candidates=ranked,
            geocode_attempts=step.geocode_attempts + 1,
        )
    return dataclasses.replace(
        step,
        latitude=chosen.latitude,
        longitude=chosen.longitude,
        address_state=AddressState.RESOLVED,
        candidates=ranked,
        geocode_attempts=step.geocode_attempts + 1,
    )


def unreachable(step: Step) -> Step:
    """The geocoder could not be asked: the step stays PENDING (the task ``needs_address``,
    nothing worse) and is asked again later."""
    return dataclasses.replace(step, geocode_attempts=step.geocode_attempts + 1)


def retry_after(attempts: int) -> timedelta:
    """Backoff between tries after an outage: 30 s doubling, at most an hour."""
    wait: timedelta = _FIRST_RETRY * (2 ** min(max(0, attempts - 1), 10))
    return min(wait, _LAST_RETRY)


def after_edit(before: Step, after: Step) -> Step:
    """A dispatcher's edit of a step: a new location is the step's place (a candidate picked
    or a point set); a new address of a step still waiting is geocoded afresh."""
    if (after.latitude, after.longitude) != (before.latitude, before.longitude):
        return dataclasses.replace(
            after, address_state=AddressState.GIVEN, candidates=(), geocode_attempts=0
        )
    if before.address_state in WAITING and after.address != before.address:
        return dataclasses.replace(
            after, address_state=AddressState.PENDING, candidates=(), geocode_attempts=0
        )
    return after


def to_geocode(step: Step) -> bool:
    """A step the geocoder has still to answer for (never asked, or asked during an outage).
    NEEDS_ADDRESS waits for a dispatcher instead."""
    return step.address_state is AddressState.PENDING and bool(step.address)


def pending(task: Task) -> bool:
    """True when a step waits for the geocoder's first answer."""
    return any(s.address_state is AddressState.PENDING for s in task.steps)


def bias_point(task: Task) -> tuple[float, float] | None:
    """Where the task starts, if known: deliveries are near their pickup."""
    for s in task.steps:
        if s.address_state in (AddressState.GIVEN, AddressState.RESOLVED):
            return (s.latitude, s.longitude)
    return None
