"""Calibrated ETAs: from observed legs (actual over predicted travel time) and step service
times, per area and hour of week, the median and 90th percentile to expect. Pure.

Every sample is a value in log space (``ln(actual / predicted)`` for a leg, ``ln(seconds)``
for a service time) in a fine area (an H3 cell), its coarse parent and an hour of the week.
The location of a bucket is built from effects, each shrunk toward a coarser estimate by
credibility weighting (``(sum + k * prior) / (n + k)``): a global level; an hour-of-week effect
shrunk toward its hour of day, shrunk toward none; an area effect shrunk toward its parent
area, shrunk toward none; and an (area, hour of week) interaction shrunk toward none. So a
bucket with few samples takes the coarser answer (a new area gets its parent's, a rare hour
its hour of day's), and one with many its own. Hour and area effects are fitted alternately
(backfitting), so an area seen mostly at rush hour is not taken for a slow area.

The spread is the 50th and 90th percentile of the residuals around that location, per area,
shrunk toward the global residual quantiles. Quantiles are exact over the samples given:
the caller bounds them (a window of recent observations, see ``services.eta_calibration``),
so no sketch is needed; the model keeps a few numbers per bucket.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

# Group keys: a fine grouping and the coarse one it belongs to.
K = TypeVar("K", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def hour_of_week(at: datetime) -> int:
    """0 for Monday 00:00 to 167 for Sunday 23:00, in ``at``'s own time zone."""
    return at.weekday() * 24 + at.hour


@dataclass(frozen=True)
class Sample:
    cell: str
    parent: str
    hour_of_week: int
    value: float


@dataclass(frozen=True)
class Shrinkage:
    """Pseudo-counts: how many samples a bucket needs before its own estimate weighs as much
    as the coarser one. The prior is what an empty model answers."""

    hour: float = 15.0
    area: float = 15.0
    cell_hour: float = 30.0
    spread: float = 40.0
    level: float = 5.0
    prior_location: float = 0.0
    # Residual quantiles (log space) before any sample: p90 is 1.5 times p50.
    prior_spread: tuple[float, float] = (0.0, math.log(1.5))
    iterations: int = 3


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) of sorted values, linear between closest ranks."""
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def shrunk(total: float, n: int, prior: float, k: float) -> float:
    """The credibility-weighted mean of ``n`` values summing to ``total`` and ``prior``."""
    return (total + k * prior) / (n + k)


@dataclass(frozen=True)
class Model:
    """Effects and spreads in log space; ``quantiles`` combines them for one bucket."""

    count: int = 0
    level: float = 0.0
    hour_of_day: Mapping[int, float] = field(default_factory=dict)
    hour: Mapping[int, float] = field(default_factory=dict)
    parent: Mapping[str, float] = field(default_factory=dict)
    area: Mapping[str, float] = field(default_factory=dict)
    cell_hour: Mapping[tuple[str, int], float] = field(default_factory=dict)
    spread: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    global_spread: tuple[float, float] = (0.0, math.log(1.5))

    def location(self, cell: str, parent: str, how: int) -> float:
        hour = self.hour.get(how, self.hour_of_day.get(how % 24, 0.0))
        area = self.area.get(cell, self.parent.get(parent, 0.0))
        return self.level + hour + area + self.cell_hour.get((cell, how), 0.0)

    def quantiles(self, cell: str, parent: str, how: int) -> tuple[float, float]:
        """(p50, p90) in log space for a sample of this bucket; p90 never below p50."""
        where = self.location(cell, parent, how)
        r50, r90 = self.spread.get(cell, self.global_spread)
        return where + r50, where + max(r90, r50)


def _grouped(
    samples: Sequence[Sample], key: Callable[[Sample], K], offset: Sequence[float]
) -> dict[K, tuple[float, int]]:
    """(sum of ``offset``, count) per group."""
    sums: dict[K, tuple[float, int]] = {}
    for s, d in zip(samples, offset, strict=True):
        total, n = sums.get(key(s), (0.0, 0))
        sums[key(s)] = (total + d, n + 1)
    return sums


def _nested(
    samples: Sequence[Sample],
    residual: Sequence[float],
    coarse: Callable[[Sample], C],
    fine: Callable[[Sample], K],
    k: float,
) -> tuple[dict[C, float], dict[K, float]]:
    """Effects of a coarse grouping (shrunk toward none) and of a fine one within it (shrunk
    toward its coarse group's)."""
    coarse_effect = {
        g: shrunk(t, n, 0.0, k) for g, (t, n) in _grouped(samples, coarse, residual).items()
    }
    parent_of = {fine(s): coarse(s) for s in samples}
    fine_effect = {
        g: shrunk(t, n, coarse_effect[parent_of[g]], k)
        for g, (t, n) in _grouped(samples, fine, residual).items()
    }
    return coarse_effect, fine_effect


def fit(samples: Iterable[Sample], shrinkage: Shrinkage | None = None) -> Model:
    """The model of ``samples`` (empty: the prior)."""
    p = shrinkage or Shrinkage()
    data = list(samples)
    if not data:
        return Model(level=p.prior_location, global_spread=p.prior_spread)
    level = shrunk(sum(s.value for s in data), len(data), p.prior_location, p.level)
    area_of = [0.0] * len(data)
    hour_of = [0.0] * len(data)
    hod: dict[int, float] = {}
    how: dict[int, float] = {}
    par: dict[str, float] = {}
    area: dict[str, float] = {}
    for _ in range(p.iterations):
        rest = [s.value - level - a for s, a in zip(data, area_of, strict=True)]
        hod, how = _nested(
            data, rest, lambda s: s.hour_of_week % 24, lambda s: s.hour_of_week, p.hour
        )
        hour_of = [how[s.hour_of_week] for s in data]
        rest = [s.value - level - h for s, h in zip(data, hour_of, strict=True)]
        par, area = _nested(data, rest, lambda s: s.parent, lambda s: s.cell, p.area)
        area_of = [area[s.cell] for s in data]
    rest = [s.value - level - h - a for s, h, a in zip(data, hour_of, area_of, strict=True)]
    cell_hour = {
        g: shrunk(t, n, 0.0, p.cell_hour)
        for g, (t, n) in _grouped(data, lambda s: (s.cell, s.hour_of_week), rest).items()
    }
    fitted = [r - cell_hour[(s.cell, s.hour_of_week)] for s, r in zip(data, rest, strict=True)]
    residuals = _left_out(data, fitted, p)
    global_spread = _spread(residuals, p.prior_spread, p.level)
    by_cell: dict[str, list[float]] = defaultdict(list)
    for s, r in zip(data, residuals, strict=True):
        by_cell[s.cell].append(r)
    spread = {c: _spread(rs, global_spread, p.spread) for c, rs in by_cell.items()}
    return Model(
        count=len(data),
        level=level,
        hour_of_day=hod,
        hour=how,
        parent=par,
        area=area,
        cell_hour=cell_hour,
        spread=spread,
        global_spread=global_spread,
    )


def _left_out(data: Sequence[Sample], fitted: Sequence[float], p: Shrinkage) -> list[float]:
    """Residuals as if each sample had been left out of the fit (``e / (1 - h)``, ``h`` its
    weight in the estimates that include it): in-sample residuals are too small, most of all
    in small buckets, and a p90 taken from them covers fewer than nine in ten new legs."""
    hours = _grouped(data, lambda s: s.hour_of_week, fitted)
    areas = _grouped(data, lambda s: s.cell, fitted)
    both = _grouped(data, lambda s: (s.cell, s.hour_of_week), fitted)
    out = []
    for s, e in zip(data, fitted, strict=True):
        weight = (
            1 / (len(data) + p.level)
            + 1 / (hours[s.hour_of_week][1] + p.hour)
            + 1 / (areas[s.cell][1] + p.area)
            + 1 / (both[(s.cell, s.hour_of_week)][1] + p.cell_hour)
        )
        out.append(e / (1.0 - min(weight, 0.9)))
    return out


def _spread(
    residuals: Sequence[float], prior: tuple[float, float], k: float
) -> tuple[float, float]:
    """The (p50, p90) of ``residuals``, shrunk toward ``prior`` by their number."""
    ordered = sorted(residuals)
    n = len(ordered)
    return (
        shrunk(n * quantile(ordered, 0.5), n, prior[0], k),
        shrunk(n * quantile(ordered, 0.9), n, prior[1], k),
    )


@dataclass(frozen=True)
class Calibration:
    """A tenant's fitted models: travel ratios, and service times per step kind."""

    travel: Model = field(default_factory=Model)
    service: Mapping[str, Model] = field(default_factory=dict)

    def travel_seconds(self, raw_s: float, cell: str, parent: str, how: int) -> tuple[float, float]:
        """(p50, p90) seconds of a leg the provider puts at ``raw_s``."""
        q50, q90 = self.travel.quantiles(cell, parent, how)
        return raw_s * math.exp(q50), raw_s * math.exp(q90)

    def service_seconds(
        self, step_kind: str, cell: str, parent: str, how: int
    ) -> tuple[float, float] | None:
        """(p50, p90) seconds spent at a step of ``step_kind``; None before any sample."""
        model = self.service.get(step_kind)
        if model is None or model.count == 0:
            return None
        q50, q90 = model.quantiles(cell, parent, how)
        return math.exp(q50), math.exp(q90)


def travel_sample(
    cell: str, parent: str, how: int, predicted_s: float, actual_s: float
) -> Sample | None:
    """A leg as a sample; None when either time is not positive (nothing to learn)."""
    if predicted_s <= 0 or actual_s <= 0:
        return None
    return Sample(cell, parent, how, math.log(actual_s / predicted_s))


def service_sample(cell: str, parent: str, how: int, seconds: float) -> Sample:
    """A stop's service time as a sample (a second at least: a step done on arrival)."""
    return Sample(cell, parent, how, math.log(max(seconds, 1.0)))
