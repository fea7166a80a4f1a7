"""Between the service's plan requests and the routing model: stops from tasks, integer
seconds from an origin, grams / millilitres / items as the three load dimensions, and the
solver's answer back as timed routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics import routing
from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.routes import (
    LeftOut,
    PlannedRoute,
    PlannedStop,
    PlanObjective,
    PlanRequest,
    Point,
    RoutePlan,
    StopSpec,
    VehicleSpec,
)
from logistics.domain.tasks import StepKind, StepState, Task, TaskState
from logistics.geo.distance import Table
from logistics.routing.validate import MAX_VEHICLES

UNLIMITED = 10**12
"""A zero capacity dimension: no bound in it."""
OPEN_SHIFT = timedelta(days=7)
"""How long past the latest window a vehicle with no shift may still be out."""
PLANNABLE = frozenset({TaskState.CREATED, TaskState.ASSIGNED})


def load_units(c: Capacity) -> tuple[int, int, int]:
    return round(c.weight_kg * 1000), round(c.volume_l * 1000), c.item_count


def from_units(units: Sequence[int]) -> Capacity:
    return Capacity(units[0] / 1000, units[1] / 1000, units[2])


def stops_of_task(task: Task, field: str) -> list[StopSpec]:
    """The task's pending steps as stops: a pickup then a drop-off are a pickup-delivery pair
    carrying the task's items; any other shape is one stop per step (order not enforced), the
    items counted on the first."""
    if task.state not in PLANNABLE:
        raise FailedPrecondition(
            f"{field}: task {task.id} is {task.state.value}; only tasks not started are planned",
            reason="TASK_NOT_PLANNABLE",
        )
    pending = [s for s in task.steps if s.state is StepState.PENDING]
    items = Capacity(
        sum(i.weight_kg * i.quantity for i in task.items),
        sum(i.volume_l * i.quantity for i in task.items),
        sum(i.quantity for i in task.items),
    )
    paired = len(pending) == 2 and [s.kind for s in pending] == [StepKind.PICKUP, StepKind.DROP_OFF]
    out = []
    for k, step in enumerate(pending):
        out.append(
            StopSpec(
                id=f"{task.id}/{step.id}",
                point=(step.latitude, step.longitude),
                window=step.window,
                service_seconds=step.service_seconds,
                demand=items if k == 0 else Capacity(),
                pickup_stop_id=f"{task.id}/{pending[0].id}" if paired and k == 1 else None,
                task_id=task.id,
                step_id=step.id,
            )
        )
    return out


def expand(vehicles: Sequence[VehicleSpec]) -> list[tuple[str, VehicleSpec]]:
    """(vehicle id, spec) per vehicle, ``count`` copies suffixed when more than one."""
    if sum(max(v.count, 0) for v in vehicles) > MAX_VEHICLES:
        raise InvalidArgument.field("vehicles", f"at most {MAX_VEHICLES} vehicles in all")
    out = []
    for i, v in enumerate(vehicles):
        if v.count < 1:
            raise InvalidArgument.field(f"vehicles[{i}].count", "must be 1 or more")
        out += [(v.id if v.count == 1 else f"{v.id}-{k + 1}", v) for k in range(v.count)]
    return out


@dataclass(frozen=True)
class Built:
    problem: routing.Problem
    origin: datetime
    points: list[Point]
    stops: dict[str, StopSpec]
    vehicles: dict[str, VehicleSpec]


class Builder:
    """Collects points (each distinct point once) and turns times into offsets."""

    def __init__(self, stops: Sequence[StopSpec], vehicles: Sequence[VehicleSpec], now: datetime):
        starts = [s.window.start for s in stops if s.window] + [
            v.shift.start for v in vehicles if v.shift
        ]
        self.origin = min([now, *starts]).replace(microsecond=0)
        self.now = now
        self.points: list[Point] = []
        self._index: dict[Point, int] = {}
        ends = [s.window.end for s in stops if s.window] + [
            v.shift.end for v in vehicles if v.shift
        ]
        self.open_end = max([now, *ends]) + OPEN_SHIFT

    def point(self, p: Point) -> int:
        if p not in self._index:
            self._index[p] = len(self.points)
            self.points.append(p)
        return self._index[p]

    def seconds(self, at: datetime) -> int:
        return int((at - self.origin).total_seconds())

    def window(self, w: Window | None) -> routing.TimeWindow | None:
        if w is None:
            return None
        return routing.TimeWindow(max(0, self.seconds(w.start)), max(0, self.seconds(w.end)))


def problem_of(request: PlanRequest, stops: Sequence[StopSpec], b: Builder, table: Table) -> Built:
    """The routing problem over ``b.points`` (whose travel ``table`` the caller fetched)."""
    metres = tuple(tuple(round(m) for m in row) for row in table.metres)
    seconds = tuple(tuple(round(s) for s in row) for row in table.seconds)
    model_stops = tuple(
        routing.Stop(
            id=s.id,
            location=b.point(s.point),
            service=s.service_seconds,
            window=b.window(s.window),
            demand=() if s.pickup_stop_id else load_units(s.demand),
            pickup=s.pickup_stop_id,
        )
        for s in stops
    )
    expanded = expand(request.vehicles)
    model_vehicles = tuple(
        routing.Vehicle(
            id=vid,
            start=b.point(v.start),
            end=b.point(v.end),
            capacity=tuple(c or UNLIMITED for c in load_units(v.capacity)),
            shift=b.window(v.shift)
            or routing.TimeWindow(max(0, b.seconds(b.now)), b.seconds(b.open_end)),
            cost_per_km=v.cost_per_km,
            cost_per_hour=v.cost_per_hour,
            fixed_cost=v.fixed_cost,
        )
        for vid, v in expanded
    )
    problem = routing.Problem(
        model_stops, model_vehicles, metres, seconds, routing.Objective(request.objective.value)
    )
    return Built(problem, b.origin, b.points, {s.id: s for s in stops}, dict(expanded))


def plan_of(built: Built, solution: routing.Solution, objective: PlanObjective) -> RoutePlan:
    at = built.origin
    routes = []
    for r in solution.routes:
        spec = built.vehicles[r.vehicle_id]
        stops = tuple(
            PlannedStop(
                stop_id=v.stop_id,
                point=built.stops[v.stop_id].point,
                arrival=at + timedelta(seconds=v.arrival),
                departure=at + timedelta(seconds=v.departure),
                load_after=from_units(v.load_after),
                task_id=built.stops[v.stop_id].task_id,
                step_id=built.stops[v.stop_id].step_id,
            )
            for v in r.visits
        )
        routes.append(
            PlannedRoute(
                id=uuid.uuid4(),
                vehicle_id=r.vehicle_id,
                rider_id=spec.rider_id,
                stops=stops,
                distance_m=float(r.distance),
                start_time=at + timedelta(seconds=r.start_time),
                end_time=at + timedelta(seconds=r.end_time),
            )
        )
    return RoutePlan(
        id=uuid.uuid4(),
        routes=tuple(routes),
        unassigned=tuple(LeftOut(u.stop_id, u.reason) for u in solution.unassigned),
        cost=solution.cost,
        engine=solution.engine,
        objective=objective,
    )
