"""Checks a problem before any solver sees it: every bad field is named at once."""

from __future__ import annotations

import math
from collections import Counter

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.routing.model import Problem, TimeWindow

MAX_STOPS = 5000
MAX_VEHICLES = 1000


def _window(path: str, window: TimeWindow | None, bad: list[FieldViolation]) -> None:
    if window is not None and not 0 <= window.start <= window.end:
        bad.append(
            FieldViolation(path, "must start at or after the origin and end after it starts")
        )


def _matrices(problem: Problem, bad: list[FieldViolation]) -> int:
    size = len(problem.distance)
    for name, matrix in (("distance", problem.distance), ("duration", problem.duration)):
        if len(matrix) != size or any(len(row) != size for row in matrix):
            bad.append(FieldViolation(name, f"must be a square {size} x {size} matrix"))
        elif any(value < 0 for row in matrix for value in row):
            bad.append(FieldViolation(name, "must not be negative"))
    return size


def validate(problem: Problem) -> None:
    """Raises ``InvalidArgument`` naming every bad field of ``problem``."""
    bad: list[FieldViolation] = []
    size = _matrices(problem, bad)
    if not problem.vehicles:
        bad.append(FieldViolation("vehicles", "at least one vehicle is required"))
    if len(problem.vehicles) > MAX_VEHICLES:
        bad.append(FieldViolation("vehicles", f"at most {MAX_VEHICLES} vehicles"))
    if len(problem.stops) > MAX_STOPS:
        bad.append(FieldViolation("stops", f"at most {MAX_STOPS} stops"))
    dims = problem.dimensions
    ids = Counter(s.id for s in problem.stops)
    by_id = {s.id: s for s in problem.stops}
    deliveries = Counter(s.pickup for s in problem.stops if s.pickup is not None)
    for i, stop in enumerate(problem.stops):
        path = f"stops[{i}]"
        if not stop.id or ids[stop.id] > 1:
            bad.append(FieldViolation(f"{path}.id", "must be present and unique"))
        if not 0 <= stop.location < size:
            bad.append(FieldViolation(f"{path}.location", "is not a point of the matrices"))
        if stop.service < 0:
            bad.append(FieldViolation(f"{path}.service_seconds", "must not be negative"))
        if any(d < 0 for d in stop.demand):
            bad.append(FieldViolation(f"{path}.demand", "must not be negative"))
        _window(f"{path}.window", stop.window, bad)
        if stop.pickup is not None:
            pickup = by_id.get(stop.pickup)
            if pickup is None or pickup is stop or pickup.pickup is not None:
                bad.append(
                    FieldViolation(
                        f"{path}.pickup_stop_id", "must name another stop that is a pickup"
                    )
                )
            elif deliveries[stop.pickup] > 1:
                bad.append(FieldViolation(f"{path}.pickup_stop_id", "pairs with one delivery only"))
            elif stop.demand and problem.demand(stop) != problem.demand(pickup):
                bad.append(
                    FieldViolation(f"{path}.demand", "a delivery carries its pickup's demand")
                )
    vehicle_ids = Counter(v.id for v in problem.vehicles)
    for i, vehicle in enumerate(problem.vehicles):
        path = f"vehicles[{i}]"
        if not vehicle.id or vehicle_ids[vehicle.id] > 1:
            bad.append(FieldViolation(f"{path}.id", "must be present and unique"))
        for name, location in (("start", vehicle.start), ("end", vehicle.end)):
            if not 0 <= location < size:
                bad.append(FieldViolation(f"{path}.{name}", "is not a point of the matrices"))
        if vehicle.capacity and len(vehicle.capacity) != dims:
            bad.append(
                FieldViolation(f"{path}.capacity", f"needs one bound per demand dimension ({dims})")
            )
        if any(c < 0 for c in vehicle.capacity):
            bad.append(FieldViolation(f"{path}.capacity", "must not be negative"))
        _window(f"{path}.shift", vehicle.shift, bad)
        for name in ("cost_per_km", "cost_per_hour", "fixed_cost"):
            value = getattr(vehicle, name)
            if not math.isfinite(value) or value < 0:
                bad.append(
                    FieldViolation(f"{path}.{name}", "must be a finite, non-negative number")
                )
    if bad:
        raise InvalidArgument(bad)
