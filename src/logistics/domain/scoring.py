"""How candidate riders are ranked for a task: a small, documented function. Pure.

    score = - w_eta   * eta_minutes * (1 + priority / 10)
            - w_load  * active_tasks
            + w_idle  * min(idle_minutes, 60)
            + w_rating * (rating - 3)

Higher is better. ETA dominates (a higher priority task weighs it more); riders already carrying
tasks are pushed down; riders idle longer are pulled up (fairness), capped at an hour; the
rating (1 to 5, 3 neutral, and 3 for a rider not rated yet) nudges. The weights are per tenant
(its dispatch policy); these are the defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime

from logistics.domain.errors import FieldViolation, InvalidArgument

MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class Weights:
    eta: float = 1.0
    load: float = 5.0
    idle: float = 0.1
    rating: float = 0.5


@dataclass(frozen=True)
class ScoringPolicy:
    """The part of a tenant's dispatch policy (``tenants/{tenant}/dispatchPolicy``) kept on
    record: the score's weights."""

    weights: Weights = field(default_factory=Weights)
    update_time: datetime | None = None
    version: int = 0


def check_weights(weights: Weights, prefix: str) -> None:
    """Raises InvalidArgument naming every bad weight: each is a number from 0 to 100, and the
    ETA's is above 0 (a ranking that ignores how far the rider is is no dispatch)."""
    out = []
    for f in fields(weights):
        value = getattr(weights, f.name)
        low_ok = value > 0 if f.name == "eta" else value >= 0
        if not (math.isfinite(value) and low_ok and value <= MAX_WEIGHT):
            bound = "above 0" if f.name == "eta" else "at least 0"
            out.append(
                FieldViolation(f"{prefix}.{f.name}", f"must be {bound} and at most {MAX_WEIGHT:g}")
            )
    if out:
        raise InvalidArgument(out)


def score(
    eta_s: float,
    *,
    priority: int = 0,
    load: int = 0,
    idle_s: float = 0.0,
    rating: float | None = None,
    weights: Weights | None = None,
) -> float:
    w = weights or Weights()
    return (
        -w.eta * (eta_s / 60) * (1 + priority / 10)
        - w.load * load
        + w.idle * min(idle_s / 60, 60.0)
        + w.rating * ((3.0 if rating is None else rating) - 3.0)
    )
