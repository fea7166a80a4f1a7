"""Batch dispatch without servers: which tasks may share a rider, the cost formula, and the
solver's plan against a brute force over every feasible matching of riders to bundles."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from logistics.domain.batching import (
    BatchRules,
    Candidate,
    Courier,
    Job,
    bundles,
    candidates,
    compatible,
    cost,
    fits,
    job_of,
)
from logistics.domain.compliance import Capacity
from logistics.domain.fleet import VehicleType
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.geo.distance import StraightLine
from logistics.services.dispatch.batch import plan

NAIROBI = (-1.2864, 36.8172)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
RULES = BatchRules()
NO_LIMIT = Capacity()
# On six tasks or fewer no bound on the candidates binds: each task may pair with any other.
SMALL = BatchRules(partners_per_task=5)


def at(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    """A point this many metres north and east of the city centre."""
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def job(
    name: str,
    pickup: tuple[float, float],
    drop_off: tuple[float, float],
    *,
    outlet: str | None = None,
    weight: float = 0.0,
    volume: float = 0.0,
    items: int = 1,
) -> Job:
    return Job(name, (pickup, drop_off), pickup, drop_off, outlet, True, weight, volume, items)


def courier(
    name: str,
    position: tuple[float, float],
    *,
    capacity: Capacity = NO_LIMIT,
    room: int = 3,
    vehicle: VehicleType | None = VehicleType.MOTORBIKE,
) -> Courier:
    return Courier(name, position, vehicle, capacity, room)


class Grid:
    """Travel on a grid of whole seconds: one second per metre north plus one per metre east,
    whatever the vehicle (so the expected costs can be worked out by hand)."""

    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        north = abs(lat2 - lat1) * M_PER_DEG
        east = abs(lng2 - lng1) * M_PER_DEG * math.cos(math.radians(NAIROBI[0]))
        return north + east, north + east


# --- which tasks may share a trip --------------------------------------------------------------


def test_a_task_is_seen_from_its_pickup_to_its_last_drop_off_with_items_times_quantity() -> None:
    task = Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        outlet_id="java-house",
        steps=(
            Step("p", StepKind.PICKUP, *at(0)),
            Step("d", StepKind.DROP_OFF, *at(500)),
        ),
        items=(Item(quantity=3, weight_kg=1.5, volume_l=2.0), Item(weight_kg=4.0)),
    )
    seen = job_of(task)
    assert (seen.pickup, seen.drop_off, seen.pickup_outlet) == (at(0), at(500), "java-house")
    assert (seen.weight_kg, seen.volume_l, seen.item_count) == (8.5, 6.0, 4)
    assert seen.bundleable


def test_only_a_plain_pickup_then_drop_off_may_share_a_trip() -> None:
    steps = (
        Step("p", StepKind.PICKUP, *at(0)),
        Step("h", StepKind.HUB, *at(100)),
        Step("d", StepKind.DROP_OFF, *at(500)),
    )
    multi = job_of(Task(id=uuid.uuid4(), kind=TaskKind.TRANSFER, steps=steps))
    plain = job("plain", at(0), at(500))
    assert not multi.bundleable
    assert multi.drop_off == at(500)
    assert not compatible(multi, plain, RULES)
    assert bundles([multi, plain], RULES) == [(0,), (1,)]


@pytest.mark.parametrize(
    ("second_pickup", "outlets", "expected"),
    [
        (at(0, 500), ("a", "a"), True),  # the same outlet, wherever its pin is
        (at(0, 90), ("a", "b"), True),  # another outlet next door
        (at(0, 90), (None, None), True),
        (at(0, 150), ("a", "b"), False),
        (at(0, 150), (None, None), False),
    ],
)
def test_tasks_share_a_trip_only_from_the_same_pickup(
    second_pickup: tuple[float, float], outlets: tuple[str | None, str | None], expected: bool
) -> None:
    a = job("a", at(0), at(1000), outlet=outlets[0])
    b = job("b", second_pickup, at(1200), outlet=outlets[1])
    assert compatible(a, b, RULES) is expected
    assert compatible(b, a, RULES) is expected


@pytest.mark.parametrize(("apart_m", "expected"), [(1400, True), (1500 - 1, True), (1600, False)])
def test_tasks_share_a_trip_only_with_drop_offs_close_together(
    apart_m: float, expected: bool
) -> None:
    a = job("a", at(0), at(2000), outlet="o")
    b = job("b", at(0), at(2000, apart_m), outlet="o")
    assert compatible(a, b, RULES) is expected


def test_capacity_limits_every_dimension_and_zero_means_no_limit() -> None:
    two = [job("a", at(0), at(1), weight=6, volume=10, items=2), job("b", at(0), at(1), weight=5)]
    assert fits(two, Capacity())
    assert fits(two, Capacity(weight_kg=11, volume_l=10, item_count=3))
    assert not fits(two, Capacity(weight_kg=10.9))
    assert not fits(two, Capacity(volume_l=9))
    assert not fits(two, Capacity(item_count=2))


def test_a_bundle_holds_tasks_compatible_two_by_two_and_at_most_three() -> None:
    # a-b and b-c are close enough, a-c are not: {a, b, c} would stretch too far.
    chain = [
        job("a", at(0), at(3000), outlet="o"),
        job("b", at(0), at(3000, 1000), outlet="o"),
        job("c", at(0), at(3000, 2000), outlet="o"),
    ]
    assert bundles(chain, RULES) == [(0,), (0, 1), (1,), (1, 2), (2,)]
    close = [job(str(i), at(0), at(3000, 10 * i), outlet="o") for i in range(4)]
    found = bundles(close, BatchRules(partners_per_task=10))
    assert max(len(b) for b in found) == 3
    assert len(found) == 4 + 6 + 4  # every single, pair and triple of four


# --- the cost formula -----------------------------------------------------------------------


def test_one_task_costs_the_trip_to_its_pickup_and_on_through_its_steps() -> None:
    rider = courier("r", at(0))
    task = job("a", at(300, 400), at(1000, 400))
    assert cost(rider, [task], RULES, Grid()) == (700 + 700, (0,))


def test_a_bundle_costs_its_nearest_first_tour_less_a_bonus_per_extra_task() -> None:
    rider = courier("r", at(0))
    far = job("far", at(100), at(1100), outlet="o")
    near = job("near", at(100), at(600), outlet="o")
    # 100 s to the pickup, 0 s to the second pickup, 500 s to the nearer drop-off, 500 s on.
    assert cost(rider, [far, near], RULES, Grid()) == (1100 - RULES.bundle_bonus_s, (1, 0))
    three = [far, near, job("mid", at(100), at(800), outlet="o")]
    assert cost(rider, three, RULES, Grid()) == (1100 - 2 * RULES.bundle_bonus_s, (1, 2, 0))


def test_pickups_are_visited_nearest_first_before_any_drop_off() -> None:
    rider = courier("r", at(0))
    a = job("a", at(80), at(500))
    b = job("b", at(20), at(400))
    # 20 s to b's pickup, 60 s to a's, 320 s back down to b's drop-off, 100 s to a's.
    assert cost(rider, [a, b], RULES, Grid()) == (500 - RULES.bundle_bonus_s, (1, 0))


def test_a_tie_goes_to_the_task_listed_first() -> None:
    rider = courier("r", at(0))
    a = job("a", at(0), at(0, 300), outlet="o")
    b = job("b", at(0), at(0, -300), outlet="o")
    assert cost(rider, [a, b], RULES, Grid())[1] == (0, 1)
    assert cost(rider, [b, a], RULES, Grid())[1] == (0, 1)


def test_an_early_rider_waits_for_the_order_and_pays_for_the_wait_again() -> None:
    task = dataclasses.replace(job("a", at(0), at(1000)), ready_in_s=600)
    # 100 s to the pickup, 500 s waiting there, 1000 s on: 1,600 s, mistimed by 500 s.
    assert cost(courier("early", at(-100)), [task], RULES, Grid())[0] == 1600 + 500
    # Arriving as the order is ready: 600 s, then 1000 s on, on time.
    assert cost(courier("timed", at(-600)), [task], RULES, Grid())[0] == 1600
    # 300 s late: the order waits instead of the rider.
    assert cost(courier("late", at(-900)), [task], RULES, Grid())[0] == 1900 + 300


def test_an_order_ready_now_or_saying_nothing_costs_the_plain_trip() -> None:
    plain = job("a", at(0), at(1000))
    ready = dataclasses.replace(plain, ready_in_s=0.0)
    rider = courier("r", at(-100))
    assert (
        cost(rider, [plain], RULES, Grid()) == cost(rider, [ready], RULES, Grid()) == (1100, (0,))
    )


def test_each_pickup_of_a_bundle_is_timed_to_its_own_order() -> None:
    rider = courier("r", at(0))
    a = dataclasses.replace(job("a", at(100), at(600), outlet="o"), ready_in_s=300)
    b = job("b", at(100), at(1100), outlet="o")
    # 100 s to the pickup, waiting for a until 300 s (mistimed 200 s), then 500 + 500 s.
    assert cost(rider, [a, b], RULES, Grid()) == (1300 + 200 - RULES.bundle_bonus_s, (0, 1))


def test_an_order_not_ready_yet_goes_to_the_rider_arriving_about_then() -> None:
    task = dataclasses.replace(job("a", at(0), at(1000)), ready_in_s=600)
    riders = [courier("near", at(-100)), courier("timed", at(-650))]
    assert [c.courier for c in plan(riders, [task], RULES, Grid()).chosen] == [1]
    ready = job("b", at(0), at(1000))
    assert [c.courier for c in plan(riders, [ready], RULES, Grid()).chosen] == [0]


def test_readiness_is_counted_from_the_plan_and_a_marked_order_is_ready() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    steps = (Step("p", StepKind.PICKUP, *at(0)), Step("d", StepKind.DROP_OFF, *at(500)))
    task = Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=steps,
        ready_time=now + timedelta(minutes=12),
    )
    assert job_of(task, now).ready_in_s == 720
    assert job_of(task).ready_in_s == 0  # no time to count from: as if ready
    marked = dataclasses.replace(task, mark_ready_time=now - timedelta(minutes=1))
    assert job_of(marked, now).ready_in_s == 0
    late = dataclasses.replace(task, ready_time=now - timedelta(minutes=5))
    assert job_of(late, now).ready_in_s == 0


def test_the_riders_vehicle_sets_the_speed() -> None:
    task = job("a", at(0), at(1000))
    slow = cost(courier("r", at(0), vehicle=VehicleType.ON_FOOT), [task], RULES, StraightLine())
    fast = cost(courier("r", at(0), vehicle=VehicleType.MOTORBIKE), [task], RULES, StraightLine())
    assert slow[0] == round(1000 * 1.35 / 1.3)
    assert fast[0] == round(1000 * 1.35 / 8.5)


def test_a_rider_is_offered_only_what_it_has_room_and_capacity_for() -> None:
    tasks = [job(str(i), at(0), at(1000, 100 * i), outlet="o", weight=4) for i in range(3)]
    riders = [
        courier("small", at(0), capacity=Capacity(weight_kg=5)),
        courier("one-more", at(0), room=1),
        courier("big", at(0), capacity=Capacity(weight_kg=12)),
    ]
    offered = candidates(riders, tasks, RULES, StraightLine())
    sizes = {riders[c].id: {len(o.jobs) for o in offered if o.courier == c} for c in range(3)}
    assert sizes == {"small": {1}, "one-more": {1}, "big": {1, 2, 3}}


# --- the plan: optimal on small cases, checked by brute force -------------------------------


def random_case(rnd: random.Random) -> tuple[list[Courier], list[Job]]:
    """Up to 5 riders and 6 tasks from one or two outlets with drop-offs a few km around, so
    that some tasks may share a trip and some may not; tight capacities and little room."""
    outlets = [("o1", at(0)), ("o2", at(rnd.choice([40, 300]), 0))]
    tasks = []
    for i in range(rnd.randint(1, 6)):
        name, pickup = rnd.choice(outlets)
        tasks.append(
            job(
                f"t{i}",
                pickup,
                at(rnd.uniform(-2500, 2500), rnd.uniform(-2500, 2500)),
                outlet=name if rnd.random() < 0.8 else None,
                weight=rnd.choice([0, 2, 5]),
                items=rnd.randint(1, 3),
            )
        )
    riders = [
        courier(
            f"r{i}",
            at(rnd.uniform(-4000, 4000), rnd.uniform(-4000, 4000)),
            capacity=rnd.choice(
                [Capacity(), Capacity(weight_kg=6), Capacity(item_count=4), Capacity(5, 0, 3)]
            ),
            room=rnd.randint(1, 3),
            vehicle=rnd.choice([VehicleType.MOTORBIKE, VehicleType.BICYCLE, None]),
        )
        for i in range(rnd.randint(1, 5))
    ]
    return riders, tasks


def brute_force(riders: Sequence[Courier], tasks: Sequence[Job]) -> tuple[int, int]:
    """The best (most tasks assigned, then least total cost) over every way to give each rider
    nothing or one bundle it can carry, no task twice. Bundles: every group of up to three
    tasks that are compatible two by two."""
    groups = [
        g
        for size in (1, 2, 3)
        for g in itertools.combinations(range(len(tasks)), size)
        if all(compatible(tasks[a], tasks[b], SMALL) for a, b in itertools.combinations(g, 2))
    ]
    options = [
        [
            (frozenset(g), cost(rider, [tasks[i] for i in g], SMALL, StraightLine())[0])
            for g in groups
            if len(g) <= rider.room and fits([tasks[i] for i in g], rider.capacity)
        ]
        for rider in riders
    ]
    best = (0, 0)  # (-assigned, cost): the smallest wins

    def visit(r: int, used: frozenset[int], assigned: int, total: int) -> None:
        nonlocal best
        if r == len(riders):
            best = min(best, (-assigned, total))
            return
        visit(r + 1, used, assigned, total)
        for group, value in options[r]:
            if used.isdisjoint(group):
                visit(r + 1, used | group, assigned + len(group), total + value)

    visit(0, frozenset(), 0, 0)
    return -best[0], best[1]


def check_feasible(
    chosen: Sequence[Candidate], riders: Sequence[Courier], tasks: Sequence[Job]
) -> None:
    assert len({c.courier for c in chosen}) == len(chosen), "a rider twice"
    placed = [j for c in chosen for j in c.jobs]
    assert len(placed) == len(set(placed)), "a task twice"
    for c in chosen:
        members = [tasks[j] for j in c.jobs]
        rider = riders[c.courier]
        assert len(members) <= rider.room
        assert fits(members, rider.capacity), "capacity exceeded"
        for a, b in itertools.combinations(members, 2):
            assert compatible(a, b, RULES)
        assert c.cost == cost(rider, members, RULES, StraightLine())[0]


def test_the_plan_is_as_good_as_the_best_of_every_feasible_matching() -> None:
    rnd = random.Random(20240601)
    bundled = 0
    for case in range(300):
        riders, tasks = random_case(rnd)
        solution = plan(riders, tasks, SMALL, StraightLine(), time_limit_s=10)
        check_feasible(solution.chosen, riders, tasks)
        got = (sum(len(c.jobs) for c in solution.chosen), sum(c.cost for c in solution.chosen))
        assert solution.optimal, f"case {case}"
        assert got == brute_force(riders, tasks), f"case {case}: {riders} {tasks}"
        bundled += any(len(c.jobs) > 1 for c in solution.chosen)
    assert bundled > 30  # the cases do exercise shared trips


def test_two_tasks_go_on_one_trip_when_a_second_rider_would_cost_more() -> None:
    tasks = [job("a", at(0), at(1000), outlet="o"), job("b", at(0), at(1100), outlet="o")]
    near = courier("near", at(-100))
    far = courier("far", at(-3000))
    solution = plan([near, far], tasks, RULES, StraightLine())
    assert [(c.courier, c.jobs) for c in solution.chosen] == [(0, (0, 1))]


def test_assigning_one_more_task_beats_any_saving_in_cost() -> None:
    # Two tasks from outlets 5 km apart: the near rider may hold one more task only, so the
    # other goes to a rider 20 km away rather than wait.
    tasks = [job("a", at(0), at(500), outlet="o1"), job("b", at(0, 5000), at(500, 5000))]
    riders = [courier("near", at(0, 2500), room=1), courier("far", at(-20000))]
    solution = plan(riders, tasks, RULES, StraightLine())
    assert sorted(j for c in solution.chosen for j in c.jobs) == [0, 1]
    assert {c.courier for c in solution.chosen} == {0, 1}


def test_riders_left_over_by_the_capped_candidates_still_take_the_tasks_left_waiting() -> None:
    # Each task is offered only to its single nearest rider, the same one for all: the fill
    # gives the others to the riders left idle.
    tasks = [job(f"t{i}", at(0), at(800 * i + 400, 0)) for i in range(3)]
    riders = [courier(f"r{i}", at(-100 * (i + 1)), room=1) for i in range(3)]
    capped = BatchRules(riders_per_task=1, riders_per_bundle=1)
    solution = plan(riders, tasks, capped, StraightLine())
    check_feasible(solution.chosen, riders, tasks)
    assert sorted(j for c in solution.chosen for j in c.jobs) == [0, 1, 2]


def test_a_task_no_rider_can_carry_is_left_out() -> None:
    tasks = [job("light", at(0), at(500), weight=1), job("heavy", at(0), at(600), weight=50)]
    riders = [courier(f"r{i}", at(10 * i), capacity=Capacity(weight_kg=20)) for i in range(2)]
    solution = plan(riders, tasks, RULES, StraightLine())
    assert [c.jobs for c in solution.chosen] == [(0,)]
