"""DispatchService.OptimizeRoutes and OptimizeRoutesStream: the request's stops, vehicles and
tasks in, the stored plan out; the stream reports the best cost so far while the search runs
and ends the search when the client goes away; and the route template methods (the
transports' DispatchHandler calls these)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bengobox.logistics.v1 import common_pb2, dispatch_pb2
from google.protobuf import duration_pb2, empty_pb2

from logistics.api.convert_common import enum_from_proto, optional, timestamp, update_paths
from logistics.api.convert_fleet import VEHICLE_TYPES, reference
from logistics.api.convert_records import (
    capacity_from_proto,
    capacity_to_proto,
    window_from_proto,
    window_to_proto,
)
from logistics.api.convert_tasks import location
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.compliance import Window
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug, parse_parent
from logistics.domain.names import RIDERS, ROUTE_PLANS, ROUTE_TEMPLATES, ROUTES, TASKS
from logistics.domain.routes import (
    PlanObjective,
    PlanRequest,
    RoutePlan,
    RouteTemplate,
    StopSpec,
    VehicleSpec,
)
from logistics.domain.versioning import etag_for
from logistics.services.routes.service import RouteService
from logistics.services.routes.templates import RouteTemplates, TemplateChanges

Request = dispatch_pb2.OptimizeRoutesRequest
DEFAULT_TIME_LIMIT_S = 5.0

_OBJECTIVES: dict[int, PlanObjective] = {
    Request.OBJECTIVE_DISTANCE: PlanObjective.DISTANCE,
    Request.OBJECTIVE_DURATION: PlanObjective.DURATION,
    Request.OBJECTIVE_VEHICLES_THEN_DISTANCE: PlanObjective.VEHICLES_THEN_DISTANCE,
    Request.OBJECTIVE_ON_TIME: PlanObjective.ON_TIME,
}


def _point(value: common_pb2.GeoPoint, present: bool, field: str) -> tuple[float, float]:
    found = location(value, present, field)
    if found is None:
        raise InvalidArgument.field(field, "is required")
    return found


def _stop(tenant: TenantSlug, msg: dispatch_pb2.RouteStop, field: str) -> StopSpec:
    if not msg.id:
        raise InvalidArgument.field(f"{field}.id", "is required")
    return StopSpec(
        id=msg.id,
        point=_point(msg.location, msg.HasField("location"), f"{field}.location"),
        window=window_from_proto(msg.window, f"{field}.window") if msg.HasField("window") else None,
        service_seconds=msg.service_seconds,
        demand=capacity_from_proto(msg.demand),
        pickup_stop_id=optional(msg.pickup_stop_id),
        task_id=reference(tenant, msg.task, TASKS, f"{field}.task"),
        step_id=optional(msg.step_id),
    )


def _vehicle(tenant: TenantSlug, msg: dispatch_pb2.RouteVehicle, field: str) -> VehicleSpec:
    if not msg.id:
        raise InvalidArgument.field(f"{field}.id", "is required")
    start = _point(msg.start, msg.HasField("start"), f"{field}.start")
    return VehicleSpec(
        id=msg.id,
        start=start,
        end=_point(msg.end, True, f"{field}.end") if msg.HasField("end") else start,
        rider_id=reference(tenant, msg.rider, RIDERS, f"{field}.rider"),
        capacity=capacity_from_proto(msg.capacity),
        shift=window_from_proto(msg.shift, f"{field}.shift") if msg.HasField("shift") else None,
        cost_per_km=msg.cost_per_km,
        cost_per_hour=msg.cost_per_hour,
        fixed_cost=msg.fixed_cost,
        count=msg.count or 1,
    )


def plan_request(
    request: Request, tenant: TenantSlug | None = None, prefix: str = ""
) -> tuple[TenantSlug, PlanRequest]:
    """The plan asked for, and its tenant: the request's ``parent``, or ``tenant`` for a plan
    inside another message (whose ``parent`` may then be empty)."""
    if tenant is None or request.parent:
        named = parse_parent(request.parent, f"{prefix}parent")
        if tenant is not None and named != tenant:
            raise InvalidArgument.field(f"{prefix}parent", "names another tenant")
        tenant = named
    objective = (
        enum_from_proto(request.objective, _OBJECTIVES, f"{prefix}objective")
        or PlanObjective.DISTANCE
    )
    limit = DEFAULT_TIME_LIMIT_S
    if request.HasField("time_limit"):
        limit = request.time_limit.ToTimedelta().total_seconds()
    tasks = []
    for i, name in enumerate(request.tasks):
        task_id = reference(tenant, name, TASKS, f"{prefix}tasks[{i}]")
        if task_id is None:
            raise InvalidArgument.field(f"{prefix}tasks[{i}]", "is empty")
        tasks.append(task_id)
    return tenant, PlanRequest(
        stops=tuple(_stop(tenant, s, f"{prefix}stops[{i}]") for i, s in enumerate(request.stops)),
        vehicles=tuple(
            _vehicle(tenant, v, f"{prefix}vehicles[{i}]") for i, v in enumerate(request.vehicles)
        ),
        objective=objective,
        time_limit_s=limit,
        task_ids=tuple(tasks),
        apply=request.apply,
        vehicle_type=enum_from_proto(request.vehicle_type, VEHICLE_TYPES, f"{prefix}vehicle_type"),
    )


def _window_out(window: Window | None) -> common_pb2.TimeWindow | None:
    return None if window is None else window_to_proto(window)


def _geo(p: tuple[float, float]) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(latitude=p[0], longitude=p[1])


def request_to_proto(tenant: TenantSlug, plan: PlanRequest) -> Request:
    limit = duration_pb2.Duration()
    limit.FromTimedelta(timedelta(seconds=plan.time_limit_s))
    objectives = {v: k for k, v in _OBJECTIVES.items()}
    vehicle_types = {v: k for k, v in VEHICLE_TYPES.items()}
    return Request(
        parent=f"tenants/{tenant}",
        stops=[
            dispatch_pb2.RouteStop(
                id=s.id,
                location=_geo(s.point),
                window=_window_out(s.window),
                service_seconds=s.service_seconds,
                demand=capacity_to_proto(s.demand),
                pickup_stop_id=s.pickup_stop_id or "",
            )
            for s in plan.stops
        ],
        vehicles=[
            dispatch_pb2.RouteVehicle(
                id=v.id,
                rider=RIDERS.name(tenant, v.rider_id) if v.rider_id else "",
                capacity=capacity_to_proto(v.capacity),
                start=_geo(v.start),
                end=_geo(v.end),
                shift=_window_out(v.shift),
                cost_per_km=v.cost_per_km,
                cost_per_hour=v.cost_per_hour,
                fixed_cost=v.fixed_cost,
                count=v.count,
            )
            for v in plan.vehicles
        ],
        objective=objectives[plan.objective],  # type: ignore[arg-type]
        time_limit=limit,
        apply=plan.apply,
        vehicle_type=vehicle_types[plan.vehicle_type] if plan.vehicle_type else 0,  # type: ignore[arg-type]
    )


def template_to_proto(
    tenant: TenantSlug, template: RouteTemplate, next_run: datetime
) -> dispatch_pb2.RouteTemplate:
    return dispatch_pb2.RouteTemplate(
        name=ROUTE_TEMPLATES.name(tenant, template.id),
        display_name=template.name,
        plan=request_to_proto(tenant, template.request),
        weekdays=sorted(template.weekdays),
        run_minute=template.run_at.hour * 60 + template.run_at.minute,
        next_run_time=timestamp(next_run),
        etag=etag_for(template.version),
    )


async def create_route_template(
    templates: RouteTemplates, request: dispatch_pb2.CreateRouteTemplateRequest
) -> dispatch_pb2.RouteTemplate:
    tenant = parse_parent(request.parent)
    if not request.HasField("route_template"):
        raise InvalidArgument.field("route_template", "is required")
    given = request.route_template
    if not given.HasField("plan"):
        raise InvalidArgument.field("route_template.plan", "is required")
    _, plan = plan_request(given.plan, tenant, "route_template.plan.")
    template, first = await templates.create(
        current_caller(),
        tenant,
        given.display_name,
        plan,
        frozenset(given.weekdays),
        given.run_minute,
    )
    return template_to_proto(tenant, template, first)


async def get_route_template(
    templates: RouteTemplates, request: dispatch_pb2.GetRouteTemplateRequest
) -> dispatch_pb2.RouteTemplate:
    name = ROUTE_TEMPLATES.parse(request.name)
    template, next_run = await templates.get(current_caller(), name.tenant, name.id)
    return template_to_proto(name.tenant, template, next_run)


async def list_route_templates(
    templates: RouteTemplates, request: dispatch_pb2.ListRouteTemplatesRequest
) -> dispatch_pb2.ListRouteTemplatesResponse:
    tenant = parse_parent(request.parent)
    filters = ("routeTemplates", tenant)
    page = await templates.list(
        current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
    )
    return dispatch_pb2.ListRouteTemplatesResponse(
        route_templates=[template_to_proto(tenant, t, run) for t, run in page.items],
        next_page_token=encode_token(page.next, filters),
    )


def template_changes(
    tenant: TenantSlug, given: dispatch_pb2.RouteTemplate, mask: list[str]
) -> TemplateChanges:
    paths = update_paths(given, mask, "route_template", output_only=frozenset({"next_run_time"}))
    plan = None
    if "plan" in paths:
        if not given.HasField("plan"):
            raise InvalidArgument.field("route_template.plan", "is required")
        _, plan = plan_request(given.plan, tenant, "route_template.plan.")
    return TemplateChanges(
        name=given.display_name if "display_name" in paths else None,
        request=plan,
        weekdays=frozenset(given.weekdays) if "weekdays" in paths else None,
        run_minute=given.run_minute if "run_minute" in paths else None,
    )


async def update_route_template(
    templates: RouteTemplates, request: dispatch_pb2.UpdateRouteTemplateRequest
) -> dispatch_pb2.RouteTemplate:
    if not request.HasField("route_template"):
        raise InvalidArgument.field("route_template", "is required")
    given = request.route_template
    name = ROUTE_TEMPLATES.parse(given.name, "route_template.name")
    changes = template_changes(name.tenant, given, list(request.update_mask.paths))
    template, next_run = await templates.update(
        current_caller(), name.tenant, name.id, changes, optional(given.etag)
    )
    return template_to_proto(name.tenant, template, next_run)


async def delete_route_template(
    templates: RouteTemplates, request: dispatch_pb2.DeleteRouteTemplateRequest
) -> empty_pb2.Empty:
    name = ROUTE_TEMPLATES.parse(request.name)
    await templates.delete(current_caller(), name.tenant, name.id, optional(request.etag))
    return empty_pb2.Empty()


def plan_to_proto(tenant: TenantSlug, plan: RoutePlan) -> dispatch_pb2.OptimizeRoutesResponse:
    routes = []
    for r in plan.routes:
        duration = duration_pb2.Duration()
        duration.FromTimedelta(r.end_time - r.start_time)
        routes.append(
            dispatch_pb2.PlannedRoute(
                vehicle_id=r.vehicle_id,
                stops=[
                    dispatch_pb2.PlannedStop(
                        stop_id=s.stop_id,
                        arrival_time=timestamp(s.arrival),
                        departure_time=timestamp(s.departure),
                        load_after=capacity_to_proto(s.load_after),
                        task=TASKS.name(tenant, s.task_id) if s.task_id else "",
                    )
                    for s in r.stops
                ],
                distance_m=r.distance_m,
                duration=duration,
                rider=RIDERS.name(tenant, r.rider_id) if r.rider_id else "",
                name=ROUTES.name(tenant, r.id),
            )
        )
    return dispatch_pb2.OptimizeRoutesResponse(
        plan=ROUTE_PLANS.name(tenant, plan.id),
        routes=routes,
        unassigned=[
            dispatch_pb2.UnassignedStop(stop_id=u.stop_id, reason=u.reason) for u in plan.unassigned
        ],
        cost=plan.cost,
        applied=plan.applied,
        engine=plan.engine,
    )


async def optimize_routes(
    service: RouteService, request: Request
) -> dispatch_pb2.OptimizeRoutesResponse:
    tenant, plan = plan_request(request)
    return plan_to_proto(tenant, await service.optimize(current_caller(), tenant, plan))


async def optimize_routes_stream(
    service: RouteService, request: dispatch_pb2.OptimizeRoutesStreamRequest
) -> AsyncIterator[dispatch_pb2.OptimizeRoutesStreamResponse]:
    """Progress messages (the best cost, only the latest when several arrive between two
    sends), then one message with the result. A client that cancels ends the search."""
    tenant, plan = plan_request(request.request)
    caller = current_caller()
    improved = asyncio.Event()
    best: list[float] = []

    def progress(cost: float) -> None:
        best.append(cost)
        improved.set()

    solving: asyncio.Task[Any] = asyncio.create_task(
        service.optimize(caller, tenant, plan, on_progress=progress)
    )
    try:
        while not solving.done():
            waiter = asyncio.ensure_future(improved.wait())
            await asyncio.wait({solving, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if improved.is_set():
                improved.clear()
                yield dispatch_pb2.OptimizeRoutesStreamResponse(best_cost=best[-1])
        result = solving.result()
        yield dispatch_pb2.OptimizeRoutesStreamResponse(
            best_cost=result.cost, result=plan_to_proto(tenant, result)
        )
    finally:
        if not solving.done():
            solving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await solving
