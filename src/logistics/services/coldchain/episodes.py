"""Readings into a task's record: stored once each, run through the excursion detector, and
each episode's start and end recorded (trail entry, audit row, outbox event) in the same
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from logistics.domain.caller import Caller
from logistics.domain.coldchain import (
    ExcursionRule,
    Mark,
    Range,
    Reading,
    Started,
    observe,
    task_range,
)
from logistics.domain.events import TaskTemperatureExcursion, TaskTemperatureRecovered
from logistics.domain.names import TASKS
from logistics.domain.tasks import Task
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Stored:
    """How many readings were stored now, and how many had been before."""

    stored: int = 0
    duplicates: int = 0

    def __add__(self, other: Stored) -> Stored:
        return Stored(self.stored + other.stored, self.duplicates + other.duplicates)


async def take_readings(
    caller: Caller,
    uow: UnitOfWork,
    task: Task,
    readings: Sequence[Reading],
    source: str,
    rule: ExcursionRule,
) -> Stored:
    """``task`` was loaded for update (its row's lock orders the batches of one task)."""
    rider = uuid.UUID(caller.rider_id) if caller.rider_id else None
    fresh = await uow.temperatures.add(task.id, readings, source, rider)
    new = [r for r, is_new in zip(readings, fresh, strict=True) if is_new]
    done = Stored(len(new), len(readings) - len(new))
    if not new:
        return done
    state = await uow.temperatures.state(task.id)
    rng = task_range(task.items)
    after, changes = observe(state, rng, new, rule)
    if after == state:
        return done
    await uow.temperatures.save_state(task.id, after)
    if not changes:
        return done
    now = await uow.load(uow.tasks, TASKS, task.id)  # the events show its new cold chain fields
    for change in changes:
        mark = Mark(change.reading, rng)
        if isinstance(change, Started):
            await record(
                caller,
                uow,
                now,
                now,
                TaskTemperatureExcursion,
                reason=_started(change.reading, rng, rule),
                extra={"reading": change.reading, "range": rng, "since": change.since},
                temperature=mark,
            )
        else:
            await record(
                caller,
                uow,
                now,
                now,
                TaskTemperatureRecovered,
                reason=f"back in range at {change.reading.celsius:g} °C "
                f"(probe {change.reading.probe_id}); peak {change.peak_c:g} °C",
                extra={
                    "reading": change.reading,
                    "range": rng,
                    "since": change.since,
                    "peak_c": change.peak_c,
                },
                temperature=mark,
            )
    return done


def _started(reading: Reading, rng: Range | None, rule: ExcursionRule) -> str:
    bounds = f"{rng.min_c:g} to {rng.max_c:g} °C" if rng else "its range"
    minutes = rule.min_duration.total_seconds() / 60
    return (
        f"{reading.celsius:g} °C on probe {reading.probe_id}, outside {bounds} "
        f"(beyond {rule.tolerance_c:g} °C for {minutes:g} min or more)"
    )
