"""Simulated days at full speed, for measuring ETAs: the orders of ``sim.orders`` carried by
riders of ``sim.city``'s vehicle mix through the hidden speed field of ``sim.traffic``, as the
legs they rode (where from, where to, when, how long it really took) and the stops they made
(how long each took). The same seed gives the same days. Pure."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from logistics.sim import city, traffic
from logistics.sim.demand import SimClock
from logistics.sim.motion import SPEEDS_MPS, Point, distance_m, offset, straight_path
from logistics.sim.orders import orders

NAIROBI = timezone(timedelta(hours=3), "EAT")
# A stop's usual service time before the hidden factors (seconds).
SERVICE_S = {"pickup": 150.0, "dropoff": 90.0}
# Unexplained variation: per-leg incidents, per-stop luck (log-normal sigmas).
LEG_NOISE = 0.10
STOP_NOISE = {"pickup": 0.35, "dropoff": 0.45}


@dataclass(frozen=True)
class Leg:
    start: datetime
    origin: Point
    destination: Point
    vehicle: str
    actual_s: float


@dataclass(frozen=True)
class Stop:
    kind: str  # pickup | dropoff
    arrive: datetime
    where: Point
    seconds: float


@dataclass(frozen=True)
class Day:
    legs: list[Leg]
    stops: list[Stop]


def ride_seconds(rng: random.Random, a: Point, b: Point, vehicle: str, start: datetime) -> float:
    """How long the ride from ``a`` to ``b`` takes: along the street grid, 150 m at a time at
    the rider's pace for this leg (as ``sim.rider`` draws it), each stretch's traffic and the
    hidden field where and when the rider is, then an incident factor."""
    pace = SPEEDS_MPS.get(vehicle, 7.0) * rng.uniform(0.75, 1.15)
    path = straight_path(a, b)
    seconds = 0.0
    for here, there in itertools.pairwise(path):
        metres = distance_m(here, there)
        middle = Point((here.lat + there.lat) / 2, (here.lng + there.lng) / 2)
        now = start + timedelta(seconds=seconds)
        speed = pace * rng.uniform(0.6, 1.25) * traffic.speed_factor(middle, now)
        seconds += metres / speed
    return max(1.0, seconds * math.exp(rng.gauss(0.0, LEG_NOISE)))


def stop_seconds(rng: random.Random, kind: str, where: Point, at: datetime) -> float:
    base = SERVICE_S[kind] * traffic.service_factor(kind, where, at)
    return base * math.exp(rng.gauss(0.0, STOP_NOISE[kind]))


def day(seed: int, date: datetime, orders_per_hour: float) -> Day:
    """The legs and stops of the day starting at ``date`` (local midnight): each order's rider
    rides from near the outlet to it (an idle rider within a kilometre or two), waits the pickup,
    rides to the drop-off and hands over."""
    rng = random.Random(f"{seed}-{date.date().isoformat()}-riders")
    clock = SimClock(date, 1.0)
    legs: list[Leg] = []
    stops: list[Stop] = []
    vehicles = [v for v, _ in city.VEHICLES]
    weights = [w for _, w in city.VEHICLES]
    for order in orders(seed * 100_003 + date.toordinal(), orders_per_hour, clock):
        if order.at_s >= 86_400:
            break
        vehicle = rng.choices(vehicles, weights)[0]
        outlet = order.outlet.location
        reach = rng.uniform(200.0, 2000.0)
        angle = rng.uniform(0.0, 2 * math.pi)
        here = offset(outlet, reach * math.cos(angle), reach * math.sin(angle))
        t = clock.at(order.at_s) + timedelta(seconds=rng.uniform(20.0, 90.0))
        for kind, target in (("pickup", outlet), ("dropoff", order.drop_off)):
            seconds = ride_seconds(rng, here, target, vehicle, t)
            legs.append(Leg(t, here, target, vehicle, seconds))
            t += timedelta(seconds=seconds)
            service = stop_seconds(rng, kind, target, t)
            stops.append(Stop(kind, t, target, service))
            t += timedelta(seconds=service)
            here = target
    return Day(legs, stops)


def days(seed: int, first: datetime, count: int, orders_per_hour: float) -> Iterator[Day]:
    """``count`` days from local midnight of ``first``."""
    midnight = first.astimezone(NAIROBI).replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(count):
        yield day(seed, midnight + timedelta(days=i), orders_per_hour)
