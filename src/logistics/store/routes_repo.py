"""Route plans, routes and their stops, and route templates, in PostgreSQL (tenant-scoped by
row-level security like every tenant table)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, time
from typing import Any

from logistics.domain.compliance import Capacity
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.domain.routes import (
    LeftOut,
    PlannedRoute,
    PlannedStop,
    PlanObjective,
    RoutePlan,
    RouteState,
)
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


class RouteRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant = tenant_id

    async def add_plan(self, plan: RoutePlan, *, run_date: date | None = None) -> None:
        await self._conn.execute(
            """INSERT INTO route_plans
                   (tenant_id, id, objective, engine, cost, applied, unassigned, template_id,
                    run_date)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            self._tenant,
            plan.id,
            plan.objective,
            plan.engine,
            plan.cost,
            plan.applied,
            [asdict(u) for u in plan.unassigned],
            plan.template_id,
            run_date,
        )
        for route in plan.routes:
            await self._conn.execute(
                """INSERT INTO routes (tenant_id, id, plan_id, vehicle_id, rider_id, distance_m,
                                       start_time, end_time)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                self._tenant,
                route.id,
                plan.id,
                route.vehicle_id,
                route.rider_id,
                route.distance_m,
                route.start_time,
                route.end_time,
            )
            await self._conn.executemany(
                """INSERT INTO route_stops (tenant_id, route_id, seq, stop_id, task_id, step_id,
                       latitude, longitude, arrival_time, departure_time, load_after)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                [
                    (
                        self._tenant,
                        route.id,
                        seq,
                        s.stop_id,
                        s.task_id,
                        s.step_id,
                        s.point[0],
                        s.point[1],
                        s.arrival,
                        s.departure,
                        asdict(s.load_after),
                    )
                    for seq, s in enumerate(route.stops)
                ],
            )

    async def set_plan_outcome(
        self, plan_id: uuid.UUID, applied: bool, unassigned: Sequence[LeftOut]
    ) -> None:
        await self._conn.execute(
            """UPDATE route_plans SET applied = $2, unassigned = $3, version = version + 1
               WHERE id = $1""",
            plan_id,
            applied,
            [asdict(u) for u in unassigned],
        )

    async def plan_for_run(self, template_id: uuid.UUID, run_date: date) -> uuid.UUID | None:
        found: uuid.UUID | None = await self._conn.fetchval(
            "SELECT id FROM route_plans WHERE template_id = $1 AND run_date = $2",
            template_id,
            run_date,
        )
        return found

    async def get_plan(self, plan_id: uuid.UUID) -> RoutePlan | None:
        row = await self._conn.fetchrow("SELECT * FROM route_plans WHERE id = $1", plan_id)
        if row is None:
            return None
        routes = await self._conn.fetch(
            "SELECT * FROM routes WHERE plan_id = $1 ORDER BY vehicle_id, id", plan_id
        )
        stops = await self._conn.fetch(
            """SELECT s.* FROM route_stops s JOIN routes r ON r.id = s.route_id
               WHERE r.plan_id = $1 ORDER BY s.route_id, s.seq""",
            plan_id,
        )
        by_route: dict[uuid.UUID, list[PlannedStop]] = {}
        for s in stops:
            by_route.setdefault(s["route_id"], []).append(_stop(s))
        return RoutePlan(
            id=row["id"],
            routes=tuple(_route(r, by_route.get(r["id"], [])) for r in routes),
            unassigned=tuple(LeftOut(u["stop_id"], u["reason"]) for u in row["unassigned"]),
            cost=row["cost"],
            engine=row["engine"],
            objective=PlanObjective(row["objective"]),
            applied=row["applied"],
            template_id=row["template_id"],
        )

    async def open_routes_of(self, rider_id: uuid.UUID) -> list[uuid.UUID]:
        """The rider's routes not completed yet, of applied plans, locked for the caller."""
        rows = await self._conn.fetch(
            """SELECT r.id FROM routes r JOIN route_plans p ON p.id = r.plan_id
               WHERE r.rider_id = $1 AND r.state = 'planned' AND p.applied
               ORDER BY r.id FOR UPDATE OF r""",
            rider_id,
        )
        return [r["id"] for r in rows]

    async def task_states(self, route_id: uuid.UUID) -> list[str]:
        """The state of every task the route visits."""
        rows = await self._conn.fetch(
            """SELECT DISTINCT t.id, t.state FROM route_stops s JOIN tasks t ON t.id = s.task_id
               WHERE s.route_id = $1""",
            route_id,
        )
        return [r["state"] for r in rows]

    async def complete(self, route_id: uuid.UUID, at: datetime) -> PlannedRoute | None:
        row = await self._conn.fetchrow(
            """UPDATE routes SET state = 'completed', complete_time = $2
               WHERE id = $1 AND state = 'planned' RETURNING *""",
            route_id,
            at,
        )
        if row is None:
            return None
        stops = await self._conn.fetch(
            "SELECT * FROM route_stops WHERE route_id = $1 ORDER BY seq", route_id
        )
        return _route(row, [_stop(s) for s in stops])

    # Templates

    async def add_template(
        self,
        template_id: uuid.UUID,
        name: str,
        request: dict[str, Any],
        reference_date: date,
        weekdays: Sequence[int],
        run_at: time,
    ) -> None:
        await self._conn.execute(
            """INSERT INTO route_templates
                   (tenant_id, id, name, request, reference_date, weekdays, run_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            self._tenant,
            template_id,
            name,
            request,
            reference_date,
            sorted(weekdays),
            run_at,
        )

    async def get_template(
        self, template_id: uuid.UUID, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM route_templates WHERE id = $1{lock}", template_id
        )
        return dict(row) if row else None

    async def list_templates(self, page: PageRequest) -> Page[dict[str, Any]]:
        args: list[Any] = []
        rows = await self._conn.fetch(
            f"SELECT * FROM route_templates {keyset_clause([], args, page)}", *args
        )
        return page_of(rows, page.size, dict)

    async def update_template(
        self,
        template_id: uuid.UUID,
        name: str,
        request: dict[str, Any],
        reference_date: date,
        weekdays: Sequence[int],
        run_at: time,
    ) -> dict[str, Any]:
        """Stores the new values as the next version."""
        row = await self._conn.fetchrow(
            """UPDATE route_templates SET name = $2, request = $3, reference_date = $4,
                   weekdays = $5, run_at = $6, version = version + 1
               WHERE id = $1 RETURNING *""",
            template_id,
            name,
            request,
            reference_date,
            sorted(weekdays),
            run_at,
        )
        return dict(row)

    async def delete_template(self, template_id: uuid.UUID) -> None:
        """Removes the template; the plans it made stay, no longer linked to it."""
        await self._conn.execute(
            "UPDATE route_plans SET template_id = NULL WHERE template_id = $1", template_id
        )
        await self._conn.execute("DELETE FROM route_templates WHERE id = $1", template_id)

    async def template_named(self, name: str) -> uuid.UUID | None:
        found: uuid.UUID | None = await self._conn.fetchval(
            "SELECT id FROM route_templates WHERE name = $1", name
        )
        return found


def _capacity(value: dict[str, Any]) -> Capacity:
    return Capacity(value["weight_kg"], value["volume_l"], value["item_count"])


def _stop(row: Any) -> PlannedStop:
    return PlannedStop(
        stop_id=row["stop_id"],
        point=(row["latitude"], row["longitude"]),
        arrival=row["arrival_time"],
        departure=row["departure_time"],
        load_after=_capacity(row["load_after"]),
        task_id=row["task_id"],
        step_id=row["step_id"],
    )


def _route(row: Any, stops: list[PlannedStop]) -> PlannedRoute:
    return PlannedRoute(
        id=row["id"],
        vehicle_id=row["vehicle_id"],
        rider_id=row["rider_id"],
        stops=tuple(stops),
        distance_m=row["distance_m"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        state=RouteState(row["state"]),
    )
