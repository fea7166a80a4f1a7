"""SQL for the cold chain: a task's temperature readings (stored once per probe and time) and
its excursion detector's state (on the task's row, outside its version)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from logistics.domain.coldchain import ColdChain, Mark, ProbeRun, Range, Reading
from logistics.domain.ids import TenantId
from logistics.domain.paging import Cursor, Page, PageRequest
from logistics.store.db import Connection

_PROBE_NAMESPACE = uuid.UUID("2f1d9c3e-5b7a-4e61-9a0c-7d3b8e4f6a21")


def probe_key(probe_id: str) -> uuid.UUID:
    """The probe id as a UUID (v5): a reading's key beside its record time, and a page
    token's."""
    return uuid.uuid5(_PROBE_NAMESPACE, probe_id)


def reading_json(r: Reading) -> dict[str, Any]:
    return {"probe_id": r.probe_id, "time": r.record_time.isoformat(), "celsius": r.celsius}


def reading_from_json(d: dict[str, Any]) -> Reading:
    return Reading(d["probe_id"], datetime.fromisoformat(d["time"]), float(d["celsius"]))


def mark_json(m: Mark) -> dict[str, Any]:
    rng = [m.range.min_c, m.range.max_c] if m.range else None
    return {"reading": reading_json(m.reading), "range": rng}


def mark_from_json(d: dict[str, Any]) -> Mark:
    rng = d.get("range")
    return Mark(reading_from_json(d["reading"]), Range(*rng) if rng else None)


def cold_chain_json(state: ColdChain) -> dict[str, Any]:
    def at(t: datetime | None) -> str | None:
        return t.isoformat() if t else None

    return {
        "probes": {
            p: [at(run.last_time), at(run.out_since), run.excursion, run.peak_c]
            for p, run in state.probes.items()
        },
        "episode_since": at(state.episode_since),
        "peak_c": state.peak_c,
        "excursions": state.excursions,
        "last": reading_json(state.last) if state.last else None,
    }


def cold_chain_from_json(d: dict[str, Any] | None) -> ColdChain:
    if not d:
        return ColdChain()

    def at(t: str | None) -> datetime | None:
        return datetime.fromisoformat(t) if t else None

    return ColdChain(
        probes={
            p: ProbeRun(datetime.fromisoformat(run[0]), at(run[1]), bool(run[2]), run[3])
            for p, run in d.get("probes", {}).items()
        },
        episode_since=at(d.get("episode_since")),
        peak_c=d.get("peak_c"),
        excursions=int(d.get("excursions", 0)),
        last=reading_from_json(d["last"]) if d.get("last") else None,
    )


class TemperatureRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(
        self,
        task_id: uuid.UUID,
        readings: Sequence[Reading],
        source: str,
        rider_id: uuid.UUID | None,
    ) -> list[bool]:
        """Stores the readings not stored before, in one statement; per reading, whether it was
        new (a repeat within ``readings`` counts once)."""
        if not readings:
            return []
        keys = [probe_key(r.probe_id) for r in readings]
        rows = await self._conn.fetch(
            """INSERT INTO temperature_readings (tenant_id, task_id, record_time, probe_key,
                   probe_id, celsius, source, rider_id)
               SELECT $1, $2, t.record_time, t.probe_key, t.probe_id, t.celsius, $6, $7
               FROM unnest($3::timestamptz[], $4::uuid[], $5::text[], $8::float8[])
                   AS t(record_time, probe_key, probe_id, celsius)
               ON CONFLICT DO NOTHING
               RETURNING record_time, probe_key""",
            self._tenant_id,
            task_id,
            [r.record_time for r in readings],
            keys,
            [r.probe_id for r in readings],
            source,
            rider_id,
            [r.celsius for r in readings],
        )
        fresh = {(r["record_time"], r["probe_key"]) for r in rows}
        out = []
        for r, key in zip(readings, keys, strict=True):
            k = (r.record_time, key)
            out.append(k in fresh)
            fresh.discard(k)
        return out

    async def page(self, task_id: uuid.UUID, page: PageRequest) -> Page[Reading]:
        args: list[Any] = [task_id]
        after = ""
        if page.after is not None:
            args.extend([page.after.create_time, page.after.id])
            after = "AND (record_time, probe_key) > ($2, $3)"
        args.append(page.size + 1)
        rows = await self._conn.fetch(
            f"""SELECT record_time, probe_key, probe_id, celsius FROM temperature_readings
                WHERE task_id = $1 {after}
                ORDER BY record_time, probe_key LIMIT ${len(args)}""",
            *args,
        )
        items = [Reading(r["probe_id"], r["record_time"], r["celsius"]) for r in rows]
        if len(rows) <= page.size:
            return Page(items, None)
        last = rows[page.size - 1]
        return Page(items[: page.size], Cursor(last["record_time"], last["probe_key"]))

    async def log(self, task_id: uuid.UUID, until: datetime, limit: int) -> list[Reading]:
        """The newest ``limit`` readings recorded up to ``until``, oldest first."""
        rows = await self._conn.fetch(
            """SELECT * FROM (
                   SELECT record_time, probe_key, probe_id, celsius FROM temperature_readings
                   WHERE task_id = $1 AND record_time <= $2
                   ORDER BY record_time DESC, probe_key DESC LIMIT $3) newest
               ORDER BY record_time, probe_key""",
            task_id,
            until,
            limit,
        )
        return [Reading(r["probe_id"], r["record_time"], r["celsius"]) for r in rows]

    async def state(self, task_id: uuid.UUID) -> ColdChain:
        """The task's detector; lock the task's row first to change it."""
        found = await self._conn.fetchval("SELECT cold_chain FROM tasks WHERE id = $1", task_id)
        return cold_chain_from_json(found)

    async def save_state(self, task_id: uuid.UUID, state: ColdChain) -> None:
        """Leaves the task's version and update time alone: a reading is not an edit."""
        await self._conn.execute(
            """UPDATE tasks SET cold_chain = $2, temperature_excursion = $3 WHERE id = $1""",
            task_id,
            cold_chain_json(state),
            state.excursions > 0,
        )
