"""A task's columns as stored: a step as the ``steps`` jsonb holds it, and the rows of tasks as
created, made ahead and inserted in one statement (the task import): only the columns in which
new tasks differ cross the wire, one array each; the columns every task has when created (its
state, SLA state, no rider, items, metadata or flow, the first attempt, version 1, created and
updated at the transaction's time) are constants of the statement or the columns' defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from logistics.domain.ids import TenantId
from logistics.domain.tasks import SlaState, Step, Task, TaskState
from logistics.store.db import Connection
from logistics.store.presence_json import check_json

CreatedRow = tuple[Any, ...]


def step_json(s: Step) -> dict[str, Any]:
    """A step as the ``steps`` column holds it."""
    # Enums by ``_value_``: ``value`` is a descriptor, several times slower (an import makes
    # this for every step).
    return {
        "id": s.id,
        "kind": s.kind._value_,
        "lat": s.latitude,
        "lng": s.longitude,
        "address": s.address,
        "outlet_id": s.outlet_id,
        "window": [s.window.start.isoformat(), s.window.end.isoformat()] if s.window else None,
        "contact_name": s.contact_name,
        "contact_phone": s.contact_phone,
        "proofs": sorted(p._value_ for p in s.required_proofs),
        "service_seconds": s.service_seconds,
        "state": s.state._value_,
        "code_hash": s.code_hash,
        "code_attempts": s.code_attempts,
        "arrive_time": s.arrive_time.isoformat() if s.arrive_time else None,
        "complete_time": s.complete_time.isoformat() if s.complete_time else None,
        "address_state": s.address_state._value_,
        "candidates": [[c.label, c.latitude, c.longitude, c.confidence] for c in s.candidates],
        "geocode_attempts": s.geocode_attempts,
        "instructions": s.instructions,
        "curbside": s.curbside,
        "wait_seconds": s.wait_seconds,
        "arrival_check": check_json(s.arrival_check),
        "completion_check": check_json(s.completion_check),
        "findings": [
            [f.item, f.condition._value_, str(f.proof_id) if f.proof_id else None]
            for f in s.findings
        ],
    }


# What ``TaskRepository.add_many`` stores for a task as created, less the columns that vary.
_INSERT = """INSERT INTO tasks (tenant_id, id, kind, state, order_id, outlet_id, priority,
    items, steps, current_step, rider_id, pickup_deadline, delivery_deadline, sla_state,
    manual_dispatch, notes, metadata, ready_time, mark_ready_time, origin_task_id, purpose,
    create_time, update_time)
    SELECT $1, id, kind, 'created', order_id, outlet_id, priority, '[]', steps::jsonb, 0,
        NULL, pickup_deadline, delivery_deadline, 'on_track', false, notes, '{}', ready_time,
        NULL, origin_task_id, purpose, $2, $2
    FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::text[],
        $9::timestamptz[], $10::timestamptz[], $11::text[], $12::timestamptz[], $13::uuid[],
        $14::text[])
        AS t(id, kind, order_id, outlet_id, priority, steps, pickup_deadline,
             delivery_deadline, notes, ready_time, origin_task_id, purpose)"""


def created_row(task: Task) -> CreatedRow:
    """``task``'s varying columns for ``insert_created``; ValueError unless it is as created
    (what the statement's constants say)."""
    if (
        task.state is not TaskState.CREATED
        or task.sla_state is not SlaState.ON_TRACK
        or task.items
        or task.metadata
        or task.current_step
        or task.rider_id is not None
        or task.manual_dispatch
        or task.mark_ready_time is not None
        or task.flow_id is not None  # a flow's tasks join it by ``join_flow``
        or task.attempt != 1
    ):
        raise ValueError(f"task {task.id} is not as created")
    return (
        task.id,
        task.kind._value_,
        task.order_id,
        task.outlet_id,
        task.priority,
        orjson.dumps([step_json(s) for s in task.steps]).decode(),
        task.pickup_deadline,
        task.delivery_deadline,
        task.notes,
        task.ready_time,
        task.origin_task_id,
        task.purpose._value_,
    )


async def insert_created(
    conn: Connection, tenant_id: TenantId, rows: list[CreatedRow], stamp: datetime
) -> None:
    """Inserts ``created_row``s in one statement, each created and updated at ``stamp`` (the
    transaction's time) at version 1 (the column's default)."""
    if rows:
        await conn.execute(_INSERT, tenant_id, stamp, *zip(*rows, strict=True))
