"""How many orders a city places when: a day curve with lunch and dinner peaks, a clock that
can run faster than real time, and the arrival times of orders under that curve. Pure."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# (hour of day, width in hours, height relative to the daily mean) of each peak.
PEAKS = ((12.75, 1.1, 2.4), (19.5, 1.4, 2.8))
NIGHT_FLOOR = 0.08


def day_curve(hour: float) -> float:
    """Demand at ``hour`` (0 to 24, wrapping) relative to the mean hour: low at night, a rise
    through the morning, a lunch and a dinner peak."""
    hour %= 24.0
    daylight = max(0.0, math.sin(math.pi * (hour - 6.0) / 17.0)) if 6.0 <= hour <= 23.0 else 0.0
    level = NIGHT_FLOOR + 0.55 * daylight
    for centre, width, height in PEAKS:
        level += height * math.exp(-0.5 * ((hour - centre) / width) ** 2)
    return level


_MINUTES = [day_curve(m / 60.0) for m in range(24 * 60)]
# The curve's mean over a day, so that ``orders_per_hour`` is the daily average rate; and its
# highest value (with a margin for the minutes between samples), the bound thinning needs.
_MEAN = sum(_MINUTES) / len(_MINUTES)
_PEAK = max(_MINUTES) * 1.01


def rate_per_hour(orders_per_hour: float, hour: float) -> float:
    """Orders per (simulated) hour at ``hour`` for a city averaging ``orders_per_hour``."""
    return orders_per_hour * day_curve(hour) / _MEAN


@dataclass(frozen=True)
class SimClock:
    """Simulated time: starts at ``start`` when the run starts, ``scale`` times faster than the
    wall clock (a demo at scale 60 runs an hour a minute)."""

    start: datetime
    scale: float = 1.0

    def at(self, elapsed_s: float) -> datetime:
        return self.start + timedelta(seconds=elapsed_s * self.scale)

    def hour(self, elapsed_s: float) -> float:
        t = self.at(elapsed_s)
        return t.hour + t.minute / 60.0 + t.second / 3600.0


def next_order_in(rng: random.Random, clock: SimClock, elapsed_s: float, per_hour: float) -> float:
    """Wall-clock seconds from ``elapsed_s`` to the next order: a non-homogeneous Poisson
    process under the day curve, sampled by thinning against the curve's peak."""
    peak = per_hour * _PEAK / _MEAN
    per_wall_s = peak * clock.scale / 3600.0
    if per_wall_s <= 0:
        return math.inf
    t = elapsed_s
    for _ in range(10_000):
        t += rng.expovariate(per_wall_s)
        if rng.random() * peak <= rate_per_hour(per_hour, clock.hour(t)):
            return t - elapsed_s
    return t - elapsed_s
