"""Route optimisation use cases: plan stops (given, or made from tasks) over vehicles, store
the plan, apply it through the normal assignment path, and mark a route completed (with
``logistics.route.completed``) when the last of its tasks is done."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import (
    AlreadyExists,
    EtagMismatch,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from logistics.domain.events import RouteCompleted
from logistics.domain.ids import TenantSlug
from logistics.domain.names import RIDERS, ROUTE_PLANS, ROUTES, TASKS
from logistics.domain.routes import LeftOut, PlannedRoute, PlanRequest, RoutePlan, StopSpec
from logistics.domain.tasks import TERMINAL, TaskState
from logistics.domain.versioning import etag_for
from logistics.routing.runner import solve_in_process
from logistics.routing.validate import validate
from logistics.services.routes.matrix import MatrixCache
from logistics.services.routes.problem import (
    Builder,
    Built,
    plan_of,
    problem_of,
    stops_of_task,
)
from logistics.services.tasks.service import TaskService
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)

Progress = Callable[[float], None]


class RouteService:
    """Needs ``logistics:dispatch``. At most ``solvers`` plans are searched at once (each in
    its own process); more wait their turn."""

    def __init__(
        self,
        store: Store,
        tasks: TaskService,
        matrices: MatrixCache,
        clock: Clock,
        *,
        max_time_limit_s: float = 60.0,
        solvers: int = 2,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._matrices = matrices
        self._clock = clock
        self._max_time_limit_s = max_time_limit_s
        self._slots = asyncio.Semaphore(solvers)

    async def optimize(
        self,
        caller: Caller,
        tenant: TenantSlug,
        request: PlanRequest,
        *,
        on_progress: Progress | None = None,
        template_id: uuid.UUID | None = None,
        run_date: date | None = None,
    ) -> RoutePlan:
        """Plans, stores and (with ``request.apply``) applies. Bad input is INVALID_ARGUMENT
        (or FAILED_PRECONDITION for a task already under way) and stores nothing."""
        caller.require(Scope.DISPATCH, tenant)
        self._check_limit(request)
        built, etags = await self._build(tenant, request)
        async with self._slots:
            solution = await solve_in_process(
                built.problem, request.time_limit_s, on_progress=on_progress
            )
        plan = plan_of(built, solution, request.objective)
        plan = dataclasses.replace(plan, template_id=template_id)
        async with self._store.write(tenant) as uow:
            await uow.routes.add_plan(plan, run_date=run_date)
            await uow.audit(caller.subject, "route_plan.created", ROUTE_PLANS.name(tenant, plan.id))
        logger.info(
            "route plan %s: %d routes, %d stops left out, cost %.0f (%s)",
            plan.id,
            len(plan.routes),
            len(plan.unassigned),
            plan.cost,
            plan.engine,
        )
        if request.apply:
            plan = await self._apply(caller, tenant, plan, etags)
        return plan

    async def check(self, caller: Caller, tenant: TenantSlug, request: PlanRequest) -> None:
        """Raises what ``optimize`` would for bad input, without searching."""
        caller.require(Scope.DISPATCH, tenant)
        self._check_limit(request)
        built, _ = await self._build(tenant, request)
        await asyncio.to_thread(validate, built.problem)

    def _check_limit(self, request: PlanRequest) -> None:
        if not 0 < request.time_limit_s <= self._max_time_limit_s:
            raise InvalidArgument.field(
                "time_limit", f"must be more than 0 and at most {self._max_time_limit_s:g} s"
            )

    async def _build(
        self, tenant: TenantSlug, request: PlanRequest
    ) -> tuple[Built, dict[uuid.UUID, str]]:
        """The routing problem, and the etag of each task it plans as read now."""
        task_stops, etags = await self._read_tasks(tenant, request)
        stops = list(request.stops) + task_stops
        if not stops:
            raise InvalidArgument.field("stops", "give stops, tasks or both")
        builder = Builder(stops, request.vehicles, self._clock.now())
        for s in stops:
            builder.point(s.point)
        for v in request.vehicles:
            builder.point(v.start)
            builder.point(v.end)
        table = await self._matrices.table(builder.points, request.vehicle_type)
        # Rounding a table of thousands of points takes a while: off the loop.
        built = await asyncio.to_thread(problem_of, request, stops, builder, table)
        return built, etags

    async def get_plan(self, caller: Caller, tenant: TenantSlug, plan_id: uuid.UUID) -> RoutePlan:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            plan = await uow.routes.get_plan(plan_id)
        if plan is None:
            raise NotFound(f"{ROUTE_PLANS.name(tenant, plan_id)} not found")
        return plan

    async def _read_tasks(
        self, tenant: TenantSlug, request: PlanRequest
    ) -> tuple[list[StopSpec], dict[uuid.UUID, str]]:
        """Stops made from ``request.task_ids``, and the etag of every task the plan names
        (those and the tasks of given stops), so that applying the plan assigns a task only
        if it has not changed since."""
        if len(set(request.task_ids)) != len(request.task_ids):
            raise InvalidArgument.field("tasks", "names a task twice")
        stops: list[StopSpec] = []
        etags: dict[uuid.UUID, str] = {}
        async with self._store.read(tenant) as uow:
            for i, task_id in enumerate(request.task_ids):
                task = await uow.tasks.get(task_id)
                if task is None:
                    raise NotFound(f"tasks[{i}]: task {task_id} not found")
                stops += stops_of_task(task, f"tasks[{i}]")
                etags[task_id] = etag_for(task.version)
            for i, stop in enumerate(request.stops):
                if stop.task_id is None or stop.task_id in etags:
                    continue
                task = await uow.tasks.get(stop.task_id)
                if task is None:
                    raise NotFound(f"stops[{i}].task: task {stop.task_id} not found")
                etags[stop.task_id] = etag_for(task.version)
        return stops, etags

    async def _apply(
        self, caller: Caller, tenant: TenantSlug, plan: RoutePlan, etags: dict[uuid.UUID, str]
    ) -> RoutePlan:
        """Assigns each route's tasks, in route order, to its rider through ``TaskService``
        (the atomic path, with its events), each only if unchanged since it was planned; a
        task that cannot be assigned is listed as left out with the reason."""
        left = list(plan.unassigned)
        for route in plan.routes:
            tasks = list(dict.fromkeys(s.task_id for s in route.stops if s.task_id is not None))
            for task_id in tasks:
                reason = await self._assign(caller, tenant, route, task_id, etags.get(task_id))
                if reason is not None:
                    left += [
                        LeftOut(s.stop_id, reason) for s in route.stops if s.task_id == task_id
                    ]
        async with self._store.write(tenant) as uow:
            await uow.routes.set_plan_outcome(plan.id, True, left)
        return dataclasses.replace(plan, applied=True, unassigned=tuple(left))

    async def _assign(
        self,
        caller: Caller,
        tenant: TenantSlug,
        route: PlannedRoute,
        task_id: uuid.UUID,
        etag: str | None,
    ) -> str | None:
        if route.rider_id is None:
            return "planned on a vehicle with no rider: not assigned"
        try:
            await self._tasks.assign(
                caller,
                TASKS.resource(tenant, task_id),
                RIDERS.resource(tenant, route.rider_id),
                f"route {ROUTES.name(tenant, route.id)}",
                etag,
            )
        except (FailedPrecondition, EtagMismatch, NotFound, AlreadyExists) as exc:
            logger.info("route %s: task %s not assigned: %s", route.id, task_id, exc)
            return f"not assigned: {exc}"
        return None

    async def rider_changed(self, tenant: TenantSlug, rider_id: uuid.UUID) -> None:
        """After a rider's tasks change: each of its open routes whose tasks are all done
        (completed, failed or cancelled; at least one completed) is completed, once."""
        async with self._store.write(tenant) as uow:
            routes = uow.routes
            for route_id in await routes.open_routes_of(rider_id):
                states = await routes.task_states(route_id)
                if not states or not all(TaskState(s) in TERMINAL for s in states):
                    continue
                if TaskState.COMPLETED not in {TaskState(s) for s in states}:
                    continue
                done = await routes.complete(route_id, self._clock.now())
                if done is not None:
                    await uow.emit(
                        RouteCompleted(
                            name=ROUTES.name(tenant, done.id),
                            rider_id=str(rider_id),
                            vehicle_id=done.vehicle_id,
                            stops=len(done.stops),
                            distance_m=done.distance_m,
                        )
                    )


RiderHook = Callable[[TenantSlug, uuid.UUID], Awaitable[None]]


class RiderHooks:
    """What runs after a rider's tasks change (``TaskService``'s ``on_rider_change``): each
    hook in turn, one failing not stopping the next."""

    def __init__(self, *hooks: RiderHook) -> None:
        self._hooks = list(hooks)

    def add(self, hook: RiderHook) -> None:
        self._hooks.append(hook)

    async def __call__(self, tenant: TenantSlug, rider_id: uuid.UUID) -> None:
        for hook in self._hooks:
            try:
                await hook(tenant, rider_id)
            except Exception:
                logger.warning("after rider %s changed: %s failed", rider_id, hook, exc_info=True)
