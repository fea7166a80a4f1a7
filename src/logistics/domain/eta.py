"""Estimated arrivals: the travel a distance provider answered, where the answer came from, and
the arrival it gives, with room for the spread (p50, p90) calibration will fill. Pure.

An ETA always says its source, so a straight line is never shown as if it were a road:

- ``road``: a routing engine (OSRM) answered this question now;
- ``road_cached``: its earlier answer for the same pair of points, or a recent answer for the
  same destination scaled to where the rider is now (``scaled``);
- ``straight_line``: no routing engine is configured, the line times a detour factor;
- ``straight_line_fallback``: a routing engine is configured but gave no answer in time (slow,
  down, or no route), so the line stands in until it does.
"""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.tasks import TERMINAL, Step, StepKind, Task


class EtaSource(enum.StrEnum):
    ROAD = "road"
    ROAD_CACHED = "road_cached"
    STRAIGHT_LINE = "straight_line"
    STRAIGHT_LINE_FALLBACK = "straight_line_fallback"

    @property
    def by_road(self) -> bool:
        return self in (EtaSource.ROAD, EtaSource.ROAD_CACHED)


@dataclass(frozen=True, slots=True)
class Travel:
    """(metres, seconds) from one point to another, and where the answer came from."""

    metres: float
    seconds: float
    source: EtaSource


@dataclass(frozen=True, slots=True)
class Eta:
    """When a rider is expected at a point. ``arrival`` is the point estimate; ``p50`` and
    ``p90`` stay None until calibration learns them from actual arrivals (then ``expected``
    is the p50)."""

    arrival: datetime
    travel_s: float
    source: EtaSource
    computed: datetime
    p50: datetime | None = None
    p90: datetime | None = None

    @classmethod
    def of(cls, now: datetime, travel: Travel) -> Eta:
        return cls(now + timedelta(seconds=travel.seconds), travel.seconds, travel.source, now)

    @property
    def expected(self) -> datetime:
        return self.p50 or self.arrival

    def remaining_s(self, now: datetime) -> float:
        """Seconds from ``now`` to the expected arrival (never negative)."""
        return max(0.0, (self.expected - now).total_seconds())

    def late_for(self, deadline: datetime) -> bool:
        """The expected arrival is after ``deadline``."""
        return self.expected > deadline


@dataclass(frozen=True)
class Prediction:
    """A task's latest predicted arrival at its next step (``step_id``), checked against the
    deadline that applies there (``deadline_kind``: pickup or delivery), and whether it was
    late for it (what makes the next late one a new crossing or not)."""

    task_id: uuid.UUID
    deadline_kind: str
    deadline: datetime
    step_id: str
    eta: Eta
    late: bool

    def crossed_from(self, previous: Prediction | None) -> bool:
        """Late now, and the previous prediction for the same deadline was not."""
        if not self.late:
            return False
        return previous is None or previous.deadline_kind != self.deadline_kind or not previous.late


def promise_at_next_step(task: Task) -> tuple[str, datetime, Step] | None:
    """The deadline a task's next step must meet and the step: a pickup step before the
    pickup deadline, any later step before the delivery deadline; None when that deadline is
    not set, the step has no location yet, or the task is not under way."""
    if task.rider_id is None or task.state in TERMINAL:
        return None
    step = task.step
    if math.isnan(step.latitude) or math.isnan(step.longitude):
        return None
    if step.kind is StepKind.PICKUP and not task.pickup_done():
        kind, deadline = "pickup", task.pickup_deadline
    else:
        kind, deadline = "delivery", task.delivery_deadline
    return None if deadline is None else (kind, deadline, step)
