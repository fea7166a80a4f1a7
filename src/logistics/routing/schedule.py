"""Turns a vehicle's order of stops into a timed route: the latest departure from the start
that keeps every visit as early as possible, so no time is spent waiting that the order does
not force."""

from __future__ import annotations

from collections.abc import Sequence

from logistics.routing.model import Problem, Route, Stop, Vehicle, Visit


def _earliest(problem: Problem, vehicle: Vehicle, order: Sequence[Stop], depart: int) -> list[int]:
    """Service start times when leaving the start at ``depart``."""
    starts: list[int] = []
    here, ready = vehicle.start, depart
    for stop in order:
        arrive = ready + problem.duration[here][stop.location]
        begin = max(arrive, stop.window.start) if stop.window else arrive
        starts.append(begin)
        here, ready = stop.location, begin + stop.service
    return starts


def _latest_departure(
    problem: Problem, vehicle: Vehicle, order: Sequence[Stop], starts: list[int]
) -> int:
    """The latest departure from the start that ends the route no later than ``starts``
    does: walking backwards, the latest each service may begin (within its window) so that
    every later one can still begin at its earliest time; waiting absorbs the rest."""
    latest = starts[-1]
    for i in range(len(order) - 2, -1, -1):
        stop, nxt = order[i], order[i + 1]
        limit = latest - stop.service - problem.duration[stop.location][nxt.location]
        if stop.window is not None:
            limit = min(limit, stop.window.end)
        latest = max(limit, starts[i])
    return latest - problem.duration[vehicle.start][order[0].location]


def build_route(problem: Problem, vehicle: Vehicle, order: Sequence[Stop]) -> Route:
    """The timed route of ``vehicle`` visiting ``order`` (assumed feasible)."""
    shift_start = vehicle.shift.start if vehicle.shift else 0
    if not order:
        return Route(vehicle.id, shift_start, shift_start, (), 0)
    starts = _earliest(problem, vehicle, order, shift_start)
    depart = max(shift_start, _latest_departure(problem, vehicle, order, starts))
    starts = _earliest(problem, vehicle, order, depart)
    dims = problem.dimensions
    load = [0] * dims
    carried: dict[str, tuple[int, ...]] = {}
    visits: list[Visit] = []
    here, ready, distance = vehicle.start, depart, 0
    for stop, begin in zip(order, starts, strict=True):
        distance += problem.distance[here][stop.location]
        arrival = ready + problem.duration[here][stop.location]
        demand = problem.demand(stop)
        if stop.pickup is not None:
            demand = tuple(-d for d in carried.pop(stop.pickup, (0,) * dims))
        else:
            carried[stop.id] = demand
        load = [a + b for a, b in zip(load, demand, strict=True)]
        visits.append(Visit(stop.id, arrival, begin + stop.service, tuple(load)))
        here, ready = stop.location, begin + stop.service
    distance += problem.distance[here][vehicle.end]
    end = ready + problem.duration[here][vehicle.end]
    return Route(vehicle.id, depart, end, tuple(visits), distance)
