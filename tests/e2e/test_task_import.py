"""End to end over HTTP: tasks imported from CSV and XLSX and exported, on the real server."""

from __future__ import annotations

import csv
import io
from typing import Any

import grpc
import httpx
import openpyxl
import pytest
from bengobox.logistics.v1 import common_pb2, task_pb2

from logistics.domain.ids import TenantSlug
from logistics.domain.task_rows import TASK_COLUMNS
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.servers import RunningServer
from tests.support.tasks import Api, drop_off, pickup

PHOTO, SIGNATURE = task_pb2.TaskStep.PROOF_KIND_PHOTO, task_pb2.TaskStep.PROOF_KIND_SIGNATURE

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(n: int, **cells: str) -> dict[str, str]:
    """A good row: a food order from a kitchen to a customer."""
    values = {
        "request_id": f"ORD-{n}",
        "order_id": f"ORD-{n}",
        "kind": "delivery",
        "priority": "2",
        "pickup_latitude": "-1.2648",
        "pickup_longitude": "36.8045",
        "pickup_address": "Kitchen 4, Westlands",
        "pickup_contact_name": "Mama Oliech kitchen",
        "pickup_window_start": "2026-12-04T12:00:00Z",
        "pickup_window_end": "2026-12-04T12:20:00Z",
        "dropoff_latitude": "-1.2921",
        "dropoff_longitude": "36.7870",
        "dropoff_address": "Kilimani, Argwings Kodhek Rd 12",
        "dropoff_contact_name": f"Customer {n}",
        "dropoff_contact_phone": "+254712345678",
        "dropoff_proofs": "photo",
        "delivery_deadline": "2026-12-04T13:00:00+03:00",
        "notes": "gate code 1234" if n % 2 else "",
    }
    values.update(cells)
    return values


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, TASK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def import_tasks(
    client: httpx.AsyncClient,
    tenant: str,
    body: str | bytes,
    *,
    content_type: str = "text/csv",
    sent: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    return await client.post(
        f"/v1/tenants/{tenant}/tasks:import",
        params=params,
        content=body.encode() if isinstance(body, str) else body,
        headers={"content-type": content_type, **(headers(tenant) if sent is None else sent)},
    )


async def export_tasks(client: httpx.AsyncClient, tenant: str, fmt: str = "csv") -> httpx.Response:
    response = await client.get(
        f"/v1/tenants/{tenant}/tasks:export", params={"format": fmt}, headers=headers(tenant)
    )
    assert response.status_code == 200, response.text
    return response


async def stored(store: Store, database: Database, tenant: str) -> dict[str, int]:
    """How many rows of each kind the import wrote for ``tenant``."""
    tenant_id = await store.tenants.find(TenantSlug(tenant))
    if tenant_id is None:
        return {"tasks": 0, "trail": 0, "audit": 0, "outbox": 0, "timers": 0}
    async with database.transaction(tenant_id) as conn:
        return {
            "tasks": await conn.fetchval("SELECT count(*) FROM tasks"),
            "trail": await conn.fetchval("SELECT count(*) FROM task_events WHERE type = 'created'"),
            "audit": await conn.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'task.created'"
            ),
            "outbox": await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE event_type = 'task.created'"
            ),
            "timers": await conn.fetchval(
                "SELECT count(DISTINCT subject_id) FROM timers WHERE tenant_id = $1", tenant_id
            ),
        }


@pytest.fixture
async def client(server: RunningServer) -> Any:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as c:
        yield c


async def test_csv_import_creates_each_task_as_create_task_would(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    response = await import_tasks(client, tenant, csv_text([row(1), row(2), row(3)]))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": False,
        "rows": 3,
        "valid": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "error_count": 0,
    }
    # Each task has its trail entry, audit row, task.created event and SLA timers.
    assert await stored(store, database, tenant) == {
        "tasks": 3,
        "trail": 3,
        "audit": 3,
        "outbox": 3,
        "timers": 3,
    }
    listed = await client.post(
        "/bengobox.logistics.v1.TaskService/ListTasks",
        json={"parent": f"tenants/{tenant}"},
        headers=headers(tenant),
    )
    tasks = sorted(listed.json()["tasks"], key=lambda t: t["orderId"])
    assert [t["orderId"] for t in tasks] == ["ORD-1", "ORD-2", "ORD-3"]
    assert tasks[0]["deliveryDeadline"] == "2026-12-04T10:00:00Z"  # +03:00 read as such
    assert [s["kind"] for s in tasks[0]["steps"]] == ["KIND_PICKUP", "KIND_DROP_OFF"]


async def test_a_reimport_makes_nothing_twice_and_a_reused_request_id_is_refused(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    body = csv_text([row(1), row(2)])
    assert (await import_tasks(client, tenant, body)).json()["created"] == 2
    again = (await import_tasks(client, tenant, body)).json()
    assert (again["created"], again["unchanged"], again["error_count"]) == (0, 2, 0)
    changed = (await import_tasks(client, tenant, csv_text([row(1, priority="9")]))).json()
    assert changed["created"] == 0
    assert changed["errors"] == [
        {
            "row": 1,
            "field": "request_id",
            "message": "request_id 'ORD-1' was already used for a different request",
        }
    ]
    assert (await stored(store, database, tenant))["tasks"] == 2


async def test_bad_rows_are_reported_by_row_and_column_and_good_rows_stored(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    rows = [
        row(1),
        row(2, pickup_latitude="north", dropoff_longitude=""),
        row(3, delivery_deadline="2026-12-04 13:00", dropoff_proofs="one_time_code"),
        row(4, request_id="ORD-1", order_id="again"),
        row(5, priority="11", pickup_window_end=""),
        row(6),
    ]
    response = await import_tasks(client, tenant, csv_text(rows))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["valid"], report["created"]) == (6, 2, 2)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (2, "pickup_latitude"),
        (2, "dropoff_longitude"),
        (3, "dropoff_proofs"),
        (3, "delivery_deadline"),
        (4, "request_id"),
        (5, "priority"),
        (5, "pickup_window_end"),
    ]
    messages = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert messages[2, "pickup_latitude"] == "must be a number such as 12.5"
    assert messages[3, "delivery_deadline"] == "must carry its offset from UTC, such as Z or +03:00"
    assert messages[4, "request_id"] == "repeats row 1"
    assert report["error_count"] == 7
    assert (await stored(store, database, tenant))["tasks"] == 2


async def test_all_or_nothing_with_a_bad_row_stores_nothing(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    body = csv_text([row(1), row(2), row(3, dropoff_latitude="95")])
    response = await import_tasks(client, tenant, body, all_or_nothing="true")
    report = response.json()
    assert (report["valid"], report["created"], report["error_count"]) == (2, 0, 1)
    assert report["errors"] == [
        {"row": 3, "field": "dropoff_latitude", "message": "is out of range"}
    ]
    assert await stored(store, database, tenant) == dict.fromkeys(
        ("tasks", "trail", "audit", "outbox", "timers"), 0
    )


async def test_a_dry_run_reports_what_would_happen_and_stores_nothing(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    body = csv_text([row(1), row(2, kind="teleport")])
    report = (await import_tasks(client, tenant, body, dry_run="true")).json()
    assert (report["dry_run"], report["valid"], report["created"]) == (True, 1, 1)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(2, "kind")]
    assert (await stored(store, database, tenant))["tasks"] == 0
    assert (await import_tasks(client, tenant, csv_text([row(1)]))).json()["created"] == 1


async def test_xlsx_import_reads_the_first_sheet_with_typed_cells(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    good = row(1)
    cells: list[Any] = [good.get(c, "") for c in TASK_COLUMNS]
    cells[TASK_COLUMNS.index("priority")] = 2  # numbers as numbers, as a spreadsheet has them
    cells[TASK_COLUMNS.index("pickup_latitude")] = -1.2648
    body = xlsx_bytes([list(TASK_COLUMNS), cells, [], [good.get(c, "") for c in TASK_COLUMNS]])
    report = (await import_tasks(client, tenant, body, content_type=XLSX)).json()
    # Row 2 is blank (skipped, keeping the numbering of the sheet); row 3 repeats row 1.
    assert (report["rows"], report["created"]) == (2, 1), report
    assert report["errors"] == [{"row": 3, "field": "request_id", "message": "repeats row 1"}]
    exported = await export_tasks(client, tenant)
    assert list(csv.reader(io.StringIO(exported.text)))[1][3:6] == ["2", "", "-1.2648"]


async def test_export_round_trips_to_import_in_csv_and_xlsx(client: httpx.AsyncClient) -> None:
    first, second, third = unique_tenant(), unique_tenant(), unique_tenant()
    rows = [row(1), row(2, kind="return", dropoff_proofs="signature;photo")]
    assert (await import_tasks(client, first, csv_text(rows))).json()["created"] == 2
    exported = (await export_tasks(client, first)).text
    records = list(csv.reader(io.StringIO(exported)))
    assert records[0] == list(TASK_COLUMNS)
    assert len(records) == 3

    # The export imports as it is (request_id empty: each row makes a new task) ...
    assert (await import_tasks(client, second, exported)).json()["created"] == 2
    assert (await export_tasks(client, second)).text == exported
    # ... and so does the XLSX export, into the same rows.
    workbook = (await export_tasks(client, first, "xlsx")).content
    report = (await import_tasks(client, third, workbook, content_type=XLSX)).json()
    assert report["created"] == 2, report
    assert (await export_tasks(client, third)).text == exported


async def test_a_broken_file_or_a_wrong_caller_is_refused_whole(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    wrong_header = await import_tasks(client, tenant, "request_id,order_id\nA,B\n")
    assert wrong_header.status_code == 400
    assert "missing column 'pickup_latitude'" in wrong_header.text
    not_xlsx = await import_tasks(client, tenant, b"PK\x03\x04 not a zip", content_type=XLSX)
    assert not_xlsx.status_code == 400
    assert "is not an XLSX workbook" in not_xlsx.text
    pdf = await import_tasks(client, tenant, b"%PDF", content_type="application/pdf")
    assert pdf.status_code == 400
    reader = await import_tasks(
        client, tenant, csv_text([row(1)]), sent=headers(tenant, ["logistics:read"])
    )
    assert reader.status_code == 403
    other = await import_tasks(client, tenant, csv_text([row(1)]), sent=headers(unique_tenant()))
    assert other.status_code == 403
    bad_flag = await import_tasks(client, tenant, csv_text([row(1)]), all_or_nothing="maybe")
    assert bad_flag.status_code == 400
    assert (await stored(store, database, tenant))["tasks"] == 0


async def test_create_task_and_the_import_agree_on_what_a_request_id_stands_for(
    client: httpx.AsyncClient, grpc_channel: grpc.aio.Channel, store: Store, database: Database
) -> None:
    """One idempotency space, one fingerprint: a task created by CreateTask and imported again
    under its request_id is the same request (and with other content is refused), and a row
    imported first is what a CreateTask of the same content and request_id gets back."""
    api = Api(grpc_channel, unique_tenant(), store, database)
    window = common_pb2.TimeWindow()
    window.start_time.FromJsonString("2026-12-04T12:00:00Z")
    window.end_time.FromJsonString("2026-12-04T12:20:00Z")
    request = api.create_request(
        pickup(address="Kitchen 4", contact_name="Mama Oliech", window=window),
        drop_off(PHOTO, SIGNATURE, contact_phone="+254712345678", service_seconds=60),
        request_id="same-1",
        order_id="same-1",
        priority=2,
        notes="gate code 1234",
    )
    created = await api.tasks.CreateTask(request, metadata=api.md)
    header, cells = list(csv.reader(io.StringIO((await export_tasks(client, api.tenant)).text)))

    def body(request_id: str, **changed: str) -> str:
        values = dict(zip(header, cells, strict=True)) | {"request_id": request_id} | changed
        return csv_text([values])

    again = (await import_tasks(client, api.tenant, body("same-1"))).json()
    assert (again["created"], again["unchanged"], again["error_count"]) == (0, 1, 0), again
    other = (await import_tasks(client, api.tenant, body("same-1", priority="3"))).json()
    assert [(e["field"], e["message"]) for e in other["errors"]] == [
        ("request_id", "request_id 'same-1' was already used for a different request")
    ]

    first = (await import_tasks(client, api.tenant, body("imported-1"))).json()
    assert first["created"] == 1
    request.request_id = "imported-1"
    retried = await api.tasks.CreateTask(request, metadata=api.md)
    assert retried.name != created.name
    assert len(await api.listed(page_size=10)) == 2
