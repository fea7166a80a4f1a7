"""How a simulated rider answers an offer: whether, after how long, and why not. Pure."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    accept: bool
    after_s: float
    reason: str = ""


@dataclass(frozen=True)
class OfferPolicy:
    """Riders take most offers; the farther the pickup, the likelier a decline. Each answer
    comes after a human's pause of ``min_delay_s`` to ``max_delay_s``."""

    base_accept: float = 0.85
    # Above this distance each further kilometre lowers the chance by ``per_km``.
    easy_m: float = 1500.0
    per_km: float = 0.12
    floor: float = 0.2
    min_delay_s: float = 0.8
    max_delay_s: float = 4.0

    def accept_chance(self, distance_m: float) -> float:
        far_km = max(0.0, distance_m - self.easy_m) / 1000.0
        return max(self.floor, min(1.0, self.base_accept - self.per_km * far_km))

    def answer(self, rng: random.Random, distance_m: float) -> Answer:
        delay = rng.uniform(self.min_delay_s, self.max_delay_s)
        if rng.random() < self.accept_chance(distance_m):
            return Answer(True, delay)
        reason = "too far" if distance_m > self.easy_m else rng.choice(["on a break", "busy"])
        return Answer(False, delay, reason)
