"""Recurring route plans: a template (named stops and vehicles, weekdays, a time of day)
makes one plan on each day it runs, through a timer in PostgreSQL (so it fires once, whatever
the number of workers, and survives restarts)."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantSlug
from logistics.domain.names import ROUTE_TEMPLATES
from logistics.domain.paging import Page, PageRequest
from logistics.domain.routes import (
    PlanObjective,
    PlanRequest,
    RouteTemplate,
    StopSpec,
    VehicleSpec,
)
from logistics.domain.text import shown
from logistics.domain.timers import DueTimer
from logistics.domain.versioning import check_etag
from logistics.services.routes.service import RouteService
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

TEMPLATE_TIMER = "route_template.run"


def next_run(weekdays: frozenset[int], run_at: time, after: datetime) -> datetime:
    """The first moment after ``after`` that is ``run_at`` (UTC) on one of ``weekdays``."""
    day = after.astimezone(UTC).date()
    for _ in range(8):
        moment = datetime.combine(day, run_at, tzinfo=UTC)
        if day.isoweekday() in weekdays and moment > after:
            return moment
        day += timedelta(days=1)
    raise ValueError("no weekday to run on")


def reference_date(request: PlanRequest, today: date) -> date:
    """The day the request's times are read on: that of the earliest window or shift."""
    starts = [s.window.start for s in request.stops if s.window] + [
        v.shift.start for v in request.vehicles if v.shift
    ]
    return min(starts).astimezone(UTC).date() if starts else today


def moved(request: PlanRequest, days: int) -> PlanRequest:
    """The request with every window and shift ``days`` days later."""
    delta = timedelta(days=days)

    def w(window: Window | None) -> Window | None:
        return None if window is None else Window(window.start + delta, window.end + delta)

    return dataclasses.replace(
        request,
        stops=tuple(dataclasses.replace(s, window=w(s.window)) for s in request.stops),
        vehicles=tuple(dataclasses.replace(v, shift=w(v.shift)) for v in request.vehicles),
    )


def _window(value: dict[str, str] | None) -> Window | None:
    if value is None:
        return None
    return Window(datetime.fromisoformat(value["start"]), datetime.fromisoformat(value["end"]))


def _point(value: list[float]) -> tuple[float, float]:
    return (value[0], value[1])


def request_from_json(data: dict[str, Any]) -> PlanRequest:
    """The inverse of ``snapshot(request)``."""
    stops = tuple(
        StopSpec(
            id=s["id"],
            point=_point(s["point"]),
            window=_window(s["window"]),
            service_seconds=s["service_seconds"],
            demand=Capacity(**s["demand"]),
            pickup_stop_id=s["pickup_stop_id"],
        )
        for s in data["stops"]
    )
    vehicles = tuple(
        VehicleSpec(
            id=v["id"],
            start=_point(v["start"]),
            end=_point(v["end"]),
            rider_id=uuid.UUID(v["rider_id"]) if v["rider_id"] else None,
            capacity=Capacity(**v["capacity"]),
            shift=_window(v["shift"]),
            cost_per_km=v["cost_per_km"],
            cost_per_hour=v["cost_per_hour"],
            fixed_cost=v["fixed_cost"],
            count=v["count"],
        )
        for v in data["vehicles"]
    )
    return PlanRequest(
        stops=stops,
        vehicles=vehicles,
        objective=PlanObjective(data["objective"]),
        time_limit_s=data["time_limit_s"],
        apply=data["apply"],
        vehicle_type=VehicleType(data["vehicle_type"]) if data["vehicle_type"] else None,
    )


TEMPLATE_FIELDS = frozenset({"display_name", "plan", "weekdays", "run_minute"})


@dataclass(frozen=True)
class TemplateChanges:
    """The fields an update sets; ``None`` leaves a field as it is."""

    name: str | None = None
    request: PlanRequest | None = None
    weekdays: frozenset[int] | None = None
    run_minute: int | None = None


def check_template(changes: TemplateChanges) -> None:
    """Every given field valid, or INVALID_ARGUMENT naming each bad one."""
    bad = []
    if changes.name is not None and not changes.name.strip():
        bad.append(FieldViolation("route_template.display_name", "is required"))
    weekdays = changes.weekdays
    if weekdays is not None and (not weekdays or not weekdays <= frozenset(range(1, 8))):
        bad.append(FieldViolation("route_template.weekdays", "give ISO weekdays, 1 (Monday) to 7"))
    if changes.run_minute is not None and not 0 <= changes.run_minute < 24 * 60:
        bad.append(
            FieldViolation("route_template.run_minute", "must be a minute of the day (0-1439)")
        )
    if changes.request is not None and changes.request.task_ids:
        bad.append(FieldViolation("route_template.plan.tasks", "a template plans stops only"))
    if bad:
        raise InvalidArgument(bad)


def changed(template: RouteTemplate, changes: TemplateChanges) -> RouteTemplate:
    """The template with ``changes`` applied (checked already)."""
    minute = changes.run_minute
    return dataclasses.replace(
        template,
        name=template.name if changes.name is None else changes.name.strip(),
        request=template.request if changes.request is None else changes.request,
        weekdays=template.weekdays if changes.weekdays is None else changes.weekdays,
        run_at=template.run_at if minute is None else time(minute // 60, minute % 60),
    )


class RouteTemplates:
    """Creating, changing and deleting templates needs ``logistics:dispatch`` (reads:
    ``logistics:read``); each day's plan is made as the system."""

    def __init__(self, store: Store, routes: RouteService, clock: Clock) -> None:
        self._store = store
        self._routes = routes
        self._clock = clock

    async def create(
        self,
        caller: Caller,
        tenant: TenantSlug,
        name: str,
        request: PlanRequest,
        weekdays: frozenset[int],
        run_minute: int,
    ) -> tuple[RouteTemplate, datetime]:
        """The template and its first run."""
        caller.require(Scope.DISPATCH, tenant)
        check_template(TemplateChanges(name, request, weekdays, run_minute))
        await self._routes.check(caller, tenant, request)
        run_at = time(run_minute // 60, run_minute % 60)
        template = RouteTemplate(uuid.uuid4(), name.strip(), request, weekdays, run_at)
        first = next_run(weekdays, run_at, self._clock.now())
        async with self._store.write(tenant) as uow:
            routes = uow.routes
            if await routes.template_named(template.name) is not None:
                raise AlreadyExists(f"a route template named {shown(template.name)} exists")
            await routes.add_template(
                template.id,
                template.name,
                snapshot(request),
                reference_date(request, self._clock.now().date()),
                sorted(weekdays),
                run_at,
            )
            await uow.timers.set(TEMPLATE_TIMER, template.id, first)
            await uow.audit(
                caller.subject, "route_template.created", ROUTE_TEMPLATES.name(tenant, template.id)
            )
        return template, first

    async def get(
        self, caller: Caller, tenant: TenantSlug, template_id: uuid.UUID
    ) -> tuple[RouteTemplate, datetime]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            row = await uow.routes.get_template(template_id)
        if row is None:
            raise NotFound(f"{ROUTE_TEMPLATES.name(tenant, template_id)} not found")
        template = template_from_row(row)
        return template, next_run(template.weekdays, template.run_at, self._clock.now())

    async def list(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest
    ) -> Page[tuple[RouteTemplate, datetime]]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            rows = await uow.routes.list_templates(page)
        now = self._clock.now()
        items = [
            (t, next_run(t.weekdays, t.run_at, now)) for t in map(template_from_row, rows.items)
        ]
        return Page(items, rows.next)

    async def update(
        self,
        caller: Caller,
        tenant: TenantSlug,
        template_id: uuid.UUID,
        changes: TemplateChanges,
        etag: str | None,
    ) -> tuple[RouteTemplate, datetime]:
        """The template as changed, and its next run. A new schedule moves the pending run;
        an update that changes nothing writes nothing."""
        caller.require(Scope.DISPATCH, tenant)
        check_template(changes)
        if changes.request is not None:
            await self._routes.check(caller, tenant, changes.request)
        resource = ROUTE_TEMPLATES.name(tenant, template_id)
        async with self._store.write(tenant) as uow:
            routes = uow.routes
            row = await routes.get_template(template_id, for_update=True)
            if row is None:
                raise NotFound(f"{resource} not found")
            check_etag(etag, row["version"])
            before = template_from_row(row)
            after = changed(before, changes)
            if after == before:
                return before, next_run(before.weekdays, before.run_at, self._clock.now())
            if after.name != before.name and await routes.template_named(after.name) is not None:
                raise AlreadyExists(f"a route template named {shown(after.name)} exists")
            reference = row["reference_date"]
            if after.request != before.request:
                reference = reference_date(after.request, self._clock.now().date())
            stored = await routes.update_template(
                template_id,
                after.name,
                snapshot(after.request),
                reference,
                sorted(after.weekdays),
                after.run_at,
            )
            coming = next_run(after.weekdays, after.run_at, self._clock.now())
            if (after.weekdays, after.run_at) != (before.weekdays, before.run_at):
                await uow.timers.set(TEMPLATE_TIMER, template_id, coming)
            await uow.audit(caller.subject, "route_template.updated", resource, before, after)
        return template_from_row(stored), coming

    async def delete(
        self, caller: Caller, tenant: TenantSlug, template_id: uuid.UUID, etag: str | None
    ) -> None:
        """No further plans are made; those made already are kept."""
        caller.require(Scope.DISPATCH, tenant)
        resource = ROUTE_TEMPLATES.name(tenant, template_id)
        async with self._store.write(tenant) as uow:
            row = await uow.routes.get_template(template_id, for_update=True)
            if row is None:
                raise NotFound(f"{resource} not found")
            check_etag(etag, row["version"])
            await uow.routes.delete_template(template_id)
            await uow.timers.set(TEMPLATE_TIMER, template_id, None)
            await uow.audit(
                caller.subject, "route_template.deleted", resource, template_from_row(row)
            )

    async def handle_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Makes the day's plan (once: a plan already made for the day is kept), then sets
        the next run. A plan that cannot be made is logged and the next day still runs."""
        routes = uow.routes
        row = await routes.get_template(timer.subject_id)
        if row is None:
            return
        template = template_from_row(row)
        day = timer.due_time.astimezone(UTC).date()
        if await routes.plan_for_run(template.id, day) is None:
            request = moved(template.request, (day - row["reference_date"]).days)
            system = Caller(uow.tenant, "route-template", frozenset({Scope.DISPATCH}))
            try:
                plan = await self._routes.optimize(
                    system, uow.tenant, request, template_id=template.id, run_date=day
                )
                logger.info("route template %s made plan %s for %s", template.id, plan.id, day)
            except DomainError as exc:
                logger.warning("route template %s: no plan for %s: %s", template.id, day, exc)
        following = next_run(template.weekdays, template.run_at, timer.due_time)
        await uow.timers.set(TEMPLATE_TIMER, template.id, following)


def template_from_row(row: dict[str, Any]) -> RouteTemplate:
    """A template as ``route_templates`` stores it."""
    return RouteTemplate(
        id=row["id"],
        name=row["name"],
        request=request_from_json(row["request"]),
        weekdays=frozenset(row["weekdays"]),
        run_at=row["run_at"],
        version=row["version"],
    )
