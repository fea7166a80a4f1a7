"""Stops no vehicle could serve even alone, with the reason: found before the search so the
answer names the cause instead of a generic "no room"."""

from __future__ import annotations

from logistics.routing.model import Objective, Problem, Stop, Unassigned, Vehicle

TOO_HEAVY = "demand exceeds the capacity of every vehicle"
OUT_OF_REACH = "no vehicle can reach it within its time window and its shift"
PAIR_OUT_OF_REACH = (
    "no vehicle can serve its pickup then its delivery within the windows and its shift"
)
PARTNER_UNSERVABLE = "the other stop of its pickup-delivery pair cannot be served"
NO_ROOM = "no room in any route (vehicles, capacities or time windows)"
CANCELLED = "the search was cancelled before a plan was found"


def _fits(problem: Problem, vehicle: Vehicle, stop: Stop) -> bool:
    capacity = problem.capacity(vehicle)
    return capacity is None or all(
        d <= c for d, c in zip(problem.demand(stop), capacity, strict=True)
    )


def _serves(problem: Problem, vehicle: Vehicle, stops: tuple[Stop, ...], soft_ends: bool) -> bool:
    """Whether ``vehicle`` can serve ``stops`` in this order and return within its shift."""
    shift_start = vehicle.shift.start if vehicle.shift else 0
    here, t = vehicle.start, shift_start
    for stop in stops:
        t += problem.duration[here][stop.location]
        if stop.window is not None:
            if t > stop.window.end and not soft_ends:
                return False
            t = max(t, stop.window.start)
        t += stop.service
        here = stop.location
    t += problem.duration[here][vehicle.end]
    return vehicle.shift is None or t <= vehicle.shift.end


def unservable(problem: Problem) -> dict[str, str]:
    """Stop id -> reason, for every stop that no single vehicle could serve on its own."""
    soft = problem.objective is Objective.ON_TIME
    out: dict[str, str] = {}
    by_id = {s.id: s for s in problem.stops}
    for stop in problem.stops:
        if stop.pickup is not None:
            continue
        if not any(_fits(problem, v, stop) for v in problem.vehicles):
            out[stop.id] = TOO_HEAVY
        elif not any(_serves(problem, v, (stop,), soft) for v in problem.vehicles):
            out[stop.id] = OUT_OF_REACH
    for stop in problem.stops:
        if stop.pickup is None:
            continue
        pickup = by_id[stop.pickup]
        if pickup.id in out:
            out[stop.id] = PARTNER_UNSERVABLE
        elif not any(
            _fits(problem, v, pickup) and _serves(problem, v, (pickup, stop), soft)
            for v in problem.vehicles
        ):
            out[stop.id] = PAIR_OUT_OF_REACH
            out[pickup.id] = PAIR_OUT_OF_REACH
    return out


def as_unassigned(reasons: dict[str, str]) -> tuple[Unassigned, ...]:
    return tuple(Unassigned(stop_id, reason) for stop_id, reason in reasons.items())
