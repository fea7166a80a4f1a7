"""The task import's intake columns end to end (HTTP import and export, read back over gRPC and
Connect): a ready time and a curbside pickup in both directions, each bad cell reported by row
and column, a file written before the columns existed still read, and a pickup naming only an
outlet placed at the outlet's registered location."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import common_pb2, fleet_pb2, task_connect, task_pb2

from logistics.domain.task_rows import OPTIONAL_TASK_COLUMNS, TASK_COLUMNS
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.e2e.test_task_import import csv_text, export_tasks, import_tasks, row
from tests.support.auth import headers, unique_tenant
from tests.support.servers import RunningServer
from tests.support.tasks import Api

pytestmark = pytest.mark.e2e

T = task_pb2.Task


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


@pytest.fixture
async def client(server: RunningServer) -> Any:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as c:
        yield c


async def listed(api: Api) -> list[task_pb2.Task]:
    page = await api.tasks.ListTasks(task_pb2.ListTasksRequest(parent=api.parent), metadata=api.md)
    return sorted(page.tasks, key=lambda t: t.order_id)


def curbside_row(n: int, **cells: str) -> dict[str, str]:
    intake = {"pickup_curbside": "true", "ready_time": "2026-12-04T12:15:00+03:00"}
    return row(n, **{**intake, **cells})


async def test_ready_time_and_curbside_import_and_export_both_ways(
    api: Api, client: httpx.AsyncClient, server: RunningServer
) -> None:
    other = unique_tenant()
    body = csv_text([curbside_row(1), row(2)])
    report = (await import_tasks(client, api.tenant, body)).json()
    assert (report["created"], report["errors"]) == (2, [])

    first, second = await listed(api)
    assert first.steps[0].curbside
    assert not first.steps[1].curbside
    assert first.ready_time.ToDatetime(UTC) == datetime(2026, 12, 4, 9, 15, tzinfo=UTC)
    assert not second.steps[0].curbside
    assert not second.HasField("ready_time")
    over_connect = await task_connect.TaskServiceClient(server.http_url).get_task(
        task_pb2.GetTaskRequest(name=first.name), headers=headers(api.tenant)
    )
    assert over_connect == first

    exported = list(csv.DictReader(io.StringIO((await export_tasks(client, api.tenant)).text)))
    by_order = {r["order_id"]: r for r in exported}
    assert (by_order["ORD-1"]["pickup_curbside"], by_order["ORD-1"]["ready_time"]) == (
        "true",
        "2026-12-04T09:15:00Z",
    )
    assert (by_order["ORD-2"]["pickup_curbside"], by_order["ORD-2"]["ready_time"]) == ("false", "")
    # The export imports into another tenant as the same tasks.
    text = (await export_tasks(client, api.tenant)).text
    assert (await import_tasks(client, other, text)).json()["created"] == 2
    assert (await export_tasks(client, other)).text == text


async def test_bad_intake_cells_are_reported_by_row_and_column(
    api: Api, client: httpx.AsyncClient
) -> None:
    rows = [
        curbside_row(1, ready_time="tomorrow"),
        curbside_row(2, pickup_curbside="maybe"),
        curbside_row(3, pickup_proofs="signature"),
        curbside_row(4, ready_time="2026-12-04T14:00:00+03:00"),  # after the delivery deadline
        curbside_row(5, ready_time="2026-12-04T12:00:00"),  # no offset
    ]
    report = (await import_tasks(client, api.tenant, csv_text(rows))).json()
    errors = [(e["row"], e["field"]) for e in report["errors"]]
    assert errors == [
        (1, "ready_time"),
        (2, "pickup_curbside"),
        (3, "pickup_proofs"),
        (4, "ready_time"),
        (5, "ready_time"),
    ]
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert "true or false" in messages[2]
    assert "curbside" in messages[3]
    assert "delivery_deadline" in messages[4]
    assert "offset" in messages[5]
    assert report["created"] == 0
    assert await listed(api) == []


async def test_a_file_without_the_intake_columns_still_imports(
    api: Api, client: httpx.AsyncClient
) -> None:
    columns = [c for c in TASK_COLUMNS if c not in OPTIONAL_TASK_COLUMNS]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerow(row(1))
    report = (await import_tasks(client, api.tenant, out.getvalue())).json()
    assert (report["created"], report["errors"]) == (1, [])
    (task,) = await listed(api)
    assert not task.steps[0].curbside
    assert not task.HasField("ready_time")
    # A short row is still measured against the header it came with.
    short = out.getvalue().splitlines()[0] + "\nORD-9,ORD-9\n"
    bad = (await import_tasks(client, api.tenant, short)).json()
    assert [(e["row"], e["field"]) for e in bad["errors"]] == [(1, "row")]
    assert f"the header has {len(columns)}" in bad["errors"][0]["message"]


async def test_a_pickup_naming_only_an_outlet_is_placed_there(
    api: Api, client: httpx.AsyncClient
) -> None:
    await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(
                name=f"{api.parent}/outlets/kitchen-1",
                location=common_pb2.GeoPoint(latitude=-1.2864, longitude=36.8172),
                address="Moi Avenue 12",
                pickup_instructions="Back door, ring twice",
            )
        ),
        metadata=api.md,
    )
    at_outlet = {
        "pickup_latitude": "",
        "pickup_longitude": "",
        "pickup_address": "",
        "pickup_outlet_id": "kitchen-1",
    }
    rows = [
        row(1, **at_outlet),
        row(2, **{**at_outlet, "pickup_outlet_id": "pop-up-7"}),  # registered, no location
        row(3, **{**at_outlet, "pickup_outlet_id": ""}),  # nothing to place it by
    ]
    report = (await import_tasks(client, api.tenant, csv_text(rows))).json()
    assert report["created"] == 1
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (2, "pickup_outlet_id"),
        (3, "pickup_latitude"),
        (3, "pickup_longitude"),
    ]
    assert "pop-up-7" in report["errors"][0]["message"]
    assert "no location" in report["errors"][0]["message"]

    (task,) = await listed(api)
    pickup = task.steps[0]
    assert (pickup.location.latitude, pickup.location.longitude) == (-1.2864, 36.8172)
    assert (pickup.address, pickup.instructions) == ("Moi Avenue 12", "Back door, ring twice")
    assert pickup.address_state == task_pb2.ADDRESS_STATE_GIVEN
    # The outlet moves; the same file again is the same request: nothing made twice.
    await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(
                name=f"{api.parent}/outlets/kitchen-1",
                location=common_pb2.GeoPoint(latitude=-1.2900, longitude=36.8200),
            ),
            update_mask={"paths": ["location"]},
        ),
        metadata=api.md,
    )
    again = (await import_tasks(client, api.tenant, csv_text(rows[:1]))).json()
    assert (again["created"], again["unchanged"], again["errors"]) == (0, 1, [])
