"""The task import on the real database, chunk by chunk in one transaction: all or nothing
holds across chunks, a request_id repeated in a later chunk is refused, and an import racing
another with the same request ids still makes each task once."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import SystemClock
from logistics.domain.ids import TenantSlug
from logistics.domain.task_rows import TASK_COLUMNS
from logistics.services.bulk_rows import ImportReport, csv_records
from logistics.services.directory import Outlets
from logistics.services.tasks import imports
from logistics.services.tasks.imports import TaskImporter
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
