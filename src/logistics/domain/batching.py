"""Batch dispatch rules: which open tasks one rider may carry together (bundles), what a rider
carrying a bundle costs, and what a plan is worth. Pure: positions, capacities and the travel
times are given; the solver that picks the plan lives in ``services.dispatch.batch``.

The cost of rider r carrying bundle b, in whole seconds::

    cost(r, b) = round(tour_seconds(r, b) + mistimed(r, b)) - bundle_bonus_s * (len(b) - 1)

    tour_seconds: one task alone: from the rider's position through the task's steps in the
                  task's own order. Several tasks: from the rider's position to the nearest
                  pickup not yet visited, again until every pickup is visited, then on to the
                  nearest drop-off not yet visited until every drop-off is visited (nearest by
                  travel time; a tie goes to the task listed first). A rider who reaches a
                  pickup before the order is ready waits there for it.
    mistimed:     for each order not ready yet (``Job.ready_in_s`` > 0), how far the rider's
                  arrival at its pickup is from its readiness, early or late: an early rider
                  waits at the counter, a late one lets the order go cold. So among riders
                  who would all wait, the one arriving closest to readiness costs least, as
                  AutoDispatch offers such an order first to the rider timed best
                  (``domain.readiness``). An order ready now (or saying nothing) adds nothing.

The bonus for each task beyond the first is the price of sending one more rider: among plans
that assign the same number of tasks it comes to ``bundle_bonus_s`` per rider used, so one
rider carrying two tasks wins over two riders when its tour is shorter than their two tours
together plus ``bundle_bonus_s``.

A plan is worth ``sum(cost) + unassigned_penalty * unassigned tasks``; the penalty is larger
than any difference in total cost between plans, so a plan assigning more tasks always wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from logistics.domain.compliance import Capacity
from logistics.domain.fleet import VehicleType
from logistics.domain.tasks import StepKind, Task
from logistics.domain.telemetry import EARTH_RADIUS_M, haversine_m

Point = tuple[float, float]


class TravelTimes(Protocol):
    """What ``geo.distance.DistanceProvider`` offers: (metres, seconds) between two points."""

    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]: ...


@dataclass(frozen=True)
class BatchRules:
    max_bundle_size: int = 3
    # Two tasks share a pickup when their pickup outlet is the same, or their pickups are this
    # close.
    same_pickup_m: float = 100.0
    # Every two drop-offs of a bundle are at most this far apart (straight line).
    drop_off_radius_m: float = 1500.0
    bundle_bonus_s: int = 180
    # Bounds on the candidates at scale: each task is bundled only with its nearest compatible
    # tasks (by drop-off), and is offered alone, or in a bundle, only to the riders nearest its
    # pickup that can take it. They bind only on a task with more compatible tasks than
    # ``partners_per_task``, or on more riders than ``riders_per_task`` or
    # ``riders_per_bundle``; below that the candidates are every feasible pair.
    partners_per_task: int = 3
    riders_per_task: int = 20
    riders_per_bundle: int = 20


@dataclass(frozen=True)
class Job:
    """An open task as batching sees it."""

    id: str
    stops: tuple[Point, ...]  # every step, in the task's order
    pickup: Point
    drop_off: Point
    pickup_outlet: str | None
    # Only a plain delivery (one pickup, then one drop-off) may share a rider's trip.
    bundleable: bool
    weight_kg: float
    volume_l: float
    item_count: int
    # Seconds from the plan until the order is expected ready (0: ready, or nothing said).
    ready_in_s: float = 0.0
    # Which of ``stops`` is the pickup.
    pickup_stop: int = 0


@dataclass(frozen=True)
class Courier:
    """An available rider: where it is, what it rides, what it can carry (0: no limit) and
    how many more tasks it may hold."""

    id: str
    position: Point
    vehicle: VehicleType | None
    capacity: Capacity
    room: int


@dataclass(frozen=True)
class Candidate:
    """Courier ``courier`` carrying the jobs ``jobs`` (indices, in drop-off order)."""

    courier: int
    jobs: tuple[int, ...]
    cost: int


def job_of(task: Task, now: datetime | None = None) -> Job:
    """The task's pickup is its first pickup step (else its first step), its drop-off its last
    drop-off step (else its last step); its load is every item times its quantity; its
    readiness is counted from ``now`` (none given: ready)."""
    steps = task.steps
    first = next((i for i, s in enumerate(steps) if s.kind is StepKind.PICKUP), 0)
    pickup = steps[first]
    ready = task.ready_at
    drop_off = next((s for s in reversed(steps) if s.kind is StepKind.DROP_OFF), steps[-1])
    kinds = [s.kind for s in steps]
    return Job(
        id=str(task.id),
        stops=tuple((s.latitude, s.longitude) for s in steps),
        pickup=(pickup.latitude, pickup.longitude),
        drop_off=(drop_off.latitude, drop_off.longitude),
        pickup_outlet=pickup.outlet_id or task.outlet_id,
        bundleable=kinds == [StepKind.PICKUP, StepKind.DROP_OFF],
        weight_kg=sum(i.weight_kg * i.quantity for i in task.items),
        volume_l=sum(i.volume_l * i.quantity for i in task.items),
        item_count=sum(i.quantity for i in task.items),
        ready_in_s=max(0.0, (ready - now).total_seconds()) if ready and now else 0.0,
        pickup_stop=first,
    )


def compatible(a: Job, b: Job, rules: BatchRules) -> bool:
    """Two tasks one rider may carry together: both plain deliveries, from the same pickup,
    with drop-offs close to each other."""
    if not (a.bundleable and b.bundleable):
        return False
    same_outlet = a.pickup_outlet is not None and a.pickup_outlet == b.pickup_outlet
    if not same_outlet and _metres(a.pickup, b.pickup) > rules.same_pickup_m:
        return False
    return _metres(a.drop_off, b.drop_off) <= rules.drop_off_radius_m


def fits(jobs: Sequence[Job], capacity: Capacity) -> bool:
    """The jobs' total load is within the capacity in every limited dimension."""
    return (
        _within(sum(j.weight_kg for j in jobs), capacity.weight_kg)
        and _within(sum(j.volume_l for j in jobs), capacity.volume_l)
        and _within(sum(j.item_count for j in jobs), capacity.item_count)
    )


def bundles(jobs: Sequence[Job], rules: BatchRules) -> list[tuple[int, ...]]:
    """Every job alone, and every group of 2 to ``max_bundle_size`` jobs that are pairwise
    compatible and pairwise neighbours (one among the other's ``partners_per_task`` nearest
    compatible jobs, by drop-off). Groups are ascending tuples of indices."""
    if rules.max_bundle_size < 2:
        return [(i,) for i in range(len(jobs))]
    # Drop-offs further apart in latitude alone than the radius are never compatible: only a
    # window of jobs sorted by drop-off latitude needs the exact test.
    by_lat = sorted(range(len(jobs)), key=lambda i: jobs[i].drop_off[0])
    span = math.degrees(rules.drop_off_radius_m / EARTH_RADIUS_M)
    partners: list[list[tuple[float, int]]] = [[] for _ in jobs]
    for n, i in enumerate(by_lat):
        a = jobs[i]
        for j in by_lat[n + 1 :]:
            b = jobs[j]
            if b.drop_off[0] - a.drop_off[0] > span:
                break
            if compatible(a, b, rules):
                apart = _metres(a.drop_off, b.drop_off)
                partners[i].append((apart, j))
                partners[j].append((apart, i))
    near: list[set[int]] = [set() for _ in jobs]
    for i, found_for in enumerate(partners):
        for _, j in sorted(found_for)[: rules.partners_per_task]:
            near[i].add(j)
            near[j].add(i)
    found: list[tuple[int, ...]] = []

    def grow(group: tuple[int, ...], allowed: set[int]) -> None:
        found.append(group)
        if len(group) < rules.max_bundle_size:
            for k in sorted(n for n in allowed if n > group[-1]):
                grow((*group, k), allowed & near[k])

    for i in range(len(jobs)):
        grow((i,), near[i])
    return found


def tour(
    start: Point,
    jobs: Sequence[Job],
    vehicle: VehicleType | None,
    travel: TravelTimes,
) -> tuple[float, float, tuple[int, ...]]:
    """Seconds of the rider's tour over ``jobs`` (waits at pickups included), the seconds it
    is mistimed at the pickups of orders not ready yet (see the module's docstring), and the
    order of the drop-offs, as positions in ``jobs``."""
    if len(jobs) == 1:
        job = jobs[0]
        here, clock, mistimed = start, 0.0, 0.0
        for k, stop in enumerate(job.stops):
            clock += _seconds(here, stop, vehicle, travel)
            here = stop
            if k == job.pickup_stop:
                clock, mistimed = _at_pickup(clock, job.ready_in_s)
        return clock, mistimed, (0,)
    here, clock, mistimed = start, 0.0, 0.0
    left = list(range(len(jobs)))
    while left:
        leg, k = min((_seconds(here, jobs[k].pickup, vehicle, travel), k) for k in left)
        clock, off = _at_pickup(clock + leg, jobs[k].ready_in_s)
        mistimed += off
        here = jobs[k].pickup
        left.remove(k)
    to_drops, drops = _nearest_first(here, [j.drop_off for j in jobs], vehicle, travel)
    return clock + to_drops, mistimed, tuple(drops)


def _at_pickup(arrival: float, ready_in_s: float) -> tuple[float, float]:
    """When the rider leaves a pickup it reaches ``arrival`` seconds in, and how mistimed it
    is, for an order ready ``ready_in_s`` seconds in (0: ready now)."""
    if ready_in_s <= 0:
        return arrival, 0.0
    return max(arrival, ready_in_s), abs(arrival - ready_in_s)


def cost(
    courier: Courier, jobs: Sequence[Job], rules: BatchRules, travel: TravelTimes
) -> tuple[int, tuple[int, ...]]:
    """The cost of ``courier`` carrying ``jobs`` (see the module's docstring) and the order of
    its drop-offs, as positions in ``jobs``."""
    seconds, mistimed, order = tour(courier.position, jobs, courier.vehicle, travel)
    return round(seconds + mistimed) - rules.bundle_bonus_s * (len(jobs) - 1), order


def candidates(
    couriers: Sequence[Courier],
    jobs: Sequence[Job],
    rules: BatchRules,
    travel: TravelTimes,
) -> list[Candidate]:
    """Every (courier, bundle) pair the plan may choose from: the courier has room for the
    bundle's tasks and can carry their load, and is among the ``riders_per_task`` (one task)
    or ``riders_per_bundle`` (several) nearest the pickup of the bundle's first task that can
    (nearest by an equirectangular distance, exact enough to rank)."""
    nearest: dict[int, list[int]] = {}  # first job of a bundle -> couriers, nearest first
    found = []
    for group in bundles(jobs, rules):
        members = [jobs[i] for i in group]
        lead = group[0]
        if lead not in nearest:
            nearest[lead] = _by_distance(couriers, jobs[lead].pickup)
        wanted = rules.riders_per_task if len(group) == 1 else rules.riders_per_bundle
        able: list[int] = []
        for c in nearest[lead]:
            if len(able) == wanted:
                break
            if _takes(couriers[c], members):
                able.append(c)
        for c in sorted(able):
            value, order = cost(couriers[c], members, rules, travel)
            found.append(Candidate(c, tuple(group[k] for k in order), value))
    return found


def unassigned_penalty(options: Sequence[Candidate], couriers: int, jobs: int) -> int:
    """Larger than the difference in total cost between any two plans: a plan has at most
    ``min(couriers, jobs)`` pairs, each costing between -m and m."""
    largest = max((abs(c.cost) for c in options), default=0)
    return 2 * min(couriers, jobs) * largest + 1


def plan_value(chosen: Sequence[Candidate], jobs: int, penalty: int) -> int:
    """What the solver minimises."""
    assigned = sum(len(c.jobs) for c in chosen)
    return sum(c.cost for c in chosen) + penalty * (jobs - assigned)


def greedy_plan(options: Sequence[Candidate], jobs: int, penalty: int) -> list[Candidate]:
    """A quick feasible plan (the solver's starting point): pairs by their value per task
    once the penalty is taken off, best first, each taken if its courier and jobs are free."""
    ranked = sorted(options, key=lambda c: (c.cost - penalty * len(c.jobs)) / len(c.jobs))
    used_couriers: set[int] = set()
    used_jobs: set[int] = set()
    chosen = []
    for option in ranked:
        if option.courier in used_couriers or used_jobs.intersection(option.jobs):
            continue
        chosen.append(option)
        used_couriers.add(option.courier)
        used_jobs.update(option.jobs)
    return chosen


def _takes(courier: Courier, jobs: Sequence[Job]) -> bool:
    return len(jobs) <= courier.room and fits(jobs, courier.capacity)


def _nearest_first(
    start: Point, points: Sequence[Point], vehicle: VehicleType | None, travel: TravelTimes
) -> tuple[float, list[int]]:
    """Seconds of the nearest-neighbour path from ``start`` over ``points`` (a tie goes to
    the point listed first) and the order of the visits."""
    here, seconds, order = start, 0.0, []
    left = list(range(len(points)))
    while left:
        leg, k = min((_seconds(here, points[k], vehicle, travel), k) for k in left)
        seconds += leg
        here = points[k]
        left.remove(k)
        order.append(k)
    return seconds, order


def nearest_couriers(couriers: Sequence[Courier], point: Point) -> list[int]:
    """The couriers' indexes, nearest to ``point`` first (as the crow flies)."""
    return _by_distance(couriers, point)


def _by_distance(couriers: Sequence[Courier], point: Point) -> list[int]:
    scale = math.cos(math.radians(point[0])) ** 2

    def key(c: int) -> tuple[float, int]:
        lat, lng = couriers[c].position
        return ((lat - point[0]) ** 2 + scale * (lng - point[1]) ** 2, c)

    return sorted(range(len(couriers)), key=key)


def _within(load: float, limit: float) -> bool:
    return limit <= 0 or load <= limit


def _metres(a: Point, b: Point) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])


def _seconds(a: Point, b: Point, vehicle: VehicleType | None, travel: TravelTimes) -> float:
    return travel.travel(a[0], a[1], b[0], b[1], vehicle)[1]
