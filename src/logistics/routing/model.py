"""The route optimisation problem and its solution as plain values (no solver types).

Locations are indices into the problem's distance and duration matrices, which are integers
(metres and seconds in the service; whatever unit the caller picks elsewhere, as long as the
two matrices, the windows and the service times agree). Times are offsets from the plan's
origin.

Load: every stop adds its ``demand`` to the vehicle's load when it is served, except the
delivery of a pickup-delivery pair, which removes what its pickup added. So an unpaired stop
counts against the capacity from the moment it is served to the end of the route (a
collection, or equally a drop whose goods were loaded at the depot: the capacity a route
needs is the same), and a pair occupies it between its pickup and its delivery.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field


class Objective(enum.Enum):
    DISTANCE = "distance"
    """Least total distance (plus any vehicle costs)."""
    DURATION = "duration"
    """Least total route time, waiting included (plus any vehicle costs)."""
    VEHICLES_THEN_DISTANCE = "vehicles_then_distance"
    """Fewest vehicles, then least distance."""
    ON_TIME = "on_time"
    """Time windows' ends become soft: a late stop is served late rather than left out,
    lateness first, then distance."""


@dataclass(frozen=True)
class TimeWindow:
    start: int
    end: int


@dataclass(frozen=True)
class Stop:
    id: str
    location: int
    service: int = 0
    window: TimeWindow | None = None
    demand: tuple[int, ...] = ()
    pickup: str | None = None
    """For the delivery of a pickup-delivery pair: the id of its pickup stop."""


@dataclass(frozen=True)
class Vehicle:
    id: str
    start: int
    end: int
    capacity: tuple[int, ...] = ()
    """One bound per demand dimension; empty means unlimited."""
    shift: TimeWindow | None = None
    cost_per_km: float = 0.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0

    @property
    def has_costs(self) -> bool:
        return bool(self.cost_per_km or self.cost_per_hour or self.fixed_cost)


@dataclass(frozen=True)
class Problem:
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    distance: tuple[tuple[int, ...], ...]
    duration: tuple[tuple[int, ...], ...]
    objective: Objective = Objective.DISTANCE

    @property
    def dimensions(self) -> int:
        return max(
            [len(s.demand) for s in self.stops] + [len(v.capacity) for v in self.vehicles],
            default=0,
        )

    @property
    def has_pairs(self) -> bool:
        return any(s.pickup is not None for s in self.stops)

    def horizon(self) -> int:
        """An upper bound on any time in a plan: the latest window or shift end, else long
        enough to visit every stop one after the other."""
        ends = [s.window.end for s in self.stops if s.window is not None]
        ends += [v.shift.end for v in self.vehicles if v.shift is not None]
        longest_leg = max((max(row) for row in self.duration if row), default=0)
        serial = sum(s.service for s in self.stops) + (len(self.stops) + 2) * longest_leg
        return max([*ends, serial])

    def demand(self, stop: Stop) -> tuple[int, ...]:
        """The stop's demand over every dimension (missing ones are zero)."""
        return stop.demand + (0,) * (self.dimensions - len(stop.demand))

    def capacity(self, vehicle: Vehicle) -> tuple[int, ...] | None:
        """The vehicle's capacity over every dimension, or None when unlimited."""
        return vehicle.capacity or None


@dataclass(frozen=True)
class Visit:
    stop_id: str
    arrival: int
    departure: int
    load_after: tuple[int, ...]


@dataclass(frozen=True)
class Route:
    vehicle_id: str
    start_time: int
    end_time: int
    visits: tuple[Visit, ...]
    distance: int

    @property
    def duration(self) -> int:
        return self.end_time - self.start_time


@dataclass(frozen=True)
class Unassigned:
    stop_id: str
    reason: str


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    cost: float
    engine: str
    cancelled: bool = False

    @property
    def distance(self) -> int:
        return sum(r.distance for r in self.routes)


@dataclass(frozen=True)
class SolveOptions:
    """How long to search and how to talk to the caller while searching.

    ``on_progress`` gets the best cost found so far (in the engine's units) each time it
    improves; ``should_stop`` is polled during the search and ends it early when true (the
    best plan found so far is returned, marked ``cancelled``).
    """

    time_limit: float = 5.0
    engine: str = "auto"
    on_progress: Callable[[float], None] | None = field(default=None, compare=False)
    should_stop: Callable[[], bool] | None = field(default=None, compare=False)
