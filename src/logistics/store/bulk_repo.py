"""SQL for CSV imports and exports of riders and vehicles: rows are COPYed into a session's
temp table, checked against the tenant's data, and upserted set-based in one transaction,
with an audit row and an outbox event per changed row; exports read through a cursor.

Staging happens outside the transaction (a temp table, on one pooled connection held for
the import), so the transaction itself is short and starts only once the file is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from logistics.domain.compliance import Capacity, Vehicle, VehicleState
from logistics.domain.csv_rows import ParsedRow, RiderRecord, RowError, VehicleRecord
from logistics.domain.errors import AlreadyExists, Unavailable
from logistics.domain.events import (
    BASE_FIELDS,
    Event,
    RiderCreated,
    RiderUpdated,
    VehicleCreated,
    VehicleUpdated,
)
from logistics.domain.fleet import Rider, RiderState, VehicleType
from logistics.domain.ids import TenantId, TenantSlug
from logistics.store.db import Connection, Database
from logistics.store.unit_of_work import Store, UnitOfWork

MAX_ERRORS = 1000
# Above the pool's default command timeout: a statement here works on every row of a file.
STATEMENT_TIMEOUT_S = 600.0
# Rows a concurrent writer created between our insert and our re-check are retried this often.
_MAX_ROUNDS = 5


@dataclass(frozen=True)
class StageOutcome:
    """What the database made of the staged rows (parse errors are the caller's)."""

    valid: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    error_count: int


# The statements of one import, written once with placeholders for the temp tables:
# {S} staged rows, {E} row errors, {B} rows as they were, {C} rows created or updated,
# {T} the target table, {K} its key column.
_COMMON = {
    "check_duplicates": """
        WITH firsts AS (
            SELECT row_no, min(row_no) OVER (PARTITION BY ukey) AS first
            FROM {S} WHERE ukey IS NOT NULL
        ), bad AS (
            UPDATE {S} s SET ok = false FROM firsts f
            WHERE s.row_no = f.row_no AND f.row_no > f.first
            RETURNING s.row_no, f.first
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, '{F}', 'duplicates row ' || first FROM bad ORDER BY row_no""",
    "capture_before": """
        INSERT INTO {B}
        SELECT t.* FROM {T} t JOIN {S} s ON s.ukey = t.{K}
        WHERE s.ok AND NOT s.handled AND t.delete_time IS NULL
        ORDER BY t.id FOR UPDATE OF t""",
    "peek_before": """
        INSERT INTO {B}
        SELECT t.* FROM {T} t JOIN {S} s ON s.ukey = t.{K}
        WHERE s.ok AND t.delete_time IS NULL""",
    "mark_handled": """
        UPDATE {S} s SET handled = true
        WHERE s.ok AND NOT s.handled AND (
            EXISTS (SELECT 1 FROM {B} b WHERE b.{K} = s.ukey)
            OR EXISTS (SELECT 1 FROM {C} c WHERE c.created AND c.{K} = s.ukey))""",
    "leftovers": "SELECT count(*) FROM {S} WHERE ok AND NOT handled",
    "preview_counts": """
        SELECT count(*) FILTER (WHERE b.id IS NULL) AS created,
               count(*) FILTER (WHERE b.id IS NOT NULL AND ({CHANGED})) AS updated,
               count(*) FILTER (WHERE b.id IS NOT NULL AND NOT ({CHANGED})) AS unchanged
        FROM {S} s LEFT JOIN {B} b ON b.{K} = s.ukey WHERE s.ok""",
    "applied_counts": """
        SELECT count(*) FILTER (WHERE created) AS created,
               count(*) FILTER (WHERE NOT created) AS updated,
               (SELECT count(*) FROM {B}) - count(*) FILTER (WHERE NOT created) AS unchanged
        FROM {C}""",
    "write_audit": """
        INSERT INTO audit_log (tenant_id, actor, action, resource, before, after)
        SELECT $1, $2, CASE WHEN c.created THEN '{N}.create' ELSE '{N}.update' END,
               'tenants/' || $3::text || '/{N}s/' || c.id,
               CASE WHEN c.created THEN NULL ELSE {SNAPSHOT_B} END, {SNAPSHOT_C}
        FROM {C} c LEFT JOIN {B} b ON b.id = c.id
        ORDER BY c.{K}""",
    # The events of RiderCreated/RiderUpdated (VehicleCreated/...) with the data
    # store.snapshot.event_data gives them: {EVENT_DATA} is built from the event classes.
    "write_outbox": """
        INSERT INTO outbox (tenant_id, id, event_type, subject, data)
        SELECT $1, gen_random_uuid(), e.event_type, 'logistics.' || e.event_type, {EVENT_DATA}
        FROM {C} c
        CROSS JOIN LATERAL (SELECT CASE WHEN c.created THEN '{CREATED}'
                                        ELSE '{UPDATED}' END AS event_type) e
        ORDER BY c.{K}""",
}


def _snapshot_sql(record: type[Any], columns: Mapping[str, str] | None = None) -> str:
    """SQL for what snapshot() gives a ``record`` read from row ``X``: one key per field of
    the dataclass, the column of the same name unless ``columns`` gives an expression. Made
    from the dataclass, so a field added to it is in the imports' events and audit rows too
    (its column must exist: the statements fail otherwise)."""
    columns = dict(columns or {})
    names = [f.name for f in dataclasses.fields(record)]
    if unknown := set(columns) - set(names):
        raise TypeError(f"{record.__name__} has no fields {sorted(unknown)}")
    pairs = ", ".join(f"'{n}', {columns.get(n, 'X.' + n)}" for n in names)
    return f"jsonb_build_object({pairs})"


def _event_data_sql(created: type[Event], updated: type[Event], snapshot: str) -> str:
    """SQL for store.snapshot.event_data of the import's events: the tenant ($2), the
    resource's name and its snapshot, the only fields the two event classes have."""
    own = [f.name for f in dataclasses.fields(created) if f.name not in BASE_FIELDS]
    other = [f.name for f in dataclasses.fields(updated) if f.name not in BASE_FIELDS]
    if own != other or len(own) != 2 or own[0] != created.resource_field:
        raise TypeError(f"{created.__name__} and {updated.__name__} are not (name, record)")
    name, record = own
    return f"""jsonb_build_object('tenant', $2::text,
        '{name}', 'tenants/' || $2::text || '/{{N}}s/' || c.id, '{record}', {snapshot})"""


_RIDER_SNAPSHOT = _snapshot_sql(Rider)

_RIDER_CHANGED = """(b.display_name, b.phone, b.email, b.fleet_id, b.home_outlet_id, b.zone,
     b.vehicle_type, b.state, b.vehicle_id)
    IS DISTINCT FROM (s.display_name, s.phone, s.email, s.fleet_id, s.home_outlet_id, s.zone,
     s.vehicle_type, s.state, s.vehicle_id)"""

_RIDERS = {
    "check_outlets": """
        WITH bad AS (
            UPDATE {S} SET ok = false WHERE ok AND home_outlet_id = ANY($1::text[])
            RETURNING row_no, home_outlet_id
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, 'home_outlet_id',
               format('outlet %s is unknown to the platform', home_outlet_id)
        FROM bad ORDER BY row_no""",
    "check_fleets": """
        WITH bad AS (
            UPDATE {S} s SET ok = false
            WHERE s.ok AND s.fleet_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM fleets f
                              WHERE f.id = s.fleet_id AND f.delete_time IS NULL)
              -- as in the API: a reference is checked only when it changes
              AND NOT EXISTS (SELECT 1 FROM riders r
                              WHERE r.external_id = s.ukey AND r.delete_time IS NULL
                                AND r.fleet_id = s.fleet_id)
            RETURNING s.row_no, s.fleet_id
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, 'fleet',
               format('fleet tenants/%s/fleets/%s does not exist', $1::text, fleet_id)
        FROM bad ORDER BY row_no""",
    "resolve_vehicles": """
        UPDATE {S} s SET vehicle_id = v.id FROM vehicles v
        WHERE s.ok AND v.plate = s.vehicle_plate AND v.delete_time IS NULL""",
    "check_vehicles": """
        WITH bad AS (
            UPDATE {S} SET ok = false
            WHERE ok AND vehicle_plate IS NOT NULL AND vehicle_id IS NULL
            RETURNING row_no, vehicle_plate
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, 'vehicle_plate',
               format('no vehicle of this tenant has the plate %s', vehicle_plate)
        FROM bad ORDER BY row_no""",
    "check_vehicle_twice": """
        WITH firsts AS (
            SELECT row_no, min(row_no) OVER (PARTITION BY vehicle_id) AS first
            FROM {S} WHERE ok AND vehicle_id IS NOT NULL
        ), bad AS (
            UPDATE {S} s SET ok = false FROM firsts f
            WHERE s.row_no = f.row_no AND f.row_no > f.first
            RETURNING s.row_no, s.vehicle_plate, f.first
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, 'vehicle_plate',
               format('vehicle %s is also given to row %s', vehicle_plate, first)
        FROM bad ORDER BY row_no""",
    # A vehicle may move to this row's rider only from a rider that, in this file, lets it go.
    "check_vehicle_held": """
        WITH bad AS (
            UPDATE {S} s SET ok = false FROM riders r
            WHERE s.ok AND r.vehicle_id = s.vehicle_id AND r.delete_time IS NULL
              AND r.external_id IS DISTINCT FROM s.ukey
              AND NOT EXISTS (SELECT 1 FROM {S} o
                              WHERE o.ok AND o.ukey = r.external_id
                                AND o.vehicle_id IS DISTINCT FROM r.vehicle_id)
            RETURNING s.row_no, s.vehicle_plate, coalesce(r.external_id, r.display_name) AS holder
        )
        INSERT INTO {E} (row_no, field, message)
        SELECT row_no, 'vehicle_plate',
               format('vehicle %s is used by rider %s', vehicle_plate, holder)
        FROM bad ORDER BY row_no""",
    # Vehicles changing hands are let go first: the one-vehicle-one-rider index is checked
    # row by row, so a swap within one UPDATE would collide with itself.
    "release_vehicles": """
        UPDATE riders t SET vehicle_id = NULL
        FROM {B} b JOIN {S} s ON s.ukey = b.external_id
        WHERE t.id = b.id AND s.ok AND NOT s.handled
          AND b.vehicle_id IS NOT NULL AND b.vehicle_id IS DISTINCT FROM s.vehicle_id""",
    "update_changed": """
        WITH up AS (
            UPDATE riders t SET display_name = s.display_name, phone = s.phone, email = s.email,
                fleet_id = s.fleet_id, home_outlet_id = s.home_outlet_id, zone = s.zone,
                vehicle_type = s.vehicle_type, state = s.state, vehicle_id = s.vehicle_id,
                update_time = now(), version = t.version + 1
            FROM {B} b JOIN {S} s ON s.ukey = b.external_id
            WHERE t.id = b.id AND s.ok AND NOT s.handled AND ({CHANGED})
            RETURNING t.*
        )
        INSERT INTO {C} SELECT false, up.* FROM up""",
    "insert_new": """
        WITH ins AS (
            INSERT INTO riders (tenant_id, id, display_name, external_id, fleet_id, phone, email,
                home_outlet_id, zone, vehicle_type, state, labels, vehicle_id)
            SELECT $1, gen_random_uuid(), s.display_name, s.ukey, s.fleet_id, s.phone, s.email,
                s.home_outlet_id, s.zone, s.vehicle_type, s.state, '{}'::jsonb, s.vehicle_id
            FROM {S} s
            WHERE s.ok AND NOT s.handled
              AND NOT EXISTS (SELECT 1 FROM {B} b WHERE b.external_id = s.ukey)
            ORDER BY s.ukey
            ON CONFLICT (tenant_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
            RETURNING *
        )
        INSERT INTO {C} SELECT true, ins.* FROM ins""",
}

_VEHICLE_SNAPSHOT = _snapshot_sql(
    Vehicle,
    {
        "capacity": _snapshot_sql(
            Capacity,
            {
                "weight_kg": "coalesce(X.capacity_weight_kg, 0)",
                "volume_l": "coalesce(X.capacity_volume_l, 0)",
                "item_count": "coalesce(X.capacity_items, 0)",
            },
        ),
        "min_temperature_c": "coalesce(X.min_temperature_c, 0)",
        "max_temperature_c": "coalesce(X.max_temperature_c, 0)",
        "max_stops": "coalesce(X.max_stops, 0)",
    },
)

_VEHICLE_CHANGED = """(b.type, b.electric, coalesce(b.capacity_weight_kg, 0),
     coalesce(b.capacity_volume_l, 0), coalesce(b.capacity_items, 0), b.temperature_controlled,
     coalesce(b.min_temperature_c, 0), coalesce(b.max_temperature_c, 0),
     coalesce(b.max_stops, 0), b.state)
    IS DISTINCT FROM (s.type, s.electric, s.capacity_weight_kg, s.capacity_volume_l,
     s.capacity_items, s.temperature_controlled, s.min_temperature_c, s.max_temperature_c,
     s.max_stops, s.state)"""

_VEHICLES = {
    "update_changed": """
        WITH up AS (
            UPDATE vehicles t SET type = s.type, electric = s.electric,
                capacity_weight_kg = s.capacity_weight_kg,
                capacity_volume_l = s.capacity_volume_l, capacity_items = s.capacity_items,
                temperature_controlled = s.temperature_controlled,
                min_temperature_c = s.min_temperature_c, max_temperature_c = s.max_temperature_c,
                max_stops = s.max_stops, state = s.state,
                update_time = now(), version = t.version + 1
            FROM {B} b JOIN {S} s ON s.ukey = b.plate
            WHERE t.id = b.id AND s.ok AND NOT s.handled AND ({CHANGED})
            RETURNING t.*
        )
        INSERT INTO {C} SELECT false, up.* FROM up""",
    "insert_new": """
        WITH ins AS (
            INSERT INTO vehicles (tenant_id, id, type, plate, electric, capacity_weight_kg,
                capacity_volume_l, capacity_items, temperature_controlled, min_temperature_c,
                max_temperature_c, max_stops, state)
            SELECT $1, gen_random_uuid(), s.type, s.ukey, s.electric, s.capacity_weight_kg,
                s.capacity_volume_l, s.capacity_items, s.temperature_controlled,
                s.min_temperature_c, s.max_temperature_c, s.max_stops, s.state
            FROM {S} s
            WHERE s.ok AND NOT s.handled
              AND NOT EXISTS (SELECT 1 FROM {B} b WHERE b.plate = s.ukey)
            ORDER BY s.ukey
            ON CONFLICT (tenant_id, plate) WHERE plate IS NOT NULL AND delete_time IS NULL
            DO NOTHING
            RETURNING *
        )
        INSERT INTO {C} SELECT true, ins.* FROM ins""",
}


def _rider_stage_record(p: ParsedRow[RiderRecord]) -> tuple[Any, ...]:
    r = p.record
    if r is None:
        return (p.row, False, p.key, *([None] * 9))
    return (
        p.row,
        True,
        r.external_id,
        r.display_name,
        r.phone,
        r.email,
        r.fleet_id,
        r.home_outlet_id,
        r.zone,
        r.vehicle_plate,
        r.vehicle_type.value if r.vehicle_type else None,
        r.state.value,
    )


def _vehicle_stage_record(p: ParsedRow[VehicleRecord]) -> tuple[Any, ...]:
    v = p.record
    if v is None:
        return (p.row, False, p.key, *([None] * 11))
    return (
        p.row,
        True,
        v.plate,
        v.type.value,
        v.electric,
        v.capacity_weight_kg,
        v.capacity_volume_l,
        v.capacity_items,
        v.temperature_controlled,
        v.min_temperature_c,
        v.max_temperature_c,
        v.max_stops,
        v.state.value,
    )


@dataclass(frozen=True)
class Kind:
    """Riders or vehicles: the temp tables, the statements, the export query."""

    name: str  # "rider": names its audit actions and resources
    events: tuple[type[Event], type[Event]]  # (created, updated)
    snapshot: str  # SQL of the record's snapshot, from row X
    table: str
    key: str  # the target table's key column
    key_field: str  # the CSV column of the key
    stage_columns: tuple[str, ...]
    stage_types: tuple[str, ...]
    stage_record: Callable[[Any], tuple[Any, ...]]
    statements: dict[str, str]
    export: str

    @property
    def stage(self) -> str:
        return f"bulk_{self.name}_stage"

    @property
    def errors(self) -> str:
        return f"bulk_{self.name}_errors"

    def _tables(self) -> dict[str, str]:
        return {
            "S": self.stage,
            "E": self.errors,
            "B": f"bulk_{self.name}_before",
            "C": f"bulk_{self.name}_changed",
        }

    @property
    def create_tables(self) -> str:
        t = self._tables()
        columns = ", ".join(
            f"{c} {k}" for c, k in zip(self.stage_columns, self.stage_types, strict=True)
        )
        return f"""
            CREATE TEMP TABLE {t["S"]} (handled boolean NOT NULL DEFAULT false, {columns},
                vehicle_id uuid);
            CREATE TEMP TABLE {t["E"]} (seq serial, row_no integer NOT NULL,
                field text NOT NULL, message text NOT NULL);
            CREATE TEMP TABLE {t["B"]} (LIKE {self.table});
            CREATE TEMP TABLE {t["C"]} (created boolean NOT NULL, LIKE {self.table});"""

    @property
    def drop_tables(self) -> str:
        return f"DROP TABLE IF EXISTS {', '.join(self._tables().values())};"

    def has(self, statement: str) -> bool:
        return statement in self.statements

    def sql(self, statement: str) -> str:
        text = self.statements[statement]
        created, updated = self.events
        names = {
            "EVENT_DATA": _event_data_sql(created, updated, self.snapshot.replace("X.", "c.")),
            "CREATED": created.type,
            "UPDATED": updated.type,
            **self._tables(),
            "T": self.table,
            "K": self.key,
            "F": self.key_field,
            "N": self.name,
            "CHANGED": _RIDER_CHANGED if self.name == "rider" else _VEHICLE_CHANGED,
            "SNAPSHOT_B": self.snapshot.replace("X.", "b."),
            "SNAPSHOT_C": self.snapshot.replace("X.", "c."),
        }
        for placeholder, value in names.items():
            text = text.replace("{" + placeholder + "}", value)
        return text


_STAGE_HEAD = (("row_no", "integer NOT NULL"), ("ok", "boolean NOT NULL"), ("ukey", "text"))


def _stage(*columns: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    pairs = (*_STAGE_HEAD, *columns)
    return {"stage_columns": tuple(c for c, _ in pairs), "stage_types": tuple(t for _, t in pairs)}


RIDERS = Kind(
    name="rider",
    events=(RiderCreated, RiderUpdated),
    snapshot=_RIDER_SNAPSHOT,
    table="riders",
    key="external_id",
    key_field="external_id",
    **_stage(
        ("display_name", "text"),
        ("phone", "text"),
        ("email", "text"),
        ("fleet_id", "uuid"),
        ("home_outlet_id", "text"),
        ("zone", "text"),
        ("vehicle_plate", "text"),
        ("vehicle_type", "text"),
        ("state", "text"),
    ),
    stage_record=_rider_stage_record,
    statements={**_COMMON, **_RIDERS},
    export="""
        SELECT r.external_id, r.display_name, r.phone, r.email, r.fleet_id, r.home_outlet_id,
               r.zone, v.plate AS vehicle_plate, r.vehicle_type, r.state
        FROM riders r
        LEFT JOIN vehicles v ON v.tenant_id = r.tenant_id AND v.id = r.vehicle_id
        WHERE r.delete_time IS NULL
        ORDER BY r.external_id COLLATE "C" NULLS LAST, r.id""",
)

VEHICLES = Kind(
    name="vehicle",
    events=(VehicleCreated, VehicleUpdated),
    snapshot=_VEHICLE_SNAPSHOT,
    table="vehicles",
    key="plate",
    key_field="plate",
    **_stage(
        ("type", "text"),
        ("electric", "boolean"),
        ("capacity_weight_kg", "double precision"),
        ("capacity_volume_l", "double precision"),
        ("capacity_items", "integer"),
        ("temperature_controlled", "boolean"),
        ("min_temperature_c", "double precision"),
        ("max_temperature_c", "double precision"),
        ("max_stops", "integer"),
        ("state", "text"),
    ),
    stage_record=_vehicle_stage_record,
    statements={**_COMMON, **_VEHICLES},
    export="""
        SELECT plate, type, electric, coalesce(capacity_weight_kg, 0) AS capacity_weight_kg,
               coalesce(capacity_volume_l, 0) AS capacity_volume_l,
               coalesce(capacity_items, 0) AS capacity_items, temperature_controlled,
               coalesce(min_temperature_c, 0) AS min_temperature_c,
               coalesce(max_temperature_c, 0) AS max_temperature_c,
               coalesce(max_stops, 0) AS max_stops, state
        FROM vehicles WHERE delete_time IS NULL
        ORDER BY plate COLLATE "C" NULLS LAST, id""",
)


class StagedImport:
    """Rows of one import, staged in temp tables on the connection held for it."""

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self._conn = conn
        self._kind = kind

    async def add(self, rows: Sequence[ParsedRow[Any]]) -> None:
        """COPYs one chunk; invalid rows are staged by key only, to find duplicates."""
        await self._conn.copy_records_to_table(
            self._kind.stage,
            records=[self._kind.stage_record(p) for p in rows],
            columns=self._kind.stage_columns,
            timeout=STATEMENT_TIMEOUT_S,
        )

    async def apply(
        self,
        tenant_id: TenantId,
        tenant: TenantSlug,
        actor: str,
        *,
        dry_run: bool,
        unknown_outlets: Sequence[str] = (),
    ) -> StageOutcome:
        """Checks every staged row against the tenant's data; unless ``dry_run``, upserts
        the valid ones with their audit rows and events, all in one transaction."""
        conn = self._conn
        await conn.execute(f"ANALYZE {self._kind.stage}")
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            await conn.execute("SET LOCAL TimeZone = 'UTC'")  # snapshots' times, as in Python
            if not dry_run:
                # Imports of one kind in one tenant take turns; the unique indexes (and the
                # rounds in _upsert) cover single-row writers meanwhile.
                await UnitOfWork(conn, tenant, tenant_id).lock(f"{self._kind.name}.import", "*")
            await self._check(tenant, unknown_outlets)
            outcome = await (self._preview() if dry_run else self._upsert(tenant_id, tenant, actor))
        except asyncpg.UniqueViolationError as exc:
            await transaction.rollback()
            raise AlreadyExists(
                f"a row collided with a concurrent change ({exc.constraint_name}); "
                "nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            ) from exc
        except asyncpg.DeadlockDetectedError as exc:
            await transaction.rollback()
            raise Unavailable(
                "the import collided with a concurrent change; nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            ) from exc
        except BaseException:
            await transaction.rollback()
            raise
        await (transaction.rollback() if dry_run else transaction.commit())
        return outcome

    async def _run(self, statement: str, *args: Any) -> int:
        """Runs one of the kind's statements; returns the rows it wrote."""
        status = await self._conn.execute(
            self._kind.sql(statement), *args, timeout=STATEMENT_TIMEOUT_S
        )
        return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0

    async def _check(self, tenant: TenantSlug, unknown_outlets: Sequence[str]) -> None:
        k = self._kind
        await self._run("check_duplicates")
        if unknown_outlets and k.has("check_outlets"):
            await self._run("check_outlets", list(unknown_outlets))
        if k.has("check_fleets"):
            await self._run("check_fleets", tenant)
        for step in ("resolve_vehicles", "check_vehicles", "check_vehicle_twice"):
            if k.has(step):
                await self._run(step)
        if k.has("check_vehicle_held"):
            # Each pass may invalidate a row that was letting go of a vehicle another row takes.
            while await self._run("check_vehicle_held"):
                pass

    async def _preview(self) -> StageOutcome:
        await self._run("peek_before")
        row = await self._conn.fetchrow(self._kind.sql("preview_counts"))
        assert row is not None
        return await self._outcome(row["created"], row["updated"], row["unchanged"])

    async def _upsert(self, tenant_id: TenantId, tenant: TenantSlug, actor: str) -> StageOutcome:
        # A row another writer inserts after our capture_before is skipped by insert_new's
        # ON CONFLICT DO NOTHING (after waiting for that writer), then updated next round.
        for _ in range(_MAX_ROUNDS):
            await self._run("capture_before")
            if self._kind.has("release_vehicles"):
                await self._run("release_vehicles")
            await self._run("update_changed")
            await self._run("insert_new", tenant_id)
            await self._run("mark_handled")
            if not await self._conn.fetchval(self._kind.sql("leftovers")):
                break
        else:
            raise Unavailable(
                "rows kept being created concurrently; nothing was applied, retry",
                reason="IMPORT_CONFLICT",
            )
        await self._run("write_audit", tenant_id, actor, tenant)
        await self._run("write_outbox", tenant_id, tenant)
        row = await self._conn.fetchrow(self._kind.sql("applied_counts"))
        assert row is not None
        return await self._outcome(row["created"], row["updated"], row["unchanged"])

    async def _outcome(self, created: int, updated: int, unchanged: int) -> StageOutcome:
        conn, k = self._conn, self._kind
        valid = await conn.fetchval(f"SELECT count(*) FROM {k.stage} WHERE ok")
        error_count = await conn.fetchval(f"SELECT count(*) FROM {k.errors}")
        rows = await conn.fetch(
            f"SELECT row_no, field, message FROM {k.errors} ORDER BY row_no, seq LIMIT $1",
            MAX_ERRORS,
        )
        errors = [RowError(r["row_no"], r["field"], r["message"]) for r in rows]
        return StageOutcome(valid, created, updated, unchanged, errors, error_count)


class BulkRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._db: Database = store.db

    @asynccontextmanager
    async def rider_import(self) -> AsyncIterator[StagedImport]:
        async with self._staged(RIDERS) as staged:
            yield staged

    @asynccontextmanager
    async def vehicle_import(self) -> AsyncIterator[StagedImport]:
        async with self._staged(VEHICLES) as staged:
            yield staged

    @asynccontextmanager
    async def _staged(self, kind: Kind) -> AsyncIterator[StagedImport]:
        async with self._db.acquire() as conn:
            await conn.execute(kind.drop_tables + kind.create_tables)
            try:
                yield StagedImport(conn, kind)
            finally:
                try:
                    await conn.execute(kind.drop_tables)
                except Exception:
                    conn.terminate()  # its temp tables go with the session

    async def export_riders(
        self, tenant: TenantSlug, batch: int
    ) -> AsyncIterator[list[RiderRecord]]:
        """Live riders by external_id (those without one last), ``batch`` at a time."""
        async with self._store.read(tenant) as uow:
            cursor = await uow.conn.cursor(RIDERS.export)
            while rows := await cursor.fetch(batch):
                yield [_rider_record(r) for r in rows]

    async def export_vehicles(
        self, tenant: TenantSlug, batch: int
    ) -> AsyncIterator[list[VehicleRecord]]:
        """Live vehicles by plate (those without one last), ``batch`` at a time."""
        async with self._store.read(tenant) as uow:
            cursor = await uow.conn.cursor(VEHICLES.export)
            while rows := await cursor.fetch(batch):
                yield [_vehicle_record(r) for r in rows]


def _rider_record(r: asyncpg.Record) -> RiderRecord:
    return RiderRecord(
        external_id=r["external_id"],
        display_name=r["display_name"],
        phone=r["phone"],
        email=r["email"],
        fleet_id=r["fleet_id"],
        home_outlet_id=r["home_outlet_id"],
        zone=r["zone"],
        vehicle_plate=r["vehicle_plate"],
        vehicle_type=VehicleType(r["vehicle_type"]) if r["vehicle_type"] else None,
        state=RiderState(r["state"]),
    )


def _vehicle_record(r: asyncpg.Record) -> VehicleRecord:
    return VehicleRecord(
        plate=r["plate"],
        type=VehicleType(r["type"]),
        electric=r["electric"],
        capacity_weight_kg=r["capacity_weight_kg"],
        capacity_volume_l=r["capacity_volume_l"],
        capacity_items=r["capacity_items"],
        temperature_controlled=r["temperature_controlled"],
        min_temperature_c=r["min_temperature_c"],
        max_temperature_c=r["max_temperature_c"],
        max_stops=r["max_stops"],
        state=VehicleState(r["state"]),
    )
