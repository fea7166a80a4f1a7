"""Route plans as the service sees them: what a caller asks to plan (stops, vehicles, tasks)
and the stored plan (routes of timed stops, the stops left out and why). Pure values."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time

from logistics.domain.compliance import Capacity, Window
from logistics.domain.fleet import VehicleType

Point = tuple[float, float]


class PlanObjective(enum.StrEnum):
    DISTANCE = "distance"
    DURATION = "duration"
    VEHICLES_THEN_DISTANCE = "vehicles_then_distance"
    ON_TIME = "on_time"


class RouteState(enum.StrEnum):
    PLANNED = "planned"
    COMPLETED = "completed"


@dataclass(frozen=True)
class StopSpec:
    """A place to visit. ``pickup_stop_id`` pairs a delivery with its pickup."""

    id: str
    point: Point
    window: Window | None = None
    service_seconds: int = 0
    demand: Capacity = field(default_factory=Capacity)
    pickup_stop_id: str | None = None
    task_id: uuid.UUID | None = None
    step_id: str | None = None


@dataclass(frozen=True)
class VehicleSpec:
    """``count`` identical vehicles (ids suffixed ``-1``, ``-2`` ... when more than one).
    A zero capacity dimension is unlimited."""

    id: str
    start: Point
    end: Point
    rider_id: uuid.UUID | None = None
    capacity: Capacity = field(default_factory=Capacity)
    shift: Window | None = None
    cost_per_km: float = 0.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    count: int = 1


@dataclass(frozen=True)
class PlanRequest:
    stops: tuple[StopSpec, ...]
    vehicles: tuple[VehicleSpec, ...]
    objective: PlanObjective = PlanObjective.DISTANCE
    time_limit_s: float = 5.0
    task_ids: tuple[uuid.UUID, ...] = ()
    apply: bool = False
    vehicle_type: VehicleType | None = None


@dataclass(frozen=True)
class PlannedStop:
    stop_id: str
    point: Point
    arrival: datetime
    departure: datetime
    load_after: Capacity
    task_id: uuid.UUID | None = None
    step_id: str | None = None


@dataclass(frozen=True)
class PlannedRoute:
    id: uuid.UUID
    vehicle_id: str
    rider_id: uuid.UUID | None
    stops: tuple[PlannedStop, ...]
    distance_m: float
    start_time: datetime
    end_time: datetime
    state: RouteState = RouteState.PLANNED


@dataclass(frozen=True)
class LeftOut:
    stop_id: str
    reason: str


@dataclass(frozen=True)
class RoutePlan:
    id: uuid.UUID
    routes: tuple[PlannedRoute, ...]
    unassigned: tuple[LeftOut, ...]
    cost: float
    engine: str
    objective: PlanObjective
    applied: bool = False
    template_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RouteTemplate:
    """A named set of stops and vehicles planned on the given ISO weekdays (1 = Monday) at
    ``run_at`` (UTC); stop windows and shifts are times of that day."""

    id: uuid.UUID
    name: str
    request: PlanRequest
    weekdays: frozenset[int]
    run_at: time
    version: int = 1
