"""Recurring route templates on the real database: a template makes one plan on each day it
runs (its windows moved to that day), once however often its timer fires, and sets the next
run; bad templates change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import (
    AlreadyExists,
    EtagMismatch,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from logistics.domain.ids import TenantSlug
from logistics.domain.paging import PageRequest
from logistics.domain.routes import PlanRequest, StopSpec, VehicleSpec
from logistics.domain.timers import DueTimer
from logistics.geo.distance import StraightLine
from logistics.services.directory import Outlets
from logistics.services.routes.matrix import MatrixCache
from logistics.services.routes.service import RouteService
from logistics.services.routes.templates import (
    TEMPLATE_TIMER,
    RouteTemplates,
    TemplateChanges,
    moved,
    next_run,
    request_from_json,
)
from logistics.services.tasks.service import TaskService
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock

# Wednesday 2026-01-07, 04:00 UTC.
NOW = datetime(2026, 1, 7, 4, 0, tzinfo=UTC)
DEPOT = (-1.2864, 36.8172)


def request(day: datetime) -> PlanRequest:
    morning = day.replace(hour=8)
    return PlanRequest(
        stops=tuple(
            StopSpec(
                id=f"shop-{i}",
                point=(DEPOT[0] + 0.01 * i, DEPOT[1] - 0.005 * i),
                window=Window(morning, morning + timedelta(hours=3)),
                service_seconds=300,
                demand=Capacity(item_count=5),
            )
            for i in range(1, 4)
        ),
        vehicles=(
            VehicleSpec(
                id="van",
                start=DEPOT,
                end=DEPOT,
                capacity=Capacity(item_count=20),
                shift=Window(morning - timedelta(hours=1), morning + timedelta(hours=6)),
            ),
        ),
        time_limit_s=0.3,
    )


def services(store: Store, tmp_path: Path, clock: ManualClock) -> RouteTemplates:
    tasks = TaskService(store, Outlets(None), LocalBlobStore(tmp_path), clock)
    routes = RouteService(store, tasks, MatrixCache(StraightLine()), clock)
    return RouteTemplates(store, routes, clock)


def test_next_run_is_the_next_listed_weekday_at_the_time() -> None:
    weekdays = frozenset({1, 3})  # Monday, Wednesday
    assert next_run(weekdays, time(5, 30), NOW) == NOW.replace(hour=5, minute=30)
    assert next_run(weekdays, time(3, 0), NOW) == datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
    assert next_run(frozenset({3}), time(4, 0), NOW) == NOW + timedelta(days=7)


def test_a_stored_request_reads_back_the_same_and_moves_by_whole_days() -> None:
    original = request(NOW)
    assert request_from_json(snapshot(original)) == original
    later = moved(original, 2)
    assert later.stops[0].window == Window(
        original.stops[0].window.start + timedelta(days=2),  # type: ignore[union-attr]
        original.stops[0].window.end + timedelta(days=2),  # type: ignore[union-attr]
    )


async def test_a_template_makes_one_plan_per_day_it_runs(store: Store, tmp_path: Path) -> None:
    tenant = TenantSlug(unique_tenant())
    clock = ManualClock(NOW)
    templates = services(store, tmp_path, clock)
    caller = Caller(tenant, "planner", frozenset({Scope.DISPATCH}))
    template, first = await templates.create(
        caller, tenant, "Wednesday shops", request(NOW), frozenset({3, 5}), 5 * 60
    )
    assert first == NOW.replace(hour=5)
    with pytest.raises(AlreadyExists):
        await templates.create(caller, tenant, "Wednesday shops", request(NOW), frozenset({3}), 0)

    # Friday's run: the windows move two days on.
    friday = datetime(2026, 1, 9, 5, 0, tzinfo=UTC)
    clock.set(friday)
    timer = DueTimer(1, TEMPLATE_TIMER, template.id, friday)
    for _ in range(2):  # a second firing (a retried timer) makes no second plan
        async with store.write(tenant) as uow:
            await templates.handle_timer(uow, timer)
    async with store.read(tenant) as uow:
        plan_id = await uow.routes.plan_for_run(template.id, friday.date())
        assert plan_id is not None
        plan = await uow.routes.get_plan(plan_id)
        count = await uow.conn.fetchval(
            "SELECT count(*) FROM route_plans WHERE template_id = $1", template.id
        )
        due = await uow.conn.fetchval(
            "SELECT due_time FROM timers WHERE subject_id = $1 AND fire_time IS NULL",
            template.id,
        )
    assert count == 1
    assert plan is not None
    assert not plan.unassigned
    (route,) = plan.routes
    assert len(route.stops) == 3
    for stop in route.stops:
        # Served inside Friday's window (08:00 to 11:00), five minutes each.
        assert stop.arrival <= friday.replace(hour=11)
        assert stop.departure >= friday.replace(hour=8, minute=5)
    assert due == datetime(2026, 1, 14, 5, 0, tzinfo=UTC)  # next Wednesday
    await forget(templates, caller, tenant)


async def test_a_bad_template_is_refused_and_stores_nothing(store: Store, tmp_path: Path) -> None:
    tenant = TenantSlug(unique_tenant())
    templates = services(store, tmp_path, ManualClock(NOW))
    caller = Caller(tenant, "planner", frozenset({Scope.DISPATCH}))
    with pytest.raises(InvalidArgument) as caught:
        await templates.create(caller, tenant, " ", request(NOW), frozenset({0, 9}), 24 * 60)
    assert {v.field for v in caught.value.violations} == {
        "route_template.display_name",
        "route_template.weekdays",
        "route_template.run_minute",
    }
    no_vehicles = PlanRequest(stops=request(NOW).stops, vehicles=(), time_limit_s=0.3)
    with pytest.raises(InvalidArgument):
        await templates.create(caller, tenant, "x", no_vehicles, frozenset({1}), 0)
    async with store.read(tenant) as uow:
        assert await uow.routes.template_named("x") is None


async def forget(templates: RouteTemplates, caller: Caller, tenant: TenantSlug) -> None:
    """Deletes the tenant's templates: their timers are long due, and a server's worker in
    the same database (the e2e tests) would otherwise spend its time planning them."""
    admin = Caller(tenant, caller.subject, frozenset({Scope.DISPATCH, Scope.READ}))
    for template, _ in (await templates.list(admin, tenant, PageRequest())).items:
        await templates.delete(admin, tenant, template.id, None)


async def test_an_update_moves_the_schedule_and_a_stale_etag_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    tenant = TenantSlug(unique_tenant())
    templates = services(store, tmp_path, ManualClock(NOW))
    caller = Caller(tenant, "planner", frozenset({Scope.DISPATCH}))
    template, _ = await templates.create(
        caller, tenant, "Shops", request(NOW), frozenset({3}), 5 * 60
    )
    await templates.create(caller, tenant, "Depots", request(NOW), frozenset({3}), 0)
    updated, coming = await templates.update(
        caller, tenant, template.id, TemplateChanges(weekdays=frozenset({4}), run_minute=90), '"1"'
    )
    assert (updated.weekdays, updated.run_at, updated.version) == (frozenset({4}), time(1, 30), 2)
    assert updated.name == "Shops"
    assert updated.request == template.request
    assert coming == datetime(2026, 1, 8, 1, 30, tzinfo=UTC)  # Thursday
    async with store.read(tenant) as uow:
        due = await uow.conn.fetchval(
            "SELECT due_time FROM timers WHERE subject_id = $1 AND fire_time IS NULL",
            template.id,
        )
    assert due == coming

    with pytest.raises(EtagMismatch):  # the etag read before the update
        await templates.update(caller, tenant, template.id, TemplateChanges(name="New"), '"1"')
    with pytest.raises(AlreadyExists):
        await templates.update(caller, tenant, template.id, TemplateChanges(name="Depots"), None)
    with pytest.raises(InvalidArgument) as caught:
        await templates.update(
            caller, tenant, template.id, TemplateChanges(weekdays=frozenset(), run_minute=-1), None
        )
    assert {v.field for v in caught.value.violations} == {
        "route_template.weekdays",
        "route_template.run_minute",
    }
    same, _ = await templates.update(caller, tenant, template.id, TemplateChanges(), None)
    assert same == updated  # nothing changed, nothing written
    reader = Caller(tenant, "viewer", frozenset({Scope.READ}))
    with pytest.raises(PermissionDenied):
        await templates.update(reader, tenant, template.id, TemplateChanges(name="Mine"), None)
    assert (await templates.get(reader, tenant, template.id))[0] == updated
    await forget(templates, caller, tenant)


async def test_templates_are_listed_in_pages_and_a_deleted_one_stops_running(
    store: Store, tmp_path: Path
) -> None:
    tenant = TenantSlug(unique_tenant())
    clock = ManualClock(NOW)
    templates = services(store, tmp_path, clock)
    caller = Caller(tenant, "planner", frozenset({Scope.DISPATCH, Scope.READ}))
    made = [
        (await templates.create(caller, tenant, f"t{i}", request(NOW), frozenset({3}), 300))[0]
        for i in range(3)
    ]
    first = await templates.list(caller, tenant, PageRequest(2))
    assert [t.name for t, _ in first.items] == ["t0", "t1"]
    second = await templates.list(caller, tenant, PageRequest(2, first.next))
    assert [t.name for t, _ in second.items] == ["t2"]
    assert second.next is None

    # A plan made by the template survives its deletion, no longer linked to it.
    wednesday = NOW.replace(hour=5)
    clock.set(wednesday)
    async with store.write(tenant) as uow:
        await templates.handle_timer(uow, DueTimer(1, TEMPLATE_TIMER, made[0].id, wednesday))
    with pytest.raises(EtagMismatch):
        await templates.delete(caller, tenant, made[0].id, '"7"')
    await templates.delete(caller, tenant, made[0].id, '"1"')
    with pytest.raises(NotFound):
        await templates.get(caller, tenant, made[0].id)
    with pytest.raises(NotFound):
        await templates.delete(caller, tenant, made[0].id, None)
    async with store.read(tenant) as uow:
        plans = await uow.conn.fetch("SELECT template_id FROM route_plans")
        pending = await uow.conn.fetchval(
            "SELECT count(*) FROM timers WHERE subject_id = $1 AND fire_time IS NULL", made[0].id
        )
        audited = await uow.conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'route_template.deleted'"
        )
    assert [p["template_id"] for p in plans] == [None]
    assert (pending, audited) == (0, 1)
    left = await templates.list(caller, tenant, PageRequest())
    assert [t.name for t, _ in left.items] == ["t1", "t2"]
    await forget(templates, caller, tenant)
