"""An independent check of a plan against its problem: written apart from the engines and
from ``schedule``, it recomputes nothing it can verify instead, and reports every broken
rule as a sentence. Used by the tests and the benchmark."""

from __future__ import annotations

from logistics.routing.model import Objective, Problem, Solution


def violations(problem: Problem, solution: Solution) -> list[str]:
    """Every rule ``solution`` breaks; empty when it is feasible."""
    found: list[str] = []
    stops = {s.id: s for s in problem.stops}
    vehicles = {v.id: v for v in problem.vehicles}
    pickups = {s.pickup for s in problem.stops if s.pickup is not None}
    seen: dict[str, int] = {}
    for u in solution.unassigned:
        seen[u.stop_id] = seen.get(u.stop_id, 0) + 1
        if u.stop_id not in stops:
            found.append(f"unassigned {u.stop_id!r} is not a stop")
    used: set[str] = set()
    for route in solution.routes:
        vehicle = vehicles.get(route.vehicle_id)
        if vehicle is None:
            found.append(f"route of unknown vehicle {route.vehicle_id!r}")
            continue
        if vehicle.id in used:
            found.append(f"vehicle {vehicle.id} has two routes")
        used.add(vehicle.id)
        where = f"route {vehicle.id}"
        if vehicle.shift and route.start_time < vehicle.shift.start:
            found.append(f"{where} leaves before its shift")
        if vehicle.shift and route.end_time > vehicle.shift.end:
            found.append(
                f"{where} returns after its shift ({route.end_time} > {vehicle.shift.end})"
            )
        dims = problem.dimensions
        load = [0] * dims
        onboard: dict[str, list[int]] = {}
        position = vehicle.start
        clock = route.start_time
        metres = 0
        for visit in route.visits:
            stop = stops.get(visit.stop_id)
            if stop is None:
                found.append(f"{where} visits unknown stop {visit.stop_id!r}")
                continue
            seen[stop.id] = seen.get(stop.id, 0) + 1
            metres += problem.distance[position][stop.location]
            if visit.arrival < clock + problem.duration[position][stop.location]:
                found.append(f"{where} reaches {stop.id} faster than the travel time allows")
            begin = visit.arrival
            if stop.window is not None:
                begin = max(begin, stop.window.start)
                late = begin > stop.window.end
                if late and problem.objective is not Objective.ON_TIME:
                    found.append(
                        f"{where} serves {stop.id} after its window ({begin} > {stop.window.end})"
                    )
            if visit.departure < begin + stop.service:
                found.append(f"{where} leaves {stop.id} before its service is done")
            amount = list(stop.demand) + [0] * (dims - len(stop.demand))
            if stop.pickup is None:
                onboard[stop.id] = amount
                load = [a + b for a, b in zip(load, amount, strict=True)]
            elif stop.pickup not in onboard:
                found.append(f"{where} delivers {stop.id} without having picked up {stop.pickup}")
            else:
                load = [a - b for a, b in zip(load, onboard[stop.pickup], strict=True)]
            if vehicle.capacity and any(x > c for x, c in zip(load, vehicle.capacity, strict=True)):
                found.append(
                    f"{where} is over capacity after {stop.id}: {load} > {list(vehicle.capacity)}"
                )
            if list(visit.load_after) != load:
                found.append(
                    f"{where} reports load {list(visit.load_after)} after {stop.id}, not {load}"
                )
            position, clock = stop.location, visit.departure
        metres += problem.distance[position][vehicle.end]
        if route.end_time < clock + problem.duration[position][vehicle.end]:
            found.append(f"{where} is back sooner than the travel time allows")
        if metres != route.distance:
            found.append(f"{where} reports {route.distance} of distance, the arcs sum to {metres}")
        delivered = {stops[v.stop_id].pickup for v in route.visits if v.stop_id in stops}
        for visit in route.visits:
            if visit.stop_id in pickups and visit.stop_id not in delivered:
                found.append(f"{where} picks up {visit.stop_id} and never delivers it")
    for stop_id in stops:
        count = seen.get(stop_id, 0)
        if count != 1:
            found.append(f"stop {stop_id} appears {count} times (routed or unassigned)")
    routed = {v.stop_id for r in solution.routes for v in r.visits}
    for stop in problem.stops:
        if stop.pickup is not None and (stop.id in routed) != (stop.pickup in routed):
            found.append(f"pair {stop.pickup} -> {stop.id} is only half served")
    return found
