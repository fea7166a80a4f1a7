"""Events of the cold chain: a task's goods left their temperature range, and came back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logistics.domain.coldchain import Range, Reading
from logistics.domain.events._tasks import TaskEvent


@dataclass(frozen=True)
class TaskTemperatureExcursion(TaskEvent):
    """A task's goods left their temperature range (``range``): ``reading`` is the one that
    made the excursion (its probe out of range, beyond the tolerance, since ``since`` for at
    least the minimum duration). Once per episode; ``reason`` says it in words."""

    type = "task.temperature_excursion"

    reading: Reading | None = None
    range: Range | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class TaskTemperatureRecovered(TaskEvent):
    """Every probe of a task in excursion reads inside the range again (``reading``, the last
    one to): the episode that began at ``since`` is over; ``peak_c`` was its reading farthest
    out of range."""

    type = "task.temperature_recovered"

    reading: Reading | None = None
    range: Range | None = None
    since: datetime | None = None
    peak_c: float | None = None
