"""Route optimisation without servers: random problems checked by the independent checker,
infeasible input, cancellation, validation."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logistics.domain.errors import InvalidArgument
from logistics.routing import (
    Objective,
    Problem,
    SolveOptions,
    Stop,
    TimeWindow,
    Vehicle,
    reach,
    solve,
    violations,
)
from logistics.routing.runner import solve_in_process


def _matrix(points: list[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(math.dist(a, b)) for b in points) for a in points)


def random_problem(seed: int, *, pairs: bool, objective: Objective = Objective.DISTANCE) -> Problem:
    rnd = random.Random(seed)
    n = rnd.randint(1, 9)
    points = [(rnd.randint(0, 100), rnd.randint(0, 100)) for _ in range(n + 2)]
    stops: list[Stop] = []
    i = 0
    while i < n:
        window = None
        if rnd.random() < 0.7:
            start = rnd.randint(0, 300)
            window = TimeWindow(start, start + rnd.randint(20, 200))
        demand = (rnd.randint(0, 6), rnd.randint(0, 3))
        stops.append(Stop(f"s{i}", i + 2, rnd.randint(0, 15), window, demand))
        if pairs and i + 1 < n and rnd.random() < 0.5:
            stops.append(Stop(f"s{i + 1}", i + 3, rnd.randint(0, 15), None, (), pickup=f"s{i}"))
            i += 1
        i += 1
    vehicles = tuple(
        Vehicle(
            f"v{k}",
            start=0,
            end=rnd.choice([0, 1]),
            capacity=(rnd.randint(4, 12), rnd.randint(2, 6)),
            shift=TimeWindow(0, rnd.randint(250, 600)),
            cost_per_km=rnd.choice([0.0, 2.0]),
        )
        for k in range(rnd.randint(1, 3))
    )
    matrix = _matrix(points)
    return Problem(tuple(stops), vehicles, matrix, matrix, objective)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    pairs=st.booleans(),
    objective=st.sampled_from(list(Objective)),
    engine=st.sampled_from(["auto", "ortools"]),
)
def test_every_plan_of_a_random_problem_keeps_every_rule(
    seed: int, pairs: bool, objective: Objective, engine: str
) -> None:
    problem = random_problem(seed, pairs=pairs, objective=objective)
    solution = solve(problem, SolveOptions(time_limit=0.2, engine=engine))
    assert violations(problem, solution) == []


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_pyvrp_plans_of_plain_problems_keep_every_rule(seed: int) -> None:
    problem = random_problem(seed, pairs=False)
    plain = dataclasses.replace(
        problem, vehicles=tuple(dataclasses.replace(v, cost_per_km=0.0) for v in problem.vehicles)
    )
    solution = solve(plain, SolveOptions(time_limit=0.2))
    assert violations(plain, solution) == []
    if not solution.unassigned:
        assert solution.engine == "pyvrp"


def _line(n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(abs(a - b) * 10 for b in range(n)) for a in range(n))


def test_a_stop_too_heavy_or_out_of_reach_is_unassigned_with_its_reason() -> None:
    problem = Problem(
        stops=(
            Stop("ok", 1, demand=(3,)),
            Stop("heavy", 2, demand=(50,)),
            Stop("late", 3, window=TimeWindow(0, 5)),
        ),
        vehicles=(Vehicle("v", 0, 0, capacity=(10,), shift=TimeWindow(0, 1000)),),
        distance=_line(4),
        duration=_line(4),
    )
    solution = solve(problem, SolveOptions(time_limit=0.5))
    reasons = {u.stop_id: u.reason for u in solution.unassigned}
    assert reasons == {"heavy": reach.TOO_HEAVY, "late": reach.OUT_OF_REACH}
    assert [v.stop_id for r in solution.routes for v in r.visits] == ["ok"]
    assert violations(problem, solution) == []


def test_more_stops_than_the_fleet_can_serve_get_a_partial_plan_quickly() -> None:
    # Each stop alone fits; together they need ten times the one vehicle's capacity.
    stops = tuple(Stop(f"s{i}", i + 1, demand=(5,)) for i in range(20))
    problem = Problem(
        stops,
        (Vehicle("v", 0, 0, capacity=(10,)),),
        _line(21),
        _line(21),
    )
    started = time.monotonic()
    solution = solve(problem, SolveOptions(time_limit=1.0))
    assert time.monotonic() - started < 3
    assert sum(len(r.visits) for r in solution.routes) == 2
    assert {u.reason for u in solution.unassigned} == {reach.NO_ROOM}
    assert len(solution.unassigned) == 18
    assert violations(problem, solution) == []


def test_a_pair_is_served_by_one_vehicle_pickup_first() -> None:
    problem = Problem(
        stops=(
            Stop("drop", 1, pickup="pick"),
            Stop("pick", 3, demand=(4,)),
        ),
        vehicles=(Vehicle("v", 0, 0, capacity=(4,)),),
        distance=_line(4),
        duration=_line(4),
    )
    solution = solve(problem, SolveOptions(time_limit=0.5))
    assert solution.engine == "ortools"
    (route,) = solution.routes
    assert [v.stop_id for v in route.visits] == ["pick", "drop"]
    assert [v.load_after for v in route.visits] == [(4,), (0,)]
    assert violations(problem, solution) == []


def test_a_route_leaves_as_late_as_its_first_window_allows() -> None:
    problem = Problem(
        stops=(Stop("a", 1, service=5, window=TimeWindow(100, 200)),),
        vehicles=(Vehicle("v", 0, 0, shift=TimeWindow(0, 500)),),
        distance=_line(2),
        duration=_line(2),
    )
    (route,) = solve(problem, SolveOptions(time_limit=0.3)).routes
    assert (route.start_time, route.visits[0].arrival, route.end_time) == (90, 100, 115)


def test_the_checker_reports_a_broken_plan() -> None:
    problem = random_problem(7, pairs=True)
    problem = dataclasses.replace(problem, stops=(Stop("a", 2, window=TimeWindow(0, 1000)),))
    solution = solve(problem, SolveOptions(time_limit=0.2))
    route = solution.routes[0]
    early = dataclasses.replace(route.visits[0], arrival=-1)
    broken = dataclasses.replace(
        solution, routes=(dataclasses.replace(route, visits=(early,), distance=1),)
    )
    found = violations(problem, broken)
    assert any("faster than the travel time" in v for v in found)
    assert any("reports 1 of distance" in v for v in found)
    assert violations(problem, dataclasses.replace(solution, routes=())) == [
        "stop a appears 0 times (routed or unassigned)"
    ]


def test_bad_input_names_every_bad_field() -> None:
    problem = Problem(
        stops=(
            Stop("a", 9, demand=(1, 1, 1)),
            Stop("a", 1, window=TimeWindow(50, 10)),
            Stop("c", 1, pickup="nobody"),
        ),
        vehicles=(Vehicle("v", 0, 0, capacity=(1, 2)), Vehicle("w", 0, 0, cost_per_km=-1)),
        distance=_line(3),
        duration=_line(3),
    )
    with pytest.raises(InvalidArgument) as caught:
        solve(problem, SolveOptions(time_limit=0.2))
    fields = {v.field for v in caught.value.violations}
    assert fields == {
        "stops[0].id",
        "stops[0].location",
        "stops[1].id",
        "stops[1].window",
        "stops[2].pickup_stop_id",
        "vehicles[0].capacity",
        "vehicles[1].cost_per_km",
    }


def _big(n: int, seed: int = 3) -> Problem:
    rnd = random.Random(seed)
    points = [(rnd.randint(0, 1000), rnd.randint(0, 1000)) for _ in range(n + 1)]
    matrix = _matrix(points)
    stops = tuple(Stop(f"s{i}", i + 1, demand=(1,)) for i in range(n))
    vehicles = tuple(Vehicle(f"v{k}", 0, 0, capacity=(15,)) for k in range(n // 10))
    return Problem(stops, vehicles, matrix, matrix)


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_a_search_stops_when_asked_and_reports_progress(engine: str) -> None:
    progress: list[float] = []
    options = SolveOptions(
        time_limit=30,
        engine=engine,
        on_progress=progress.append,
        should_stop=lambda: len(progress) >= 2,
    )
    started = time.monotonic()
    solution = solve(_big(120), options)
    assert time.monotonic() - started < 10
    assert solution.cancelled
    assert progress == sorted(progress, reverse=True)
    assert solution.routes


async def test_cancelling_a_solve_in_process_ends_it_at_once() -> None:
    seen: list[float] = []
    task = asyncio.create_task(solve_in_process(_big(150), 60, on_progress=seen.append))
    for _ in range(200):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen, "no progress reported"
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 3


async def test_a_solve_in_process_returns_the_plan_and_rejects_bad_input() -> None:
    problem = _big(30)
    solution = await solve_in_process(problem, 0.5)
    assert violations(problem, solution) == []
    assert not solution.unassigned
    with pytest.raises(InvalidArgument):
        await solve_in_process(dataclasses.replace(problem, vehicles=()), 0.5)
