"""Cold chain rules: a task's temperature range, a reading's checks, and the excursion
detector (each probe's run out of range, the task's episodes) as a pure fold over readings."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logistics.domain.tasks import Item

# A reading beyond the range by more than this counts as out of range (probes are accurate to
# about +-0.5 degrees C); recovery needs a reading inside the range itself.
TOLERANCE_C = 0.5
# A probe must stay out of range this long (by its readings' times) before it is an excursion,
# so one noisy reading, or a door opened for a minute, raises nothing.
MIN_DURATION = timedelta(minutes=5)

MAX_PROBE_ID = 64
# Device ids: letters, digits and ._:- (so a log's cell never starts a spreadsheet formula).
_PROBE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
MIN_CELSIUS, MAX_CELSIUS = -100.0, 200.0
MAX_AHEAD = timedelta(minutes=5)  # a probe's clock may run this far ahead of ours
MAX_BEFORE_TASK = timedelta(days=1)  # goods are chilled before the task is created


@dataclass(frozen=True)
class Reading:
    """One probe's measurement: known by (probe_id, record_time) within its task."""

    probe_id: str
    record_time: datetime
    celsius: float


@dataclass(frozen=True)
class Range:
    """Degrees Celsius the goods need, both ends included."""

    min_c: float
    max_c: float

    def beyond(self, celsius: float, tolerance_c: float) -> bool:
        return celsius < self.min_c - tolerance_c or celsius > self.max_c + tolerance_c

    def holds(self, celsius: float) -> bool:
        return self.min_c <= celsius <= self.max_c


def task_range(items: Iterable[Item]) -> Range | None:
    """The tightest of the items' ranges (an item with both ends zero is ambient and has none);
    None when no item needs one."""
    ranges = [
        (i.min_temperature_c, i.max_temperature_c)
        for i in items
        if i.min_temperature_c != 0 or i.max_temperature_c != 0
    ]
    if not ranges:
        return None
    return Range(max(lo for lo, _ in ranges), min(hi for _, hi in ranges))


class Problem(enum.StrEnum):
    """Why a reading cannot be stored."""

    INVALID = "invalid"
    OUT_OF_TIME = "out_of_time"


def check_reading(
    reading: Reading, now: datetime, task_created: datetime | None
) -> tuple[Problem, str, str] | None:
    """None when the reading may be stored; else the problem, the field and what is wrong."""
    if _PROBE_ID.fullmatch(reading.probe_id) is None:
        return (
            Problem.INVALID,
            "probe_id",
            f"is required: 1 to {MAX_PROBE_ID} letters, digits and ._:- (a letter or digit first)",
        )
    c = reading.celsius
    if not math.isfinite(c) or not MIN_CELSIUS <= c <= MAX_CELSIUS:
        return Problem.INVALID, "celsius", f"must be {MIN_CELSIUS:g} to {MAX_CELSIUS:g}"
    if reading.record_time > now + MAX_AHEAD:
        return Problem.OUT_OF_TIME, "record_time", "is more than 5 minutes in the future"
    if task_created is not None and reading.record_time < task_created - MAX_BEFORE_TASK:
        return Problem.OUT_OF_TIME, "record_time", "is over a day before the task was created"
    return None


@dataclass(frozen=True)
class ExcursionRule:
    tolerance_c: float = TOLERANCE_C
    min_duration: timedelta = MIN_DURATION


@dataclass(frozen=True)
class ProbeRun:
    """One probe's standing: since when it has been out of range (None: it is not), whether its
    run became an excursion, its newest reading's time, and its run's reading farthest out."""

    last_time: datetime
    out_since: datetime | None = None
    excursion: bool = False
    peak_c: float | None = None


@dataclass(frozen=True)
class ColdChain:
    """A task's excursion state. An episode starts when a first probe's run lasts
    ``min_duration`` and ends when every probe in excursion reads inside the range again."""

    probes: Mapping[str, ProbeRun] = field(default_factory=dict)
    episode_since: datetime | None = None  # when the current episode's run began
    peak_c: float | None = None  # the reading farthest out in the current episode
    excursions: int = 0
    last: Reading | None = None  # the newest reading of any probe

    @property
    def active(self) -> bool:
        return self.episode_since is not None


@dataclass(frozen=True)
class Started:
    """An excursion began with ``reading`` (its probe out of range since ``since``)."""

    reading: Reading
    since: datetime


@dataclass(frozen=True)
class Recovered:
    """The episode that began at ``since`` ended with ``reading``; ``peak_c`` was its worst."""

    reading: Reading
    since: datetime
    peak_c: float


Change = Started | Recovered


def _farther(rng: Range, a: float | None, b: float) -> float:
    if a is None:
        return b
    return b if _distance(rng, b) > _distance(rng, a) else a


def _distance(rng: Range, c: float) -> float:
    return max(rng.min_c - c, c - rng.max_c, 0.0)


def observe(
    state: ColdChain,
    rng: Range | None,
    readings: Sequence[Reading],
    rule: ExcursionRule = ExcursionRule(),
) -> tuple[ColdChain, list[Change]]:
    """``state`` after ``readings`` (any order), and the episodes they started and ended.

    Readings are taken in time order; one no newer than its probe's newest is kept in the log
    but changes nothing here (a buffer uploaded late cannot rewrite an episode already
    reported). Without a range (ambient goods) only the newest reading is tracked."""
    changes: list[Change] = []
    probes = dict(state.probes)
    since, peak, count, last = state.episode_since, state.peak_c, state.excursions, state.last
    for r in sorted(readings, key=lambda r: (r.record_time, r.probe_id)):
        run = probes.get(r.probe_id)
        if run is not None and r.record_time <= run.last_time:
            continue
        if last is None or r.record_time >= last.record_time:
            last = r
        if rng is None:
            probes[r.probe_id] = ProbeRun(r.record_time)
            continue
        run = run or ProbeRun(r.record_time)
        if rng.beyond(r.celsius, rule.tolerance_c):
            out_since = run.out_since or r.record_time
            excursion = run.excursion or r.record_time - out_since >= rule.min_duration
            run_peak = _farther(rng, run.peak_c, r.celsius)
            run = ProbeRun(r.record_time, out_since, excursion, run_peak)
        elif run.excursion and not rng.holds(r.celsius):
            run = replace(run, last_time=r.record_time)  # within tolerance: not yet recovered
        else:
            run = ProbeRun(r.record_time)
        probes[r.probe_id] = run
        if run.excursion and run.peak_c is not None:
            peak = _farther(rng, peak, run.peak_c)
        if since is None and run.excursion:
            since = run.out_since or r.record_time
            count += 1
            changes.append(Started(r, since))
        elif since is not None and not any(p.excursion for p in probes.values()):
            changes.append(Recovered(r, since, peak if peak is not None else r.celsius))
            since, peak = None, None
    return ColdChain(probes, since, peak, count, last), changes


@dataclass(frozen=True)
class Mark:
    """What a trail entry of an excursion shows: the reading that started or ended it and the
    range it was judged against."""

    reading: Reading
    range: Range | None
