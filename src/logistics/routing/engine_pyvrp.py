"""The plain-VRPTW engine: PyVRP's iterated local search, for problems without pickup-delivery
pairs, vehicle costs or an objective other than distance (chosen by measurement on the
Solomon set; see docs/routing.md).

Every stop is required: PyVRP plans all of them or reports its best plan as infeasible, and
the caller then falls back to the general engine, which can leave stops out. The stopping
criterion is the hook for everything else: it is called once per iteration with the best
cost so far, so it reports progress, honours cancellation and gives up early when no
feasible plan shows up in the first part of the time budget.
"""

from __future__ import annotations

import time
import warnings

import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning

from logistics.routing.engine import Orders
from logistics.routing.model import Objective, Problem, SolveOptions, TimeWindow

GIVE_UP_SHARE = 0.4
"""Share of the time limit after which a search with no feasible plan is abandoned."""

_INFEASIBLE = 2**62


def handles(problem: Problem) -> bool:
    """Whether ``problem`` is plain VRPTW, the case this engine is chosen for."""
    return (
        problem.objective is Objective.DISTANCE
        and not problem.has_pairs
        and not any(v.has_costs for v in problem.vehicles)
    )


class _Stop:
    """PyVRP's stopping criterion, carrying our deadline, progress and cancellation."""

    def __init__(self, options: SolveOptions, deadline: float, give_up_at: float) -> None:
        self.options = options
        self.deadline = deadline
        self.give_up_at = give_up_at
        self.best = _INFEASIBLE
        self.cancelled = False
        self.gave_up = False

    def __call__(self, best_cost: int) -> bool:
        now = time.monotonic()
        if best_cost < self.best:
            self.best = best_cost
            if self.options.on_progress is not None:
                self.options.on_progress(float(best_cost))
        if self.options.should_stop is not None and self.options.should_stop():
            self.cancelled = True
            return True
        if self.best >= _INFEASIBLE and now >= self.give_up_at:
            self.gave_up = True
            return True
        return now >= self.deadline


def _model(problem: Problem) -> tuple[pyvrp.Model, list[list[int]]]:
    """The PyVRP model, and for each of its vehicle types our vehicle indices."""
    model = pyvrp.Model()
    horizon = problem.horizon()
    used = sorted(
        {s.location for s in problem.stops}
        | {loc for v in problem.vehicles for loc in (v.start, v.end)}
    )
    locations = {loc: model.add_location(x=0, y=0) for loc in used}
    depots = {
        loc: model.add_depot(locations[loc])
        for loc in sorted({loc for v in problem.vehicles for loc in (v.start, v.end)})
    }
    unlimited = sum(sum(problem.demand(s)) for s in problem.stops) + 1
    types: dict[tuple[int, int, tuple[int, ...], TimeWindow | None], list[int]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        types.setdefault((vehicle.start, vehicle.end, vehicle.capacity, vehicle.shift), []).append(
            v
        )
    for (start, end, capacity, shift), members in types.items():
        model.add_vehicle_type(
            num_available=len(members),
            capacity=list(capacity) or [unlimited] * problem.dimensions,
            start_depot=depots[start],
            end_depot=depots[end],
            tw_early=shift.start if shift else 0,
            tw_late=shift.end if shift else horizon,
        )
    for stop in problem.stops:
        model.add_client(
            locations[stop.location],
            delivery=list(problem.demand(stop)),
            service_duration=stop.service,
            tw_early=stop.window.start if stop.window else 0,
            tw_late=stop.window.end if stop.window else horizon,
            name=stop.id,
        )
    for a in used:
        for b in used:
            model.add_edge(
                locations[a],
                locations[b],
                distance=problem.distance[a][b],
                duration=problem.duration[a][b],
            )
    return model, list(types.values())


def solve(problem: Problem, options: SolveOptions, deadline: float) -> Orders | None:
    """Plans every stop of ``problem`` until ``deadline``; None when no feasible plan was
    found (or the search was cancelled before one)."""
    model, members = _model(problem)
    now = time.monotonic()
    stop = _Stop(options, deadline, now + (deadline - now) * GIVE_UP_SHARE)
    with warnings.catch_warnings():
        # Expected when no feasible plan exists; the caller falls back to OR-Tools.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(stop=stop, display=False, collect_stats=False)
    best = result.best
    if not best.is_feasible():
        return None
    free = [list(m) for m in members]
    routes: dict[int, list[int]] = {}
    for route in best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        routes[vehicle] = [activity.idx for activity in route if activity.is_client()]
    return Orders(routes, [], float(result.cost()), stop.cancelled)
