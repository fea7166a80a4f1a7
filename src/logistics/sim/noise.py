"""GPS error as a phone reports it: a fix scattered around the true point and the accuracy
radius the device claims for it. Pure; the randomness comes from the caller's generator."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from logistics.sim.motion import Point, offset


@dataclass(frozen=True)
class Fix:
    point: Point
    accuracy_m: float


@dataclass(frozen=True)
class GpsModel:
    """Accuracy radii drawn from ``[best_m, worst_m]`` (skewed towards good fixes, as in open
    streets); the error is a 2-D normal whose 68 % radius is the claimed accuracy."""

    best_m: float = 3.0
    worst_m: float = 25.0

    def fix(self, rng: random.Random, truth: Point) -> Fix:
        accuracy = self.best_m + (self.worst_m - self.best_m) * rng.random() ** 3
        # The distance from the centre of a 2-D normal with sigma s is Rayleigh distributed;
        # 68 % of it lies within about 1.51 s.
        sigma = accuracy / 1.51
        angle = rng.uniform(0.0, 2 * math.pi)
        radius = sigma * math.sqrt(-2.0 * math.log(1.0 - rng.random()))
        moved = offset(truth, radius * math.cos(angle), radius * math.sin(angle))
        return Fix(moved, round(accuracy, 1))
