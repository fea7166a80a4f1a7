"""The three intake examples of docs/tasks.md run as written, against the real server: the food
order (gRPC), the e-commerce parcel known by address only (Connect's JSON over HTTP), the POS
curbside pickup (gRPC). A change of the code that breaks an example breaks this test."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
)
from google.protobuf import timestamp_pb2

from tests.support.auth import auth, headers, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

DOC = (Path(__file__).resolve().parents[2] / "docs" / "tasks.md").read_text()


def block_after(marker: str, fence: str) -> str:
    """The first fenced block of kind ``fence`` after ``marker`` in docs/tasks.md."""
    rest = DOC[DOC.index(marker) :]
    start = rest.index(f"```{fence}\n") + len(fence) + 4
    return rest[start : rest.index("```", start)]


class Authed:
    """A stub whose calls carry the tenant's token, as the docs' clients are set up."""

    def __init__(self, stub: Any, metadata: Any) -> None:
        self._stub = stub
        self._metadata = metadata

    def __getattr__(self, method: str) -> Any:
        return lambda request: getattr(self._stub, method)(request, metadata=self._metadata)


def in_minutes(minutes: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.now(UTC) + timedelta(minutes=minutes))
    return ts


async def run_python(marker: str, channel: grpc.aio.Channel, tenant: str) -> dict[str, Any]:
    """Runs the docs' Python block after ``marker`` for ``tenant``; returns its variables."""
    source = block_after(marker, "python").replace("tenants/acme", f"tenants/{tenant}")
    md = auth(tenant)
    names: dict[str, Any] = {
        "tasks": Authed(task_pb2_grpc.TaskServiceStub(channel), md),
        "dispatch": Authed(dispatch_pb2_grpc.DispatchServiceStub(channel), md),
        "fleet": Authed(fleet_pb2_grpc.FleetServiceStub(channel), md),
        "in_minutes": in_minutes,
        "GeoPoint": common_pb2.GeoPoint,
        "AutoDispatchRequest": dispatch_pb2.AutoDispatchRequest,
    }
    for module, message in (
        (fleet_pb2, ("UpdateOutletRequest", "Outlet", "OpeningHours")),
        (task_pb2, ("CreateTaskRequest", "Task", "TaskStep", "TaskItem", "MarkTaskReadyRequest")),
    ):
        names.update({m: getattr(module, m) for m in message})
    body = textwrap.indent(source, "    ")
    exec(f"async def example():\n{body}\n    return locals()\n", names)
    result: dict[str, Any] = await names["example"]()
    return result


async def trail(channel: grpc.aio.Channel, tenant: str, name: str) -> list[str]:
    got = await task_pb2_grpc.TaskServiceStub(channel).ListTaskEvents(
        task_pb2.ListTaskEventsRequest(parent=name), metadata=auth(tenant)
    )
    return [e.type for e in got.events]


async def test_the_food_order_example(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    done = await run_python("A food order from a kitchen", grpc_channel, tenant)
    order = done["order"]
    pickup = order.steps[0]
    assert (pickup.location.latitude, pickup.location.longitude) == (-1.2864, 36.8172)
    assert pickup.address == "Moi Avenue 12"
    assert len(done["code"]) >= 4
    assert order.HasField("ready_time")
    assert order.items[0].quantity == 2
    assert "ready" in await trail(grpc_channel, tenant, order.name)


async def test_the_e_commerce_parcel_example(server: RunningServer) -> None:
    tenant = unique_tenant()
    command = block_after("An e-commerce parcel from a warehouse", "sh")
    path = command.split()[2].removeprefix("http://127.0.0.1:4103")
    body = command[command.index("-d '") + 4 : command.rindex("'")]
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.post(
            path,
            content=body.replace("tenants/acme", f"tenants/{tenant}"),
            headers={"content-type": "application/json", **headers(tenant)},
        )
    assert response.status_code == 200, response.text
    task = response.json()
    assert task["needsAddress"] is True
    assert task["steps"][1]["addressState"] == "ADDRESS_STATE_PENDING"
    assert task["steps"][1].get("location", {}) == {}  # no point yet
    assert json.loads(body)["requestId"] == "shop-77812"


async def test_the_pos_curbside_example(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    done = await run_python("A POS curbside pickup, end to end", grpc_channel, tenant)
    task = done["task"]
    assert task.steps[0].curbside
    assert task.outlet_id == "java-house-9"
    events = await trail(grpc_channel, tenant, task.name)
    assert events[0] == "created"
    assert "ready" in events
