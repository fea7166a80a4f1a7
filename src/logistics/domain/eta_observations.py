"""What a rider's arrival and a step's completion teach the ETAs: the leg just ridden (from
where and when it started to the arrival) and the time spent at the stop; and the stored
observations as the model's refresh reads them. Pure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from logistics.domain.tasks import Step, StepState, Task

Location = tuple[float, float]


@dataclass(frozen=True)
class LegStart:
    """Where and when a leg began: the task's start (its ``en_route`` entry) or the
    previous step's completion."""

    at: datetime
    location: Location


@dataclass(frozen=True)
class Leg:
    step_id: str
    step_kind: str
    start: LegStart
    destination: Location
    seconds: float


@dataclass(frozen=True)
class StopTime:
    step_id: str
    step_kind: str
    location: Location
    arrive: datetime
    seconds: float


def _index(task: Task, step_id: str) -> int | None:
    return next((i for i, s in enumerate(task.steps) if s.id == step_id), None)


def previous_step(task: Task, step_id: str) -> Step | None:
    """The step completed before ``step_id`` (None for the first step, or when the one
    before was skipped or failed: the rider's start is then unknown)."""
    i = _index(task, step_id)
    if i is None or i == 0:
        return None
    before = task.steps[i - 1]
    return before if before.state is StepState.COMPLETED else None


def leg_to(task: Task, step_id: str, start: LegStart | None) -> Leg | None:
    """The leg that ended with the arrival at ``step_id`` (``task`` as saved by the arrival),
    begun at ``start`` when it is the first step; else at the previous step's completion.
    None when its start is unknown or it took no time (a clock going backwards)."""
    i = _index(task, step_id)
    if i is None:
        return None
    step = task.steps[i]
    if i > 0:
        before = previous_step(task, step_id)
        start = (
            LegStart(before.complete_time, (before.latitude, before.longitude))
            if before is not None and before.complete_time is not None
            else None
        )
    if start is None or step.arrive_time is None:
        return None
    seconds = (step.arrive_time - start.at).total_seconds()
    if seconds <= 0:
        return None
    return Leg(step.id, step.kind.value, start, (step.latitude, step.longitude), seconds)


def stop_at(task: Task, step_id: str) -> StopTime | None:
    """The time spent at ``step_id`` from arrival to completion (``task`` as saved by the
    completion); None when the rider completed it without arriving first."""
    i = _index(task, step_id)
    if i is None:
        return None
    step = task.steps[i]
    if step.arrive_time is None or step.complete_time is None:
        return None
    seconds = max(0.0, (step.complete_time - step.arrive_time).total_seconds())
    return StopTime(
        step.id, step.kind.value, (step.latitude, step.longitude), step.arrive_time, seconds
    )


@dataclass(frozen=True)
class Unpredicted:
    """A leg waiting for the distance provider's travel time."""

    task_id: uuid.UUID
    step_id: str
    origin: tuple[float, float]
    destination: tuple[float, float]
    vehicle: str | None


@dataclass(frozen=True)
class Observed:
    """One row of the window: ``seconds`` actually taken; ``predicted_s`` for legs."""

    step_kind: str
    cell: str
    parent: str
    start: datetime
    seconds: float
    predicted_s: float | None
