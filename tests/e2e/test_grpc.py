"""End to end over the gRPC listener with a real grpcio client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from bengobox.logistics.v1 import (
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.auth import auth, unique_tenant
from tests.support.errors import status_of
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

BUF = Path(sys.executable).parent / "buf"


def test_reflection_lists_the_four_services(server: RunningServer) -> None:
    listed = subprocess.run(
        [
            str(BUF),
            "curl",
            "--protocol",
            "grpc",
            "--http2-prior-knowledge",
            f"http://{server.grpc_target}",
            "--list-services",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    for service in ("FleetService", "TaskService", "DispatchService", "TelemetryService"):
        assert f"bengobox.logistics.v1.{service}" in listed


async def test_health_answers_serving_without_a_token(grpc_channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(grpc_channel)
    reply = await health.Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    named = await health.Check(
        health_pb2.HealthCheckRequest(service="bengobox.logistics.v1.FleetService")
    )
    assert named.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_call_without_a_token_is_unauthenticated(grpc_channel: grpc.aio.Channel) -> None:
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.ListRiders(fleet_pb2.ListRidersRequest(parent="tenants/acme"))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.ListRiders(
            fleet_pb2.ListRidersRequest(parent="tenants/acme"),
            metadata=(("authorization", "Bearer not-a-jwt"),),
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_stream_without_a_token_is_unauthenticated(grpc_channel: grpc.aio.Channel) -> None:
    telemetry = telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel)
    # No message is written: the server ends the call before reading one, and a client write
    # racing that end would fail on the client side instead.
    call = telemetry.StreamLocations()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_create_then_read_back_a_rider(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    created = await fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}",
            rider=fleet_pb2.Rider(display_name="Amina", phone="+254700000001", zone="cbd"),
            request_id="onboard-1",
        ),
        metadata=auth(tenant),
    )
    assert created.name.startswith(f"tenants/{tenant}/riders/")
    assert created.state == fleet_pb2.Rider.STATE_ACTIVE
    got = await fleet.GetRider(fleet_pb2.GetRiderRequest(name=created.name), metadata=auth(tenant))
    assert got == created
    updated = await fleet.UpdateRider(
        fleet_pb2.UpdateRiderRequest(
            rider=fleet_pb2.Rider(name=created.name, zone="westlands", etag=created.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["zone"]),
        ),
        metadata=auth(tenant),
    )
    assert (updated.zone, updated.display_name) == ("westlands", "Amina")
    assert updated.etag != created.etag


async def test_another_tenants_token_cannot_see_the_rider(grpc_channel: grpc.aio.Channel) -> None:
    a, b = unique_tenant(), unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    created = await fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{a}", rider=fleet_pb2.Rider(display_name="A")
        ),
        metadata=auth(a),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.GetRider(fleet_pb2.GetRiderRequest(name=created.name), metadata=auth(b))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    rider_id = created.name.rsplit("/", 1)[1]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.GetRider(
            fleet_pb2.GetRiderRequest(name=f"tenants/{b}/riders/{rider_id}"), metadata=auth(b)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("rider", "fields"),
    [
        (fleet_pb2.Rider(display_name="", phone="0712"), {"rider.display_name", "rider.phone"}),
        # PostgreSQL cannot store a NUL: refused at the edge, naming the field (not INTERNAL).
        (fleet_pb2.Rider(display_name="a\x00b"), {"rider.display_name"}),
    ],
    ids=["rules", "nul"],
)
async def test_bad_input_names_each_field_in_the_error_details(
    grpc_channel: grpc.aio.Channel, rider: fleet_pb2.Rider, fields: set[str]
) -> None:
    tenant = unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.CreateRider(
            fleet_pb2.CreateRiderRequest(parent=f"tenants/{tenant}", rider=rider),
            metadata=auth(tenant),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = status_of(caught.value)
    bad_request = error_details_pb2.BadRequest()
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "INVALID_ARGUMENT"
    assert status.details[1].Unpack(bad_request)
    assert {v.field for v in bad_request.field_violations} == fields
    listed = await fleet.ListRiders(
        fleet_pb2.ListRidersRequest(parent=f"tenants/{tenant}"), metadata=auth(tenant)
    )
    assert list(listed.riders) == []


async def test_a_write_needs_the_admin_scope(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.CreateFleet(
            fleet_pb2.CreateFleetRequest(
                parent=f"tenants/{tenant}",
                fleet=fleet_pb2.Fleet(display_name="F", kind=fleet_pb2.Fleet.KIND_OWN),
            ),
            metadata=auth(tenant, ["logistics:read"]),
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_live_view_opened_without_a_subscription_is_invalid_argument(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    telemetry = telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel)
    call = telemetry.WatchFleet(metadata=auth(tenant))
    await call.write(telemetry_pb2.WatchFleetRequest())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(call.read(), 10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_fleets_list_in_pages_with_a_kind_filter(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    names = set()
    for i in range(7):
        kind = fleet_pb2.Fleet.KIND_OWN if i % 3 else fleet_pb2.Fleet.KIND_THIRD_PARTY
        made = await fleet.CreateFleet(
            fleet_pb2.CreateFleetRequest(
                parent=f"tenants/{tenant}", fleet=fleet_pb2.Fleet(display_name=f"F{i}", kind=kind)
            ),
            metadata=auth(tenant),
        )
        if kind == fleet_pb2.Fleet.KIND_OWN:
            names.add(made.name)
    seen: list[str] = []
    token_ = ""
    while True:
        page = await fleet.ListFleets(
            fleet_pb2.ListFleetsRequest(
                parent=f"tenants/{tenant}",
                page_size=2,
                page_token=token_,
                kind=fleet_pb2.Fleet.KIND_OWN,
            ),
            metadata=auth(tenant),
        )
        seen.extend(f.name for f in page.fleets)
        token_ = page.next_page_token
        if not token_:
            break
    assert sorted(seen) == sorted(names)
    first = await fleet.ListFleets(
        fleet_pb2.ListFleetsRequest(parent=f"tenants/{tenant}", page_size=2),
        metadata=auth(tenant),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await fleet.ListFleets(
            fleet_pb2.ListFleetsRequest(
                parent=f"tenants/{tenant}",
                page_size=2,
                page_token=first.next_page_token,
                kind=fleet_pb2.Fleet.KIND_OWN,
            ),
            metadata=auth(tenant),
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_malformed_message_is_invalid_argument(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    raw = grpc_channel.unary_unary(
        "/bengobox.logistics.v1.FleetService/ListRiders",
        request_serializer=lambda b: b,
        response_deserializer=fleet_pb2.ListRidersResponse.FromString,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\x0a\xff\xff", metadata=auth(tenant))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\x0a\xff\xff")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_huge_bad_value_is_invalid_argument_quoted_short(
    grpc_channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    stub = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetRider(fleet_pb2.GetRiderRequest(name="x" * 20_000), metadata=auth(tenant))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(caught.value.details() or "") < 400
