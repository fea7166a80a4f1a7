"""The orders a seeded city places: when (under the day curve), from which outlet, to where,
with which delivery window and proofs. The same seed gives the same orders. Pure."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from logistics.sim import city
from logistics.sim.demand import SimClock, next_order_in
from logistics.sim.motion import Point, offset


@dataclass(frozen=True)
class Order:
    number: int
    # Wall-clock seconds after the run started at which the order is placed.
    at_s: float
    outlet: city.Outlet
    drop_off: Point
    customer: str
    code: str
    # Minutes from placing to the promised pickup and delivery.
    pickup_within_min: int
    deliver_within_min: int
    items: int
    cold: bool


def orders(seed: int, per_hour: float, clock: SimClock) -> Iterator[Order]:
    """An endless stream of orders in time order."""
    rng = random.Random(f"{seed}-orders")
    elapsed = 0.0
    number = 0
    while True:
        elapsed += next_order_in(rng, clock, elapsed, per_hour)
        if math.isinf(elapsed):
            return
        number += 1
        outlet = rng.choice(city.OUTLETS)
        centre, spread = min(
            city.NEIGHBOURHOODS,
            key=lambda n: abs(rng.gauss(0, 1)) * 2000 + _km(n[0], outlet.location) * 1000,
        )
        distance, angle = abs(rng.gauss(0, spread / 2)), rng.uniform(0, 2 * math.pi)
        drop = offset(centre, distance * math.cos(angle), distance * math.sin(angle))
        yield Order(
            number=number,
            at_s=elapsed,
            outlet=outlet,
            drop_off=drop,
            customer=f"{rng.choice(city.FIRST)} {rng.choice(city.LAST)}",
            code=f"{rng.randrange(10**4):04d}",
            pickup_within_min=rng.choice((10, 15, 20)),
            deliver_within_min=rng.choice((35, 45, 60)),
            items=rng.randint(1, 5),
            cold=outlet.id.startswith(("naivas", "carrefour")) and rng.random() < 0.3,
        )


def _km(a: Point, b: Point) -> float:
    return math.hypot(a.lat - b.lat, a.lng - b.lng) * 111.0
