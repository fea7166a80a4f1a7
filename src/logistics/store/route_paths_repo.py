"""The paths riders are checked against for route adherence (``route_paths``), what each
rider of a tenant is to follow now, and a route as its adherence score reads it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from logistics.domain.adherence import LatLng, PathRef, RoutePath
from logistics.domain.ids import TenantId
from logistics.domain.routes import RouteState
from logistics.store.db import Connection

# A rider's open route of an applied plan (the earliest first), else the next step of a task
# it is on its way with (the one changed last).
_ACTIVE = """
SELECT DISTINCT ON (rider_id) rider_id, key, route_id, task_id, lat, lng FROM (
    SELECT r.rider_id, 'route:' || r.id AS key, r.id AS route_id, NULL::uuid AS task_id,
           NULL::float8 AS lat, NULL::float8 AS lng, 0 AS rank, r.start_time AS at
    FROM routes r JOIN route_plans p ON p.id = r.plan_id
    WHERE r.state = 'planned' AND p.applied AND r.rider_id IS NOT NULL
    UNION ALL
    SELECT t.rider_id, 'step:' || t.id || ':' || (t.steps -> t.current_step ->> 'id'), NULL,
           t.id, (t.steps -> t.current_step ->> 'lat')::float8,
           (t.steps -> t.current_step ->> 'lng')::float8, 1, t.update_time
    FROM tasks t
    WHERE t.state = 'en_route' AND t.rider_id IS NOT NULL
) AS a
ORDER BY rider_id, rank, at, key
"""


@dataclass(frozen=True)
class RouteForScore:
    rider_id: uuid.UUID | None
    state: RouteState
    start: datetime  # the plan's creation: the track is read from here
    end: datetime | None  # the route's completion
    stops: tuple[LatLng, ...]


class RoutePathRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant = tenant_id

    async def active(self) -> dict[uuid.UUID, PathRef]:
        """What each rider of the tenant with an open route or a task under way follows."""
        out: dict[uuid.UUID, PathRef] = {}
        for r in await self._conn.fetch(_ACTIVE):
            target = (r["lat"], r["lng"]) if r["lat"] is not None else None
            out[r["rider_id"]] = PathRef(r["key"], r["route_id"], r["task_id"], target)
        return out

    async def get(self, key: str) -> RoutePath | None:
        row = await self._conn.fetchrow(
            "SELECT points, source, create_time FROM route_paths WHERE key = $1", key
        )
        if row is None:
            return None
        return RoutePath(
            tuple((p[0], p[1]) for p in row["points"]), row["source"], row["create_time"]
        )

    async def add(
        self, key: str, rider_id: uuid.UUID, route_id: uuid.UUID | None, path: RoutePath
    ) -> RoutePath:
        """Stores the path unless one is stored under ``key`` already; returns the stored one
        (the first replica to store it wins, so every replica checks against the same)."""
        await self._conn.execute(
            """INSERT INTO route_paths (tenant_id, key, rider_id, route_id, source, points)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, key) DO NOTHING""",
            self._tenant,
            key,
            rider_id,
            route_id,
            path.source,
            [list(p) for p in path.points],
        )
        stored = await self.get(key)
        assert stored is not None
        return stored

    async def route(self, route_id: uuid.UUID) -> RouteForScore | None:
        row = await self._conn.fetchrow(
            """SELECT r.rider_id, r.state, r.complete_time, p.create_time
               FROM routes r JOIN route_plans p ON p.id = r.plan_id WHERE r.id = $1""",
            route_id,
        )
        if row is None:
            return None
        stops = await self._conn.fetch(
            "SELECT latitude, longitude FROM route_stops WHERE route_id = $1 ORDER BY seq",
            route_id,
        )
        return RouteForScore(
            row["rider_id"],
            RouteState(row["state"]),
            row["create_time"],
            row["complete_time"],
            tuple((s["latitude"], s["longitude"]) for s in stops),
        )
