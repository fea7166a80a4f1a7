"""The general engine: OR-Tools routing with every feature of the model (pairs, several load
dimensions, start and end depots, shifts, vehicle costs, soft windows).

Parallel cheapest insertion builds the first plan; guided local search improves it until the
time limit. Every stop may be left out at a penalty higher than any route could cost to serve
it, so an overloaded problem still gets a plan with the stops that do not fit left out,
rather than no answer.
"""

from __future__ import annotations

import time
from typing import Any

from ortools.constraint_solver import pywrapcp as _pywrapcp  # type: ignore[import-untyped]
from ortools.constraint_solver import routing_enums_pb2

from logistics.routing.engine import Orders
from logistics.routing.model import Objective, Problem, SolveOptions, Vehicle

cp: Any = _pywrapcp

LATE_SECOND_COST = 100
"""Cost of one second of lateness under ``Objective.ON_TIME``, in metres of distance."""


class _Nodes:
    """OR-Tools nodes: the distinct depots first, then one node per stop."""

    def __init__(self, problem: Problem) -> None:
        depots = sorted({loc for v in problem.vehicles for loc in (v.start, v.end)})
        self.depot_node = {loc: i for i, loc in enumerate(depots)}
        self.location = depots + [s.location for s in problem.stops]
        self.service = [0] * len(depots) + [s.service for s in problem.stops]
        self.first_stop = len(depots)

    def stop_node(self, stop_index: int) -> int:
        return self.first_stop + stop_index


def _arc_costs(problem: Problem, nodes: _Nodes, vehicle: Vehicle) -> list[list[int]]:
    loc, svc = nodes.location, nodes.service
    per_m = vehicle.cost_per_km  # thousandths of money per metre = money per km
    per_s = vehicle.cost_per_hour * 1000 / 3600
    by_duration = problem.objective is Objective.DURATION
    rows = []
    for i, a in enumerate(loc):
        row = []
        for b in loc:
            metres, seconds = problem.distance[a][b], problem.duration[a][b] + svc[i]
            base = seconds if by_duration else metres
            row.append(base + round(per_m * metres + per_s * seconds))
        rows.append(row)
    return rows


def _drop_penalty(costs: list[list[list[int]]], problem: Problem) -> int:
    worst_arc = max((max(max(row) for row in m) for m in costs), default=0)
    worst_fixed = max((round(v.fixed_cost * 1000) for v in problem.vehicles), default=0)
    late = problem.horizon() * LATE_SECOND_COST if problem.objective is Objective.ON_TIME else 0
    return 4 * (worst_arc + 1) + worst_fixed + late + 1000


def solve(problem: Problem, options: SolveOptions, deadline: float) -> Orders | None:
    """Plans ``problem`` until ``deadline`` (``time.monotonic``); None when the search was
    stopped before any plan was found."""
    nodes = _Nodes(problem)
    n_vehicles = len(problem.vehicles)
    manager = cp.RoutingIndexManager(
        len(nodes.location),
        n_vehicles,
        [nodes.depot_node[v.start] for v in problem.vehicles],
        [nodes.depot_node[v.end] for v in problem.vehicles],
    )
    routing = cp.RoutingModel(manager)
    solver = routing.solver()
    horizon = problem.horizon()

    classes: dict[tuple[float, float], int] = {}
    cost_tables: list[list[list[int]]] = []
    for v, vehicle in enumerate(problem.vehicles):
        key = (vehicle.cost_per_km, vehicle.cost_per_hour)
        if key not in classes:
            table = _arc_costs(problem, nodes, vehicle)
            cost_tables.append(table)
            classes[key] = routing.RegisterTransitMatrix(table)
        routing.SetArcCostEvaluatorOfVehicle(classes[key], v)
        fixed = round(vehicle.fixed_cost * 1000)
        if problem.objective is Objective.VEHICLES_THEN_DISTANCE:
            fixed += 4 * (max(max(row) for row in cost_tables[0]) + 1) * (len(problem.stops) + 1)
        routing.SetFixedCostOfVehicle(fixed, v)

    travel = [
        [problem.duration[a][b] + nodes.service[i] for b in nodes.location]
        for i, a in enumerate(nodes.location)
    ]
    time_dim_index = routing.RegisterTransitMatrix(travel)
    routing.AddDimension(time_dim_index, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    if problem.objective is Objective.DURATION:
        time_dim.SetSpanCostCoefficientForAllVehicles(1)

    position = {s.id: i for i, s in enumerate(problem.stops)}
    for d in range(problem.dimensions):
        amounts = [0] * len(nodes.location)
        for i, stop in enumerate(problem.stops):
            amounts[nodes.stop_node(i)] = problem.demand(stop)[d]
        for i, stop in enumerate(problem.stops):
            if stop.pickup is not None:
                amounts[nodes.stop_node(i)] = -amounts[nodes.stop_node(position[stop.pickup])]
        unlimited = sum(abs(a) for a in amounts) + 1
        capacities = [v.capacity[d] if v.capacity else unlimited for v in problem.vehicles]
        demand_index = routing.RegisterUnaryTransitVector(amounts)
        routing.AddDimensionWithVehicleCapacity(demand_index, 0, capacities, True, f"load{d}")

    penalty = _drop_penalty(cost_tables, problem)
    index_of = {s.id: manager.NodeToIndex(nodes.stop_node(i)) for i, s in enumerate(problem.stops)}
    for stop in problem.stops:
        index = index_of[stop.id]
        routing.AddDisjunction([index], penalty)
        cumul = time_dim.CumulVar(index)
        if stop.window is None:
            continue
        if problem.objective is Objective.ON_TIME:
            cumul.SetRange(stop.window.start, horizon)
            time_dim.SetCumulVarSoftUpperBound(index, stop.window.end, LATE_SECOND_COST)
        else:
            cumul.SetRange(stop.window.start, stop.window.end)
    for stop in problem.stops:
        if stop.pickup is None:
            continue
        pickup, delivery = index_of[stop.pickup], index_of[stop.id]
        routing.AddPickupAndDelivery(pickup, delivery)
        solver.Add(routing.VehicleVar(pickup) == routing.VehicleVar(delivery))
        solver.Add(routing.ActiveVar(pickup) == routing.ActiveVar(delivery))
        solver.Add(time_dim.CumulVar(pickup) <= time_dim.CumulVar(delivery))

    for v, vehicle in enumerate(problem.vehicles):
        start, end = routing.Start(v), routing.End(v)
        if vehicle.shift is not None:
            time_dim.CumulVar(start).SetRange(vehicle.shift.start, vehicle.shift.end)
            time_dim.CumulVar(end).SetRange(vehicle.shift.start, vehicle.shift.end)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))

    best = [float("inf")]
    cancelled = [False]

    def at_solution() -> None:
        cost = float(routing.CostVar().Value())
        if cost < best[0]:
            best[0] = cost
            if options.on_progress is not None:
                options.on_progress(cost)
        if options.should_stop is not None and options.should_stop():
            cancelled[0] = True
            routing.CancelSearch()

    routing.AddAtSolutionCallback(at_solution)

    params = cp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int((deadline - time.monotonic()) * 1000)))
    assignment = routing.SolveWithParameters(params)
    if assignment is None:
        return None
    routes: dict[int, list[int]] = {}
    served: set[int] = set()
    for v in range(n_vehicles):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        order = []
        while not routing.IsEnd(index):
            stop_index = manager.IndexToNode(index) - nodes.first_stop
            order.append(stop_index)
            served.add(stop_index)
            index = assignment.Value(routing.NextVar(index))
        if order:
            routes[v] = order
    dropped = [i for i in range(len(problem.stops)) if i not in served]
    return Orders(routes, dropped, float(assignment.ObjectiveValue()), cancelled[0])
