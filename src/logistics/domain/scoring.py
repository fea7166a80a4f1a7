"""How candidate riders are ranked for a task: a small, documented function. Pure.

    score = - w_eta   * eta_minutes * (1 + priority / 10)
            - w_load  * active_tasks
            + w_idle  * min(idle_minutes, 60)
            + w_rating * (rating - 3)

Higher is better. ETA dominates (a higher priority task weighs it more); riders already carrying
tasks are pushed down; riders idle longer are pulled up (fairness), capped at an hour; the
rating (1 to 5, 3 neutral) nudges. The weights are per tenant; these are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    eta: float = 1.0
    load: float = 5.0
    idle: float = 0.1
    rating: float = 0.5


def score(
    eta_s: float,
    *,
    priority: int = 0,
    load: int = 0,
    idle_s: float = 0.0,
    rating: float = 3.0,
    weights: Weights | None = None,
) -> float:
    w = weights or Weights()
    return (
        -w.eta * (eta_s / 60) * (1 + priority / 10)
        - w.load * load
        + w.idle * min(idle_s / 60, 60.0)
        + w.rating * (rating - 3.0)
    )
