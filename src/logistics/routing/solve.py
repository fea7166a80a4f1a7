"""The one entry point: validate, set aside the stops no vehicle could serve, pick the
engine, search within the time limit and return a timed plan with its unassigned stops."""

from __future__ import annotations

import dataclasses
import time

from logistics.routing import engine_ortools, engine_pyvrp, reach
from logistics.routing.engine import Orders
from logistics.routing.model import Problem, Solution, SolveOptions, Unassigned
from logistics.routing.schedule import build_route
from logistics.routing.validate import validate

ENGINES = ("auto", "ortools", "pyvrp")


def _search(problem: Problem, options: SolveOptions, deadline: float) -> tuple[Orders | None, str]:
    choice = options.engine
    if choice == "pyvrp" or (choice == "auto" and engine_pyvrp.handles(problem)):
        orders = engine_pyvrp.solve(problem, options, deadline)
        if orders is not None or choice == "pyvrp":
            return orders, "pyvrp"
        if options.should_stop is not None and options.should_stop():
            return None, "pyvrp"
        # No feasible plan with every stop: the general engine may leave some out.
    return engine_ortools.solve(problem, options, deadline), "ortools"


def solve(problem: Problem, options: SolveOptions) -> Solution:
    """Plans ``problem`` in at most ``options.time_limit`` seconds of search.

    Raises ``InvalidArgument`` for a malformed problem. A problem with no feasible plan for
    every stop still gets one: the stops left out are listed with the reason.
    """
    validate(problem)
    if options.engine not in ENGINES:
        raise ValueError(f"unknown engine {options.engine!r}")
    deadline = time.monotonic() + options.time_limit
    reasons = reach.unservable(problem)
    kept = tuple(s for s in problem.stops if s.id not in reasons)
    sub = dataclasses.replace(problem, stops=kept)
    if not kept:
        return Solution((), reach.as_unassigned(reasons), 0.0, "none")
    orders, engine = _search(sub, options, deadline)
    if orders is None:
        reason = reach.CANCELLED if options.should_stop and options.should_stop() else reach.NO_ROOM
        reasons.update({s.id: reason for s in kept})
        unassigned = reach.as_unassigned(reasons)
        return Solution((), unassigned, 0.0, engine, cancelled=reason == reach.CANCELLED)
    routes = tuple(
        build_route(sub, sub.vehicles[v], [kept[i] for i in order])
        for v, order in sorted(orders.routes.items())
    )
    dropped = tuple(Unassigned(kept[i].id, reach.NO_ROOM) for i in orders.dropped)
    return Solution(
        routes, reach.as_unassigned(reasons) + dropped, orders.cost, engine, orders.cancelled
    )
