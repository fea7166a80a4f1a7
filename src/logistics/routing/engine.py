"""What every engine returns: the order of stops per vehicle, before timing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Orders:
    """``routes[v]``: the stops (indices into ``problem.stops``) vehicle ``v`` serves, in
    order; ``dropped``: stops left out by the search; ``cost`` in the engine's units."""

    routes: dict[int, list[int]]
    dropped: list[int]
    cost: float
    cancelled: bool = False
