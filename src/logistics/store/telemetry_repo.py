"""SQL for geofences and the tenant's telemetry policy."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from logistics.domain.geofence import Circle, FenceKind, Geofence, Polygon, TelemetryPolicy
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


def _shape_json(shape: Polygon | Circle) -> dict[str, Any]:
    if isinstance(shape, Circle):
        return {
            "circle": {"lat": shape.latitude, "lng": shape.longitude, "radius_m": shape.radius_m}
        }
    return {"polygon": [[lat, lng] for lat, lng in shape.vertices]}


def _shape(data: dict[str, Any]) -> Polygon | Circle:
    if "circle" in data:
        c = data["circle"]
        return Circle(c["lat"], c["lng"], c["radius_m"])
    return Polygon(tuple((v[0], v[1]) for v in data["polygon"]))


def _fence(row: asyncpg.Record) -> Geofence:
    return Geofence(
        id=row["id"],
        display_name=row["display_name"],
        kind=FenceKind(row["kind"]),
        shape=_shape(row["shape"]),
        dwell_threshold=timedelta(seconds=row["dwell_threshold_s"]),
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


class GeofenceRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, fence: Geofence) -> Geofence:
        row = await self._conn.fetchrow(
            """INSERT INTO geofences (tenant_id, id, display_name, kind, shape, dwell_threshold_s)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
            self._tenant_id,
            fence.id,
            fence.display_name,
            fence.kind.value,
            _shape_json(fence.shape),
            int(fence.dwell_threshold.total_seconds()),
        )
        return _fence(row)

    async def get(self, fence_id: uuid.UUID, *, for_update: bool = False) -> Geofence | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM geofences WHERE id = $1 AND delete_time IS NULL{lock}", fence_id
        )
        return _fence(row) if row else None

    async def all(self) -> list[Geofence]:
        rows = await self._conn.fetch("SELECT * FROM geofences WHERE delete_time IS NULL")
        return [_fence(r) for r in rows]

    async def list(self, page: PageRequest) -> Page[Geofence]:
        filters: list[str] = ["delete_time IS NULL"]
        args: list[Any] = []
        rows = await self._conn.fetch(
            f"SELECT * FROM geofences {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _fence)

    async def update(self, fence: Geofence) -> Geofence:
        row = await self._conn.fetchrow(
            """UPDATE geofences SET display_name = $2, kind = $3, shape = $4,
                   dwell_threshold_s = $5, update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            fence.id,
            fence.display_name,
            fence.kind.value,
            _shape_json(fence.shape),
            int(fence.dwell_threshold.total_seconds()),
        )
        return _fence(row)

    async def archive(self, fence_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE geofences SET delete_time = now(), version = version + 1 WHERE id = $1",
            fence_id,
        )

    async def version(self) -> int:
        """Changes whenever any fence of the tenant changes (for cache freshness)."""
        value = await self._conn.fetchval(
            "SELECT coalesce(sum(version), 0) + count(*) FROM geofences"
        )
        return int(value)


class TelemetryPolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> TelemetryPolicy:
        row = await self._conn.fetchrow("SELECT * FROM telemetry_policies")
        if row is None:
            return TelemetryPolicy()
        return TelemetryPolicy(
            timedelta(seconds=float(row["sample_interval_s"])),
            row["retention_days"],
            float(row["route_corridor_m"]),
            timedelta(seconds=float(row["off_route_tolerance_s"])),
            row["update_time"],
            row["version"],
        )

    async def put(self, policy: TelemetryPolicy) -> TelemetryPolicy:
        await self._conn.execute(
            """INSERT INTO telemetry_policies (tenant_id, sample_interval_s, retention_days,
                   route_corridor_m, off_route_tolerance_s)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (tenant_id) DO UPDATE SET sample_interval_s = EXCLUDED.sample_interval_s,
                   retention_days = EXCLUDED.retention_days,
                   route_corridor_m = EXCLUDED.route_corridor_m,
                   off_route_tolerance_s = EXCLUDED.off_route_tolerance_s, update_time = now(),
                   version = telemetry_policies.version + 1""",
            self._tenant_id,
            policy.sample_interval.total_seconds(),
            policy.retention_days,
            policy.route_corridor_m,
            policy.off_route_tolerance.total_seconds(),
        )
        return await self.get()
