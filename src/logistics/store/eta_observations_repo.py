"""SQL for the ETA observations (``eta_observations``): legs and stops recorded in the rider's
action's transaction, the legs' predictions filled in later, and a tenant's recent window."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain.eta_observations import Leg, LegStart, Observed, StopTime, Unpredicted
from logistics.domain.ids import TenantId
from logistics.geo.eta_cells import area_of
from logistics.store.db import Connection


class EtaObservationRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def leg_start(self, task_id: uuid.UUID) -> LegStart | None:
        """Where and when the task was started (its last ``en_route`` entry with a place)."""
        row = await self._conn.fetchrow(
            """SELECT COALESCE(occurred_time, event_time) AS at, latitude, longitude
               FROM task_events
               WHERE task_id = $1 AND type = 'en_route' AND latitude IS NOT NULL
               ORDER BY seq DESC LIMIT 1""",
            task_id,
        )
        if row is None:
            return None
        return LegStart(row["at"], (row["latitude"], row["longitude"]))

    async def add_leg(self, task_id: uuid.UUID, leg: Leg, vehicle: str | None) -> None:
        """Once per (task, step): a replayed arrival records nothing."""
        cell, parent = area_of(*leg.start.location)
        await self._conn.execute(
            """INSERT INTO eta_observations (tenant_id, task_id, step_id, kind, step_kind, vehicle,
                   cell, parent, start_time, seconds, origin_lat, origin_lng, dest_lat, dest_lng)
               VALUES ($1, $2, $3, 'travel', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
               ON CONFLICT DO NOTHING""",
            self._tenant_id,
            task_id,
            leg.step_id,
            leg.step_kind,
            vehicle,
            cell,
            parent,
            leg.start.at,
            leg.seconds,
            *leg.start.location,
            *leg.destination,
        )

    async def add_stop(self, task_id: uuid.UUID, stop: StopTime) -> None:
        cell, parent = area_of(*stop.location)
        await self._conn.execute(
            """INSERT INTO eta_observations (tenant_id, task_id, step_id, kind, step_kind, cell,
                   parent, start_time, seconds)
               VALUES ($1, $2, $3, 'service', $4, $5, $6, $7, $8)
               ON CONFLICT DO NOTHING""",
            self._tenant_id,
            task_id,
            stop.step_id,
            stop.step_kind,
            cell,
            parent,
            stop.arrive,
            stop.seconds,
        )

    async def unpredicted(self, limit: int) -> list[Unpredicted]:
        rows = await self._conn.fetch(
            """SELECT task_id, step_id, origin_lat, origin_lng, dest_lat, dest_lng, vehicle
               FROM eta_observations
               WHERE kind = 'travel' AND predicted_s IS NULL
               ORDER BY start_time DESC LIMIT $1""",
            limit,
        )
        return [
            Unpredicted(
                r["task_id"],
                r["step_id"],
                (r["origin_lat"], r["origin_lng"]),
                (r["dest_lat"], r["dest_lng"]),
                r["vehicle"],
            )
            for r in rows
        ]

    async def set_predicted(self, predicted: list[tuple[uuid.UUID, str, float]]) -> None:
        """(task id, step id, seconds) per leg, in one statement. Planned for its arguments
        each time: the generic plan PostgreSQL switches a prepared statement to after five runs
        scanned the tenant's legs once per row before the table had statistics (seconds per
        refresh at a week of legs); planned afresh it joins once."""
        await self._conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        await self._conn.execute(
            """UPDATE eta_observations o SET predicted_s = t.predicted_s
               FROM unnest($1::uuid[], $2::text[], $3::float8[]) AS t(task_id, step_id, predicted_s)
               WHERE o.tenant_id = $4 AND o.task_id = t.task_id AND o.step_id = t.step_id
                 AND o.kind = 'travel'""",
            [p[0] for p in predicted],
            [p[1] for p in predicted],
            [p[2] for p in predicted],
            self._tenant_id,
        )

    async def window(self, kind: str, since: datetime, limit: int) -> list[Observed]:
        """The newest ``limit`` observations of ``kind`` since ``since`` (legs: predicted
        ones only)."""
        rows = await self._conn.fetch(
            """SELECT step_kind, cell, parent, start_time, seconds, predicted_s
               FROM eta_observations
               WHERE kind = $1 AND start_time >= $2
                 AND ($1 = 'service' OR predicted_s IS NOT NULL)
               ORDER BY start_time DESC LIMIT $3""",
            kind,
            since,
            limit,
        )
        return [
            Observed(
                r["step_kind"],
                r["cell"],
                r["parent"],
                r["start_time"],
                r["seconds"],
                r["predicted_s"],
            )
            for r in rows
        ]

    async def oldest(self) -> datetime | None:
        """When the oldest observation began (None: there are none)."""
        found: datetime | None = await self._conn.fetchval(
            "SELECT min(start_time) FROM eta_observations"
        )
        return found

    async def forget_before(self, cutoff: datetime) -> int:
        """Retention: observations older than ``cutoff`` go (they hold riders' positions)."""
        done = await self._conn.execute(
            "DELETE FROM eta_observations WHERE start_time < $1", cutoff
        )
        return int(done.split()[-1])
