"""SQL for durable flows: a flow's row, its steps (one row each, never changed once
written) and the listing with its filters."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from logistics.domain.errors import EtagMismatch
from logistics.domain.flows import Flow, FlowFilter, FlowKind, FlowState, FlowStep
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of


def _step(row: asyncpg.Record) -> FlowStep:
    return FlowStep(
        seq=row["seq"],
        name=row["name"],
        compensation=row["compensation"],
        compensates=row["compensates"],
        task_id=row["task_id"],
        detail=row["detail"],
        done_time=row["done_time"],
    )


def _flow(row: asyncpg.Record, steps: list[FlowStep]) -> Flow:
    context = row["context"]
    return Flow(
        id=row["id"],
        kind=FlowKind(row["kind"]),
        task_id=row["task_id"],
        state=FlowState(row["state"]),
        waiting_on=row["waiting_on"],
        context=json.loads(context) if isinstance(context, str) else context,
        steps=tuple(steps),
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


class FlowRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, flow: Flow) -> Flow:
        row = await self._conn.fetchrow(
            """INSERT INTO flows (tenant_id, id, kind, state, task_id, waiting_on, context)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
            self._tenant_id,
            flow.id,
            flow.kind.value,
            flow.state.value,
            flow.task_id,
            flow.waiting_on,
            dict(flow.context),
        )
        await self._add_steps(flow.id, flow.steps)
        return _flow(row, list(flow.steps))

    async def get(self, flow_id: uuid.UUID, *, for_update: bool = False) -> Flow | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM flows WHERE id = $1{lock}", flow_id)
        if row is None:
            return None
        return _flow(row, (await self._steps([flow_id])).get(flow_id, []))

    async def waiting_on(self, task_id: uuid.UUID) -> list[Flow]:
        """The flows waiting for ``task_id`` to end, locked, oldest first."""
        rows = await self._conn.fetch(
            """SELECT * FROM flows WHERE waiting_on = $1 ORDER BY create_time, id FOR UPDATE""",
            task_id,
        )
        steps = await self._steps([r["id"] for r in rows])
        return [_flow(r, steps.get(r["id"], [])) for r in rows]

    async def save(self, before: Flow, after: Flow) -> Flow:
        """Stores ``after`` (its new steps added): ABORTED if the flow changed since
        ``before`` was read (its row should be locked: a lost race is a bug, not a retry)."""
        row = await self._conn.fetchrow(
            """UPDATE flows SET state = $2, waiting_on = $3, update_time = now(),
                   version = version + 1
               WHERE id = $1 AND version = $4 RETURNING *""",
            after.id,
            after.state.value,
            after.waiting_on,
            before.version,
        )
        if row is None:
            raise EtagMismatch(f"flow {after.id} changed meanwhile", reason="FLOW_CHANGED")
        await self._add_steps(after.id, after.steps[len(before.steps) :])
        return _flow(row, list(after.steps))

    async def find(self, page: PageRequest, f: FlowFilter) -> Page[Flow]:
        filters: list[str] = []
        args: list[Any] = []
        if f.task_id is not None:
            args.append(f.task_id)
            n = len(args)
            filters.append(f"(task_id = ${n} OR id = (SELECT flow_id FROM tasks WHERE id = ${n}))")
        for column, value in (
            ("kind", f.kind.value if f.kind else None),
            ("state", f.state.value if f.state else None),
        ):
            if value is not None:
                args.append(value)
                filters.append(f"{column} = ${len(args)}")
        rows = await self._conn.fetch(
            f"SELECT * FROM flows {keyset_clause(filters, args, page)}", *args
        )
        steps = await self._steps([r["id"] for r in rows])
        return page_of(rows, page.size, lambda r: _flow(r, steps.get(r["id"], [])))

    async def _steps(self, flow_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[FlowStep]]:
        if not flow_ids:
            return {}
        rows = await self._conn.fetch(
            "SELECT * FROM flow_steps WHERE flow_id = ANY($1::uuid[]) ORDER BY flow_id, seq",
            flow_ids,
        )
        found: dict[uuid.UUID, list[FlowStep]] = {}
        for r in rows:
            found.setdefault(r["flow_id"], []).append(_step(r))
        return found

    async def _add_steps(self, flow_id: uuid.UUID, steps: tuple[FlowStep, ...]) -> None:
        """New steps: a seq taken twice is a unique violation, so a step is never doubled."""
        if not steps:
            return
        await self._conn.execute(
            """INSERT INTO flow_steps (tenant_id, flow_id, seq, name, compensation, compensates,
                   task_id, detail, done_time)
               SELECT $1, $2, seq, name, compensation, compensates, task_id, detail, done_time
               FROM unnest($3::integer[], $4::text[], $5::boolean[], $6::integer[],
                   $7::uuid[], $8::text[], $9::timestamptz[])
                   AS t(seq, name, compensation, compensates, task_id, detail, done_time)""",
            self._tenant_id,
            flow_id,
            [s.seq for s in steps],
            [s.name for s in steps],
            [s.compensation for s in steps],
            [s.compensates for s in steps],
            [s.task_id for s in steps],
            [s.detail for s in steps],
            [s.done_time for s in steps],
        )
