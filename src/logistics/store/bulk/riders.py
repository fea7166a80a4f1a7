"""The CSV import and export of riders in SQL: their checks (fleets, outlets, vehicles changing
hands), their upsert and the export query."""

from __future__ import annotations

from typing import Any

import asyncpg

from logistics.domain.csv_rows import ParsedRow, RiderRecord
from logistics.domain.events import RiderCreated, RiderUpdated
from logistics.domain.fleet import Rider, RiderState, VehicleType
from logistics.store.bulk.kind import COMMON, Kind, snapshot_sql, stage_columns

_RIDER_SNAPSHOT = snapshot_sql(Rider)

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


RIDERS = Kind(
    name="rider",
    events=(RiderCreated, RiderUpdated),
    snapshot=_RIDER_SNAPSHOT,
    table="riders",
    key="external_id",
    key_field="external_id",
    **stage_columns(
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
    statements={**COMMON, **_RIDERS},
    changed=_RIDER_CHANGED,
    export="""
        SELECT r.external_id, r.display_name, r.phone, r.email, r.fleet_id, r.home_outlet_id,
               r.zone, v.plate AS vehicle_plate, r.vehicle_type, r.state
        FROM riders r
        LEFT JOIN vehicles v ON v.tenant_id = r.tenant_id AND v.id = r.vehicle_id
        WHERE r.delete_time IS NULL
        ORDER BY r.external_id COLLATE "C" NULLS LAST, r.id""",
)


def rider_record(r: asyncpg.Record) -> RiderRecord:
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
