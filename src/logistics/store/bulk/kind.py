"""How a CSV import of one resource kind is written in SQL: the temp tables it stages rows in,
the statements every kind shares (written once with placeholders), and the snapshots and event
data built from the domain's dataclasses, so a field added there reaches the imports too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from logistics.domain.events import BASE_FIELDS, Event

# The statements of one import, written once with placeholders for the temp tables:
# {S} staged rows, {E} row errors, {B} rows as they were, {C} rows created or updated,
# {T} the target table, {K} its key column.
COMMON = {
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


def snapshot_sql(record: type[Any], columns: Mapping[str, str] | None = None) -> str:
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
    changed: str  # SQL: the staged row s differs from the row b as it was
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
            "CHANGED": self.changed,
            "SNAPSHOT_B": self.snapshot.replace("X.", "b."),
            "SNAPSHOT_C": self.snapshot.replace("X.", "c."),
        }
        for placeholder, value in names.items():
            text = text.replace("{" + placeholder + "}", value)
        return text


_STAGE_HEAD = (("row_no", "integer NOT NULL"), ("ok", "boolean NOT NULL"), ("ukey", "text"))


def stage_columns(*columns: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    """A kind's stage columns and types: row number, validity and key, then ``columns``."""
    pairs = (*_STAGE_HEAD, *columns)
    return {"stage_columns": tuple(c for c, _ in pairs), "stage_types": tuple(t for _, t in pairs)}
