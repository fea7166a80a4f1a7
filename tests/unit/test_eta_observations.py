"""What an arrival and a completion teach the ETAs (domain/eta_observations.py): the leg from
the task's start or the previous step, and the time at the stop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from logistics.domain import tasks as machine
from logistics.domain.eta_observations import LegStart, leg_to, stop_at
from logistics.domain.tasks import Step, StepKind, Task, TaskKind, TaskState

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
START = LegStart(T0, (-1.25, 36.79))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def delivery() -> Task:
    return Task(
        uuid.uuid4(),
        TaskKind.DELIVERY,
        (
            Step("p", StepKind.PICKUP, -1.26, 36.80),
            Step("d", StepKind.DROP_OFF, -1.29, 36.82),
        ),
        state=TaskState.EN_ROUTE,
        rider_id=uuid.uuid4(),
    )


def test_the_first_leg_runs_from_the_start_to_the_arrival() -> None:
    task = machine.arrive(delivery(), "p", at(7))
    leg = leg_to(task, "p", START)
    assert leg is not None
    assert (leg.step_kind, leg.seconds, leg.start, leg.destination) == (
        "pickup",
        420.0,
        START,
        (-1.26, 36.80),
    )
    assert leg_to(task, "p", None) is None  # started without a location: nothing learnt


def test_a_later_leg_runs_from_the_previous_steps_completion() -> None:
    task = machine.arrive(delivery(), "p", at(7))
    task = machine.complete_step(task, "p", frozenset(), at(10))
    task = machine.arrive(task, "d", at(22))
    leg = leg_to(task, "d", START)  # the task's start does not matter here
    assert leg is not None
    assert leg.start == LegStart(at(10), (-1.26, 36.80))
    assert leg.seconds == 720.0


def test_the_stop_lasts_from_arrival_to_completion() -> None:
    task = machine.arrive(delivery(), "p", at(7))
    done = machine.complete_step(task, "p", frozenset(), at(10))
    stop = stop_at(done, "p")
    assert stop is not None
    assert (stop.step_kind, stop.seconds, stop.arrive) == ("pickup", 180.0, at(7))


def test_a_leg_that_took_no_time_teaches_nothing() -> None:
    task = machine.arrive(delivery(), "p", T0)
    assert leg_to(task, "p", START) is None
    assert leg_to(task, "unknown", START) is None
