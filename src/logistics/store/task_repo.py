"""SQL for tasks, their audit trail, their proofs and the tenant's SLA policy."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from logistics.domain.addresses import AddressState, Candidate
from logistics.domain.coldchain import Mark
from logistics.domain.compliance import Window
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.domain.returns import ItemCondition, ItemFinding, TaskPurpose
from logistics.domain.task_records import ProofRow, TaskEventRow, TaskFilter
from logistics.domain.tasks import (
    Item,
    ProofKind,
    SlaState,
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
)
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of
from logistics.store.presence_json import check_from_json
from logistics.store.task_columns import CreatedRow, created_row, insert_created, step_json
from logistics.store.temperature_repo import mark_from_json, mark_json, reading_from_json


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _step(d: dict[str, Any]) -> Step:
    window = d.get("window")
    return Step(
        id=d["id"],
        kind=StepKind(d["kind"]),
        latitude=d["lat"],
        longitude=d["lng"],
        address=d.get("address"),
        outlet_id=d.get("outlet_id"),
        window=Window(datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1]))
        if window
        else None,
        contact_name=d.get("contact_name"),
        contact_phone=d.get("contact_phone"),
        required_proofs=frozenset(ProofKind(p) for p in d.get("proofs", ())),
        service_seconds=d.get("service_seconds", 0),
        state=StepState(d["state"]),
        code_hash=d.get("code_hash"),
        code_attempts=d.get("code_attempts", 0),
        arrive_time=_time(d.get("arrive_time")),
        complete_time=_time(d.get("complete_time")),
        address_state=AddressState(d.get("address_state", "given")),
        candidates=tuple(Candidate(*c) for c in d.get("candidates", ())),
        geocode_attempts=d.get("geocode_attempts", 0),
        instructions=d.get("instructions"),
        curbside=d.get("curbside", False),
        wait_seconds=d.get("wait_seconds"),
        arrival_check=check_from_json(d.get("arrival_check")),
        completion_check=check_from_json(d.get("completion_check")),
        findings=tuple(
            ItemFinding(item, ItemCondition(condition), uuid.UUID(proof) if proof else None)
            for item, condition, proof in d.get("findings", ())
        ),
    )


def _item_json(i: Item) -> dict[str, Any]:
    return {
        "sku": i.sku,
        "description": i.description,
        "quantity": i.quantity,
        "weight_kg": i.weight_kg,
        "volume_l": i.volume_l,
        "min_temperature_c": i.min_temperature_c,
        "max_temperature_c": i.max_temperature_c,
        "condition": i.condition._value_,
        "collect": i.collect,
    }


def _item(d: dict[str, Any]) -> Item:
    # Items stored before returns (migration 0017) have no condition or collect flag.
    condition = ItemCondition(d.get("condition", "unspecified"))
    return Item(**{**d, "condition": condition, "collect": d.get("collect", False)})


def _task(row: asyncpg.Record | dict[str, Any]) -> Task:
    return Task(
        id=row["id"],
        kind=TaskKind(row["kind"]),
        steps=tuple(_step(s) for s in row["steps"]),
        state=TaskState(row["state"]),
        order_id=row["order_id"],
        outlet_id=row["outlet_id"],
        priority=row["priority"],
        items=tuple(_item(i) for i in row["items"]),
        current_step=row["current_step"],
        rider_id=row["rider_id"],
        pickup_deadline=row["pickup_deadline"],
        delivery_deadline=row["delivery_deadline"],
        sla_state=SlaState(row["sla_state"]),
        manual_dispatch=row["manual_dispatch"],
        notes=row["notes"],
        metadata=row["metadata"],
        ready_time=row["ready_time"],
        mark_ready_time=row["mark_ready_time"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
        origin_task_id=row["origin_task_id"],
        purpose=TaskPurpose(row["purpose"]),
        flow_id=row.get("flow_id"),
        attempt=row.get("attempt") or 1,
        **_cold_chain(row),
    )


def _cold_chain(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The task's cold chain fields, from its detector's state (none in a stored outcome)."""
    state = row.get("cold_chain")
    if not state:
        return {}
    last = state.get("last")
    return {
        "temperature_excursion": bool(row.get("temperature_excursion")),
        "temperature_excursion_active": state.get("episode_since") is not None,
        "last_temperature": reading_from_json(last) if last else None,
    }


def _values(t: Task) -> list[Any]:
    return [
        t.kind.value,
        t.state.value,
        t.order_id,
        t.outlet_id,
        t.priority,
        [_item_json(i) for i in t.items],
        [step_json(s) for s in t.steps],
        t.current_step,
        t.rider_id,
        t.pickup_deadline,
        t.delivery_deadline,
        t.sla_state.value,
        t.manual_dispatch,
        t.notes,
        dict(t.metadata),
        t.ready_time,
        t.mark_ready_time,
        t.origin_task_id,
        t.purpose._value_,
    ]


def task_json(t: Task) -> dict[str, Any]:
    """The whole task as JSON, as a stored outcome keeps it (``task_from_json`` reads it)."""
    values = dict(zip(_COLUMNS, _values(t), strict=True))
    for key in ("pickup_deadline", "delivery_deadline", "ready_time", "mark_ready_time"):
        values[key] = values[key].isoformat() if values[key] else None
    values["rider_id"] = str(t.rider_id) if t.rider_id else None
    values["origin_task_id"] = str(t.origin_task_id) if t.origin_task_id else None
    return {
        **values,
        "id": str(t.id),
        "create_time": t.create_time.isoformat() if t.create_time else None,
        "update_time": t.update_time.isoformat() if t.update_time else None,
        "version": t.version,
        "flow_id": str(t.flow_id) if t.flow_id else None,
        "attempt": t.attempt,
    }


def task_from_json(d: dict[str, Any]) -> Task:
    row = {
        **d,
        "id": uuid.UUID(d["id"]),
        "rider_id": uuid.UUID(d["rider_id"]) if d["rider_id"] else None,
        # Outcomes stored before returns (migration 0017) have neither.
        "origin_task_id": uuid.UUID(d["origin_task_id"]) if d.get("origin_task_id") else None,
        "purpose": d.get("purpose", "unspecified"),
        "flow_id": uuid.UUID(d["flow_id"]) if d.get("flow_id") else None,
        **{
            k: _time(d.get(k))
            for k in (
                "pickup_deadline",
                "delivery_deadline",
                "ready_time",
                "mark_ready_time",
                "create_time",
                "update_time",
            )
        },
    }
    return _task(row)


_COLUMNS = (
    "kind",
    "state",
    "order_id",
    "outlet_id",
    "priority",
    "items",
    "steps",
    "current_step",
    "rider_id",
    "pickup_deadline",
    "delivery_deadline",
    "sla_state",
    "manual_dispatch",
    "notes",
    "metadata",
    "ready_time",
    "mark_ready_time",
    "origin_task_id",
    "purpose",
)

_INSERT = """INSERT INTO tasks (tenant_id, id, kind, state, order_id, outlet_id, priority,
    items, steps, current_step, rider_id, pickup_deadline, delivery_deadline, sla_state,
    manual_dispatch, notes, metadata, ready_time, mark_ready_time, origin_task_id, purpose)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
    $19, $20, $21)"""


# add_many's statement: arrays of the columns of _values (jsonb passed as text: asyncpg would
# take a JSON list for an array dimension).
_INSERT_MANY = """INSERT INTO tasks (tenant_id, id, kind, state, order_id, outlet_id, priority,
    items, steps, current_step, rider_id, pickup_deadline, delivery_deadline, sla_state,
    manual_dispatch, notes, metadata, ready_time, mark_ready_time, origin_task_id, purpose)
    SELECT $1, id, kind, state, order_id, outlet_id, priority, items::jsonb, steps::jsonb,
        current_step, rider_id, pickup_deadline, delivery_deadline, sla_state,
        manual_dispatch, notes, metadata::jsonb, ready_time, mark_ready_time, origin_task_id,
        purpose
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[],
        $8::text[], $9::text[], $10::integer[], $11::uuid[], $12::timestamptz[],
        $13::timestamptz[], $14::text[], $15::boolean[], $16::text[], $17::text[],
        $18::timestamptz[], $19::timestamptz[], $20::uuid[], $21::text[])
        AS t(id, kind, state, order_id, outlet_id, priority, items, steps, current_step,
             rider_id, pickup_deadline, delivery_deadline, sla_state, manual_dispatch, notes,
             metadata, ready_time, mark_ready_time, origin_task_id, purpose)
    RETURNING id, pickup_deadline, delivery_deadline, ready_time, mark_ready_time, create_time,
        update_time, version"""
_JSON_VALUES = (5, 6, 14)  # items, steps, metadata in _values


def _as_stored(task: Task, row: asyncpg.Record) -> Task:
    """``task`` as reading its row back would give it (timestamps in UTC)."""
    return dataclasses.replace(
        task,
        pickup_deadline=row["pickup_deadline"],
        delivery_deadline=row["delivery_deadline"],
        ready_time=row["ready_time"],
        mark_ready_time=row["mark_ready_time"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


class TaskRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, task: Task) -> Task:
        row = await self._conn.fetchrow(
            _INSERT + " RETURNING *",
            self._tenant_id,
            task.id,
            *_values(task),
        )
        return _task(row)

    async def add_many(self, tasks: list[Task]) -> list[Task]:
        """``add`` for many tasks, in one statement (in ``tasks``' order): each task as
        stored, with the times and version the database gave it."""
        if not tasks:
            return []
        columns = list(zip(*(_values(t) for t in tasks), strict=True))
        for i in _JSON_VALUES:
            columns[i] = tuple(json.dumps(v) for v in columns[i])
        rows = await self._conn.fetch(
            _INSERT_MANY, self._tenant_id, [t.id for t in tasks], *columns
        )
        stored = {r["id"]: r for r in rows}
        return [_as_stored(t, stored[t.id]) for t in tasks]

    @staticmethod
    def prepare(task: Task) -> CreatedRow:
        """``created_row``: pure, so callable before the statement (an import's reader)."""
        return created_row(task)

    async def insert_created(self, rows: list[CreatedRow], stamp: datetime) -> None:
        """Inserts ``created_row``s in one statement, created and updated at ``stamp``."""
        await insert_created(self._conn, self._tenant_id, rows, stamp)

    async def get_many(self, task_ids: list[uuid.UUID]) -> list[Task]:
        """The tasks found, in ``task_ids``' order."""
        rows = await self._conn.fetch("SELECT * FROM tasks WHERE id = ANY($1::uuid[])", task_ids)
        found = {r["id"]: _task(r) for r in rows}
        return [found[i] for i in task_ids if i in found]

    async def scan(self, batch: int) -> AsyncIterator[list[Task]]:
        """Every task by create time (those created together by order id), ``batch`` at a
        time, through a cursor (in a transaction)."""
        cursor = await self._conn.cursor(
            'SELECT * FROM tasks ORDER BY create_time, order_id COLLATE "C", id'
        )
        while rows := await cursor.fetch(batch):
            yield [_task(r) for r in rows]

    async def get(self, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM tasks WHERE id = $1{lock}", task_id)
        return _task(row) if row else None

    async def save(self, task: Task) -> Task:
        row = await self._conn.fetchrow(
            """UPDATE tasks SET kind = $2, state = $3, order_id = $4, outlet_id = $5,
                   priority = $6, items = $7, steps = $8, current_step = $9, rider_id = $10,
                   pickup_deadline = $11, delivery_deadline = $12, sla_state = $13,
                   manual_dispatch = $14, notes = $15, metadata = $16, ready_time = $17,
                   mark_ready_time = $18, origin_task_id = $19, purpose = $20,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            task.id,
            *_values(task),
        )
        return _task(row)

    async def update(self, task: Task) -> Task:
        """``save``, by the name ``services.crud`` calls it."""
        return await self.save(task)

    async def join_flow(self, task: Task, flow_id: uuid.UUID, attempt: int) -> Task:
        """``task`` as a member of flow ``flow_id`` at attempt ``attempt``: set in the
        transaction that started the flow or made the task, so no version of its own."""
        row = await self._conn.fetchrow(
            "UPDATE tasks SET flow_id = $2, attempt = $3 WHERE id = $1 RETURNING *",
            task.id,
            flow_id,
            attempt,
        )
        return _task(row)

    async def find(self, page: PageRequest, f: TaskFilter) -> Page[Task]:
        filters: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("state", f.state.value if f.state else None),
            ("kind", f.kind.value if f.kind else None),
            ("outlet_id", f.outlet_id),
            ("rider_id", f.rider_id),
            ("sla_state", f.sla_state.value if f.sla_state else None),
            ("order_id", f.order_id),
            ("origin_task_id", f.origin_task_id),
            ("purpose", f.purpose.value if f.purpose else None),
        ):
            if value is not None:
                args.append(value)
                filters.append(f"{column} = ${len(args)}")
        if f.needs_address is not None:
            waiting = """(steps @> '[{"address_state": "pending"}]'
                OR steps @> '[{"address_state": "needs_address"}]')"""
            filters.append(waiting if f.needs_address else f"NOT {waiting}")
        for column, window in (("create_time", f.created), ("delivery_deadline", f.deadline)):
            if window is not None:
                args.extend([window.start, window.end])
                filters.append(f"{column} >= ${len(args) - 1} AND {column} < ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM tasks {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _task)

    async def active_count(self, rider_id: uuid.UUID) -> int:
        value = await self._conn.fetchval(
            """SELECT count(*) FROM tasks WHERE rider_id = $1
               AND state IN ('assigned', 'en_route', 'arrived')""",
            rider_id,
        )
        return int(value)

    async def add_event(
        self,
        task_id: uuid.UUID,
        type: str,
        actor: str,
        *,
        from_state: TaskState | None,
        to_state: TaskState | None,
        reason: str | None = None,
        location: tuple[float, float] | None = None,
        step_id: str | None = None,
        occurred_time: datetime | None = None,
        flow: str | None = None,
        temperature: Mark | None = None,
    ) -> None:
        """``flow``: of a flow's step (type ``flow_step``), the flow's name; ``temperature``: of
        a cold chain entry, its reading and range."""
        await self._conn.execute(
            """INSERT INTO task_events (tenant_id, id, task_id, type, from_state, to_state, actor,
                   reason, latitude, longitude, step_id, occurred_time, flow, temperature)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
            self._tenant_id,
            uuid.uuid4(),
            task_id,
            type,
            from_state.value if from_state else None,
            to_state.value if to_state else None,
            actor,
            reason,
            location[0] if location else None,
            location[1] if location else None,
            step_id,
            occurred_time,
            flow,
            mark_json(temperature) if temperature else None,
        )

    async def add_created_events(self, tasks: list[Task], actor: str) -> None:
        """The ``created`` entry of each task's trail, in one statement."""
        await self.add_created_trail([t.id for t in tasks], [t.state for t in tasks], actor)

    async def add_created_trail(
        self, task_ids: Sequence[uuid.UUID], states: Sequence[TaskState], actor: str
    ) -> None:
        """The ``created`` entry of each task's trail (its id and state), in one statement."""
        await self._conn.execute(
            """INSERT INTO task_events (tenant_id, id, task_id, type, from_state, to_state, actor)
               SELECT $1, gen_random_uuid(), task_id, 'created', NULL, state, $2
               FROM unnest($3::uuid[], $4::text[]) AS t(task_id, state)""",
            self._tenant_id,
            actor,
            task_ids,
            [s.value for s in states],
        )

    async def add_link_entries(
        self, entries: Sequence[tuple[uuid.UUID, str, str]], actor: str
    ) -> None:
        """Trail entries (task id, type, reason) that change no state, in one statement: a
        forward task told of the return or exchange made for it."""
        task_ids, types, reasons = zip(*entries, strict=True)
        await self._conn.execute(
            """INSERT INTO task_events (tenant_id, id, task_id, type, actor, reason)
               SELECT $1, gen_random_uuid(), task_id, type, $2, reason
               FROM unnest($3::uuid[], $4::text[], $5::text[]) AS t(task_id, type, reason)""",
            self._tenant_id,
            actor,
            list(task_ids),
            list(types),
            list(reasons),
        )

    async def events(
        self, task_id: uuid.UUID, after_seq: int, limit: int
    ) -> list[tuple[int, TaskEventRow]]:
        rows = await self._conn.fetch(
            """SELECT * FROM task_events WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3""",
            task_id,
            after_seq,
            limit,
        )
        return [
            (
                r["seq"],
                TaskEventRow(
                    r["id"],
                    r["type"],
                    TaskState(r["from_state"]) if r["from_state"] else None,
                    TaskState(r["to_state"]) if r["to_state"] else None,
                    r["actor"],
                    r["reason"],
                    r["latitude"],
                    r["longitude"],
                    r["step_id"],
                    r["event_time"],
                    r["occurred_time"],
                    r["flow"],
                    mark_from_json(r["temperature"]) if r["temperature"] else None,
                ),
            )
            for r in rows
        ]

    async def add_proof(self, task_id: uuid.UUID, proof: ProofRow) -> None:
        await self._conn.execute(
            """INSERT INTO proofs (tenant_id, id, task_id, step_id, kind, text_value,
                   temperatures_c, blob_key, file_sha256, content_type, file_size, latitude,
                   longitude, capture_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
            self._tenant_id,
            proof.id,
            task_id,
            proof.step_id,
            proof.kind.value,
            proof.text,
            list(proof.temperatures_c) or None,
            proof.blob_key,
            proof.file_sha256,
            proof.content_type,
            proof.file_size,
            proof.latitude,
            proof.longitude,
            proof.capture_time,
        )

    async def proofs(self, task_id: uuid.UUID) -> list[ProofRow]:
        rows = await self._conn.fetch(
            "SELECT * FROM proofs WHERE task_id = $1 ORDER BY create_time, id", task_id
        )
        return [
            ProofRow(
                r["id"],
                r["step_id"],
                ProofKind(r["kind"]),
                r["text_value"],
                tuple(r["temperatures_c"] or ()),
                r["blob_key"],
                r["file_sha256"],
                r["content_type"],
                r["file_size"],
                r["latitude"],
                r["longitude"],
                r["capture_time"],
                r["create_time"],
                r["purge_time"],
            )
            for r in rows
        ]
