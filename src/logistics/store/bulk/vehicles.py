"""The CSV import and export of vehicles in SQL: their upsert keyed on the plate, and the export
query."""

from __future__ import annotations

from typing import Any

import asyncpg

from logistics.domain.compliance import Capacity, Vehicle, VehicleState
from logistics.domain.csv_rows import ParsedRow, VehicleRecord
from logistics.domain.events import VehicleCreated, VehicleUpdated
from logistics.domain.fleet import VehicleType
from logistics.store.bulk.kind import COMMON, Kind, snapshot_sql, stage_columns

_VEHICLE_SNAPSHOT = snapshot_sql(
    Vehicle,
    {
        "capacity": snapshot_sql(
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


VEHICLES = Kind(
    name="vehicle",
    events=(VehicleCreated, VehicleUpdated),
    snapshot=_VEHICLE_SNAPSHOT,
    table="vehicles",
    key="plate",
    key_field="plate",
    **stage_columns(
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
    statements={**COMMON, **_VEHICLES},
    changed=_VEHICLE_CHANGED,
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


def vehicle_record(r: asyncpg.Record) -> VehicleRecord:
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
