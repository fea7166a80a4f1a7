"""End to end over the HTTP listener with a real connect-python client, in every protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pyqwest
import pytest
from bengobox.logistics.v1 import fleet_connect, fleet_pb2, telemetry_connect, telemetry_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from google.rpc import error_details_pb2

from tests.support.auth import headers, token, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

PROTOCOLS = [
    pytest.param((ProtocolType.CONNECT, False), id="connect-proto"),
    pytest.param((ProtocolType.CONNECT, True), id="connect-json"),
    pytest.param((ProtocolType.GRPC_WEB, False), id="grpc-web"),
    pytest.param((ProtocolType.GRPC, False), id="grpc-over-h2c"),
]


@pytest.fixture(params=PROTOCOLS)
def fleet_client(
    request: pytest.FixtureRequest, server: RunningServer
) -> fleet_connect.FleetServiceClient:
    protocol, json = request.param
    transport = pyqwest.HTTPTransport(
        http_version=pyqwest.HTTPVersion.HTTP2 if protocol is ProtocolType.GRPC else None
    )
    return fleet_connect.FleetServiceClient(
        server.http_url,
        protocol=protocol,
        proto_json=json,
        http_client=pyqwest.Client(transport),
    )


async def test_without_a_token_the_call_is_unauthenticated(
    fleet_client: fleet_connect.FleetServiceClient,
) -> None:
    with pytest.raises(ConnectError) as caught:
        await fleet_client.list_riders(fleet_pb2.ListRidersRequest(parent="tenants/acme"))
    assert caught.value.code == Code.UNAUTHENTICATED


async def test_create_and_read_back_a_rider(fleet_client: fleet_connect.FleetServiceClient) -> None:
    tenant = unique_tenant()
    request = fleet_pb2.CreateRiderRequest(
        parent=f"tenants/{tenant}",
        rider=fleet_pb2.Rider(display_name="Otieno", external_id="emp-1", labels={"shift": "am"}),
        request_id="r-1",
    )
    created = await fleet_client.create_rider(request, headers=headers(tenant))
    again = await fleet_client.create_rider(request, headers=headers(tenant))  # a retry
    assert again.name == created.name
    got = await fleet_client.get_rider(
        fleet_pb2.GetRiderRequest(name=created.name), headers=headers(tenant)
    )
    assert got.display_name == "Otieno"
    assert got.labels["shift"] == "am"


async def test_another_tenant_is_denied(fleet_client: fleet_connect.FleetServiceClient) -> None:
    a, b = unique_tenant(), unique_tenant()
    created = await fleet_client.create_rider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{a}", rider=fleet_pb2.Rider(display_name="A")
        ),
        headers=headers(a),
    )
    with pytest.raises(ConnectError) as caught:
        await fleet_client.get_rider(
            fleet_pb2.GetRiderRequest(name=created.name), headers=headers(b)
        )
    assert caught.value.code == Code.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("fleet", "field"),
    [
        (fleet_pb2.Fleet(display_name="x"), "fleet.kind"),
        # PostgreSQL cannot store a NUL: refused at the edge, naming the field (not INTERNAL).
        (
            fleet_pb2.Fleet(display_name="a\x00b", kind=fleet_pb2.Fleet.KIND_OWN),
            "fleet.display_name",
        ),
    ],
    ids=["rules", "nul"],
)
async def test_field_violations_reach_the_client(
    fleet_client: fleet_connect.FleetServiceClient, fleet: fleet_pb2.Fleet, field: str
) -> None:
    tenant = unique_tenant()
    with pytest.raises(ConnectError) as caught:
        await fleet_client.create_fleet(
            fleet_pb2.CreateFleetRequest(parent=f"tenants/{tenant}", fleet=fleet),
            headers=headers(tenant),
        )
    assert caught.value.code == Code.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad_request) for d in caught.value.details)
    assert [v.field for v in bad_request.field_violations] == [field]


async def test_a_stale_etag_is_aborted(fleet_client: fleet_connect.FleetServiceClient) -> None:
    tenant = unique_tenant()
    made = await fleet_client.create_fleet(
        fleet_pb2.CreateFleetRequest(
            parent=f"tenants/{tenant}",
            fleet=fleet_pb2.Fleet(display_name="F", kind=fleet_pb2.Fleet.KIND_OWN),
        ),
        headers=headers(tenant),
    )
    await fleet_client.update_fleet(
        fleet_pb2.UpdateFleetRequest(
            fleet=fleet_pb2.Fleet(name=made.name, display_name="G", etag=made.etag)
        ),
        headers=headers(tenant),
    )
    with pytest.raises(ConnectError) as caught:
        await fleet_client.update_fleet(
            fleet_pb2.UpdateFleetRequest(
                fleet=fleet_pb2.Fleet(name=made.name, display_name="H", etag=made.etag)
            ),
            headers=headers(tenant),
        )
    assert caught.value.code == Code.ABORTED


async def test_a_bad_stream_request_is_invalid_argument_over_connect(
    server: RunningServer,
) -> None:
    tenant = unique_tenant()
    client = telemetry_connect.TelemetryServiceClient(server.http_url)
    with pytest.raises(ConnectError) as caught:
        async for _ in client.track_task(telemetry_pb2.TrackTaskRequest(), headers=headers(tenant)):
            pass
    assert caught.value.code == Code.INVALID_ARGUMENT


async def test_health_readiness_and_metrics_endpoints(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = (await http.get("/readyz")).json()
        assert ready == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok", "nats": "ok"}}
        client = fleet_connect.FleetServiceClient(server.http_url)
        await client.list_riders(
            fleet_pb2.ListRidersRequest(parent="tenants/metrics-probe"),
            headers=headers("metrics-probe"),
        )
        metrics = (await http.get("/metrics")).text
    assert (
        'logistics_rpc_calls_total{code="ok",method="/bengobox.logistics.v1.FleetService/ListRiders",protocol="connect"}'
        in metrics
    )
    assert "logistics_rpc_duration_seconds_bucket" in metrics
    for dependency in ("postgres", "redis", "nats"):
        assert f'logistics_dependency_up{{dependency="{dependency}"}} 1.0' in metrics


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"parent": "tenants/acme", "bogus": 1}'),
        ("application/json", b'{"parent": "tenants/acme", "state": "NOPE"}'),
        ("application/json", b"not json"),
        ("application/proto", b"\x0a\xff\xff"),
    ],
    ids=["unknown-field", "bad-enum", "not-json", "truncated-proto"],
)
async def test_a_malformed_body_is_invalid_argument(
    server: RunningServer, content_type: str, body: bytes
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        reply = await http.post(
            "/bengobox.logistics.v1.FleetService/ListRiders",
            content=body,
            headers={"content-type": content_type, **headers("acme")},
        )
    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid_argument"


@pytest.mark.parametrize(
    "protocol",
    [
        pytest.param(ProtocolType.CONNECT, id="connect-h2"),
        pytest.param(ProtocolType.GRPC, id="grpc-over-h2c"),
    ],
)
async def test_a_rider_streams_locations_over_the_http_listener_and_gets_each_ack(
    server: RunningServer, protocol: ProtocolType
) -> None:
    """The rider stream (a pushed stream on the gRPC listener) iterated by Connect."""
    tenant = unique_tenant()
    http = pyqwest.Client(pyqwest.HTTPTransport(http_version=pyqwest.HTTPVersion.HTTP2))
    fleet = fleet_connect.FleetServiceClient(server.http_url, protocol=protocol, http_client=http)
    rider = await fleet.create_rider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="Achieng")
        ),
        headers=headers(tenant),
    )
    app = {
        "authorization": "Bearer "
        + token(tenant, ["logistics:telemetry"], rider_id=rider.name.rsplit("/", 1)[1])
    }
    now = datetime.now(UTC)

    def batch(*sequences: int) -> telemetry_pb2.StreamLocationsRequest:
        pings = []
        for s in sequences:
            ping = telemetry_pb2.LocationPing(sequence=s, accuracy_m=5.0)
            ping.record_time.FromDatetime(now - timedelta(seconds=10 - s))
            ping.position.latitude, ping.position.longitude = -1.28 + s * 1e-4, 36.82
            pings.append(ping)
        return telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=pings))

    async def batches() -> AsyncIterator[telemetry_pb2.StreamLocationsRequest]:
        yield batch(1, 2)
        yield batch(4)  # 3 is missing: the ack stays at 2
        yield batch(3)

    client = telemetry_connect.TelemetryServiceClient(
        server.http_url, protocol=protocol, http_client=http
    )
    acks = [
        reply.ack.contiguous_sequence
        async for reply in client.stream_locations(batches(), headers=app)
        if reply.HasField("ack")
    ]
    assert acks == [2, 2, 4]
