"""The task import on the real database, chunk by chunk in one transaction: all or nothing
holds across chunks, a request_id repeated in a later chunk is refused, and an import racing
another with the same request ids still makes each task once."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from logistics.domain.addresses import GEOCODE_TIMER, AddressState
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import SystemClock
from logistics.domain.events import TaskCreated
from logistics.domain.ids import TenantSlug
from logistics.domain.names import TASKS
from logistics.domain.task_rows import TASK_COLUMNS
from logistics.services.bulk_rows import ImportReport, csv_records
from logistics.services.directory import Outlets
from logistics.services.tasks import imports
from logistics.services.tasks.imports import TaskImporter
from logistics.services.tasks.trail import public
from logistics.store.snapshot import event_data
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


def body(rows: list[dict[str, str]]) -> AsyncIterator[bytes]:
    out = io.StringIO()
    writer = csv.DictWriter(out, TASK_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 100):  # small pieces: records span them
            yield data[i : i + 100]

    return chunks()


def row(n: int, **cells: str) -> dict[str, str]:
    values = {
        "request_id": f"R-{n}",
        "order_id": f"O-{n:03}",
        "pickup_latitude": "-1.28",
        "pickup_longitude": "36.81",
        "dropoff_latitude": "-1.29",
        "dropoff_longitude": "36.79",
    }
    return values | cells


async def run(
    store: Store, tenant: TenantSlug, rows: list[dict[str, str]], *, all_or_nothing: bool = False
) -> ImportReport:
    importer = TaskImporter(store, Outlets(None), SystemClock())
    caller = Caller(tenant, "ops@example.com", frozenset({Scope.DISPATCH}))
    return await importer.import_tasks(
        caller, tenant, csv_records(body(rows)), dry_run=False, all_or_nothing=all_or_nothing
    )


async def count(store: Store, tenant: TenantSlug) -> int:
    async with store.read(tenant) as uow:
        return int(await uow.conn.fetchval("SELECT count(*) FROM tasks"))


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "IMPORT_CHUNK", 4)


async def test_a_bad_row_in_a_late_chunk_undoes_the_chunks_written_before_it(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    rows = [row(n) for n in range(10)] + [row(10, dropoff_latitude="north")]
    report = await run(store, tenant, rows, all_or_nothing=True)
    assert (report.valid, report.created, report.error_count) == (10, 0, 1)
    assert await count(store, tenant) == 0
    report = await run(store, tenant, rows[:10], all_or_nothing=True)
    assert report.created == 10
    assert await count(store, tenant) == 10


async def test_a_request_id_repeated_chunks_later_is_refused(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    rows = [row(n) for n in range(9)] + [row(1, order_id="other")]
    report = await run(store, tenant, rows)
    assert report.created == 9
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (10, "request_id", "repeats row 2")
    ]


async def test_two_imports_of_one_file_at_once_make_each_task_once(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    await run(store, tenant, [row(99)])  # the tenant registered
    rows = [row(n) for n in range(12)]
    first, second = await asyncio.gather(run(store, tenant, rows), run(store, tenant, rows))
    assert first.created + second.created == 12
    assert first.unchanged + second.unchanged == 12
    assert await count(store, tenant) == 13


async def test_each_imported_task_has_what_creating_it_alone_writes(store: Store) -> None:
    """The import writes rows made ahead (views while parsing, events' shared data once): each
    task's audit row, event, trail entry and timers are still those CreateTask's writes give
    the task as read back."""
    tenant = TenantSlug(unique_tenant())
    rows = [
        row(
            1,
            pickup_window_start="2090-01-01T09:00:00+03:00",
            pickup_window_end="2090-01-01T06:20:00Z",
        ),
        row(2, dropoff_proofs="signature;photo", notes='a "quoted" note', priority="4"),
        row(3, delivery_deadline="2090-01-01T12:00:00Z", dropoff_address="House 7"),
        row(4, pickup_latitude="", pickup_longitude="", pickup_address="Kitchen 4, Westlands"),
        row(5, kind="return", pickup_deadline="2090-01-01T10:00:00+03:00"),
    ]
    assert (await run(store, tenant, rows)).created == 5
    async with store.read(tenant) as uow:
        tasks = [t async for chunk in uow.tasks.scan(100) for t in chunk]
        outbox = {
            r["data"]["name"]: r
            for r in await uow.conn.fetch("SELECT id, event_type, subject, data FROM outbox")
        }
        audit = {
            r["resource"]: r
            for r in await uow.conn.fetch(
                "SELECT actor, action, resource, before, after FROM audit_log"
            )
        }
        trail = await uow.conn.fetch("SELECT task_id, type, to_state, actor FROM task_events")
        timers = await uow.conn.fetch(
            "SELECT kind, subject_id, due_time FROM timers WHERE tenant_id = $1", uow.tenant_id
        )
    assert len(tasks) == len(outbox) == len(audit) == len(trail) == 5
    for task in tasks:
        name = TASKS.name(tenant, task.id)
        event = TaskCreated(name=name, task=task)
        stored = outbox[name]
        assert stored["data"] == event_data(event, tenant=tenant)
        assert (stored["event_type"], stored["subject"]) == (
            "task.created",
            "logistics.task.created",
        )
        assert isinstance(stored["id"], uuid.UUID)
        assert tuple(audit[name]) == ("ops@example.com", "task.created", name, None, public(task))
        assert task.create_time == task.update_time
        assert task.version == 1
    assert (
        sorted((r["type"], r["to_state"], r["actor"]) for r in trail)
        == [("created", "created", "ops@example.com")] * 5
    )
    # Deadlines in 2090: at risk the default 10 minutes before; an address alone: geocoded now.
    expected = set()
    for task in tasks:
        for prefix, deadline in (
            ("pickup", task.pickup_deadline),
            ("delivery", task.delivery_deadline),
        ):
            if deadline is not None:
                expected.add((f"task.{prefix}_at_risk", task.id, deadline - timedelta(minutes=10)))
                expected.add((f"task.{prefix}_breached", task.id, deadline))
    assert {(k, s, d) for k, s, d in timers if k != GEOCODE_TIMER} == expected
    [geocode] = [s for k, s, _ in timers if k == GEOCODE_TIMER]
    assert [t.steps[0].address_state for t in tasks if t.id == geocode] == [AddressState.PENDING]
    async with store.write(tenant) as uow:  # long-due timers would keep a test's worker busy
        await uow.conn.execute("DELETE FROM timers WHERE tenant_id = $1", uow.tenant_id)


async def test_an_imports_large_event_data_is_compressed_with_lz4(store: Store) -> None:
    """An event's data past the TOAST threshold is compressed by the cheaper lz4 in an import's
    transaction (where the server has it), and reads back as written."""
    async with store.read(TenantSlug(unique_tenant())) as uow:
        methods = await uow.conn.fetchval(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
        )
    if "lz4" not in methods:
        pytest.skip("this PostgreSQL was built without lz4")
    tenant = TenantSlug(unique_tenant())
    notes = "ring the bell twice, then wait by the gate " * 40
    assert (await run(store, tenant, [row(1, notes=notes)])).created == 1
    async with store.read(tenant) as uow:
        stored = await uow.conn.fetchrow(
            """SELECT pg_column_compression(o.data) AS outbox, o.data -> 'task' ->> 'notes' AS n,
                   pg_column_compression(a.after) AS audit
               FROM outbox o JOIN audit_log a ON a.resource = o.data ->> 'name'"""
        )
    assert tuple(stored) == ("lz4", notes, "lz4")
