"""Route adherence's per-ping check (``domain.adherence.Follower.check``): CPU per ping for a
rider riding along a winding 40 km path of 2,000 vertices (a ping every 10 m, 5 m of GPS
noise, 10 m accuracy), and for one riding away from it (off route, 10 m per ping). The last
line printed is one JSON object. ``--naive`` searches the whole path on every ping instead,
for the ratio."""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import time

from logistics.domain.adherence import Corridor, Fix, Follower, OffState
from logistics.domain.telemetry import EARTH_RADIUS_M

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def at(east: float, north: float) -> tuple[float, float]:
    return (-1.28 + north / M_PER_DEG, 36.8 + east / (M_PER_DEG * math.cos(math.radians(-1.28))))


def road(vertices: int) -> list[tuple[float, float]]:
    points, east, north, heading = [], 0.0, 0.0, 0.0
    for _ in range(vertices):
        points.append(at(east, north))
        heading += random.uniform(-0.3, 0.3)
        east, north = east + 20 * math.cos(heading), north + 20 * math.sin(heading)
    return points


def per_ping_us(follower: Follower, fixes: list[Fix], naive: bool) -> float:
    corridor = follower.corridor
    start = time.process_time()
    if naive:
        for fix in fixes:
            corridor.distance(*corridor.xy(fix.latitude, fix.longitude), 0, -1.0, -1.0)
    else:
        for fix in fixes:
            follower.check(fix)
    return (time.process_time() - start) / len(fixes) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vertices", type=int, default=2000)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    random.seed(1)
    points = road(args.vertices)
    corridor = Corridor(points)
    on: list[Fix] = []
    for (a, b), (a2, b2) in itertools.pairwise(points):
        for t in (0.0, 0.5):
            noise_n, noise_e = random.gauss(0, 5) / M_PER_DEG, random.gauss(0, 5) / M_PER_DEG
            on.append(
                Fix(len(on) * 1000, a + (a2 - a) * t + noise_n, b + (b2 - b) * t + noise_e, 10)
            )
    off = [Fix(i * 1000, *at(5000 + i * 10, -3000), 10.0) for i in range(2000)]
    result = {
        "vertices": args.vertices,
        "naive": args.naive,
        "on_route_us_per_ping": round(
            per_ping_us(Follower(corridor, 50.0, 60_000, OffState()), on, args.naive), 2
        ),
        "off_route_us_per_ping": round(
            per_ping_us(Follower(corridor, 50.0, 60_000, OffState()), off, args.naive), 2
        ),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
