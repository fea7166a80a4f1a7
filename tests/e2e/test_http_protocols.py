"""The HTTP listener's browser-facing protocols against a running server, from raw HTTP
clients: Connect GET for the reads, gRPC-web text mode (base64 framing, unary and server
streaming), and binary gRPC-web from ``buf curl``."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import struct
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import fleet_pb2, fleet_pb2_grpc, task_pb2, task_pb2_grpc, telemetry_pb2
from google.protobuf import json_format

from tests.support.auth import auth, headers, unique_tenant
from tests.support.servers import RunningServer
from tests.support.tasks import T, drop_off, pickup

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"
FLEET = "bengobox.logistics.v1.FleetService"
TRACK_TASK = "/bengobox.logistics.v1.TelemetryService/TrackTask"


async def new_rider(channel: grpc.aio.Channel, tenant: str) -> fleet_pb2.Rider:
    return await fleet_pb2_grpc.FleetServiceStub(channel).CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="Akinyi")
        ),
        metadata=auth(tenant),
    )


# --- Connect GET -------------------------------------------------------------------------


async def test_a_read_is_served_by_connect_get_in_json_and_in_base64_protobuf(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    rider = await new_rider(grpc_channel, tenant)
    request = fleet_pb2.GetRiderRequest(name=rider.name)
    url = f"{server.http_url}/{FLEET}/GetRider"
    async with httpx.AsyncClient(trust_env=False) as client:
        as_json = await client.get(
            url,
            params={
                "connect": "v1",
                "encoding": "json",
                "message": json.dumps({"name": rider.name}),
            },
            headers=headers(tenant),
        )
        as_proto = await client.get(
            url,
            params={
                "connect": "v1",
                "encoding": "proto",
                "base64": "1",
                "message": base64.urlsafe_b64encode(request.SerializeToString()).decode(),
            },
            headers=headers(tenant),
        )

    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["displayName"] == "Akinyi"
    assert as_proto.status_code == 200, as_proto.text
    assert fleet_pb2.Rider.FromString(as_proto.content).name == rider.name
    for answer in (as_json, as_proto):
        # One caller's data: no shared cache keeps it, and the browser does not either.
        assert answer.headers["cache-control"] == "private, no-store"


async def test_connect_get_without_a_token_is_unauthenticated_and_not_cached(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.get(
            f"{server.http_url}/{FLEET}/ListRiders",
            params={"encoding": "json", "message": '{"parent":"tenants/acme"}'},
        )
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthenticated"
    assert answer.headers["cache-control"] == "private, no-store"


async def test_a_call_with_side_effects_refuses_get(server: RunningServer) -> None:
    tenant = unique_tenant()
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.get(
            f"{server.http_url}/{FLEET}/CreateRider",
            params={"encoding": "json", "message": json.dumps({"parent": f"tenants/{tenant}"})},
            headers=headers(tenant),
        )
        listed = await client.post(
            f"{server.http_url}/{FLEET}/ListRiders",
            json={"parent": f"tenants/{tenant}"},
            headers=headers(tenant),
        )
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert listed.json() == {}  # nothing was created


async def test_a_get_with_a_malformed_message_is_invalid_argument(server: RunningServer) -> None:
    tenant = unique_tenant()
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.get(
            f"{server.http_url}/{FLEET}/ListRiders",
            params={"encoding": "json", "message": '{"parent": '},
            headers=headers(tenant),
        )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_argument"


# --- gRPC-web text mode ------------------------------------------------------------------


def text_request(message: bytes) -> bytes:
    """One gRPC-web frame, base64 as a text-mode client sends it."""
    return base64.b64encode(struct.pack(">BI", 0, len(message)) + message)


def decode_text_body(text: bytes) -> bytes:
    """A text-mode answer: concatenated base64 segments, each padded on its own."""
    out, segment = [], b""
    for i in range(0, len(text), 4):
        segment += text[i : i + 4]
        if segment.endswith(b"="):
            out.append(base64.b64decode(segment, validate=True))
            segment = b""
    out.append(base64.b64decode(segment, validate=True))
    return b"".join(out)


def frames(body: bytes) -> tuple[list[bytes], dict[str, str]]:
    """The messages of a gRPC-web body, and its trailers."""
    messages, trailers, at = [], {}, 0
    while at < len(body):
        flags, size = struct.unpack(">BI", body[at : at + 5])
        payload = body[at + 5 : at + 5 + size]
        at += 5 + size
        if flags & 0x80:
            for line in payload.decode().split("\r\n"):
                if line:
                    key, _, value = line.partition(":")
                    trailers[key.strip().lower()] = value.strip()
        else:
            messages.append(payload)
    return messages, trailers


TEXT_HEADERS = {
    "content-type": "application/grpc-web-text",
    "accept": "application/grpc-web-text",
    "x-grpc-web": "1",
}


async def test_grpc_web_text_unary_call(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    rider = await new_rider(grpc_channel, tenant)
    body = text_request(fleet_pb2.GetRiderRequest(name=rider.name).SerializeToString())
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            f"{server.http_url}/{FLEET}/GetRider",
            content=body,
            headers={**TEXT_HEADERS, **headers(tenant)},
        )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/grpc-web-text+proto"
    [message], trailers = frames(decode_text_body(answer.content))
    assert trailers["grpc-status"] == "0"
    assert fleet_pb2.Rider.FromString(message).display_name == "Akinyi"


async def test_grpc_web_text_request_split_anywhere_and_padded_per_segment_is_read(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    rider = await new_rider(grpc_channel, tenant)
    frame = base64.b64decode(
        text_request(fleet_pb2.GetRiderRequest(name=rider.name).SerializeToString())
    )
    # Three independently padded segments, sent in pieces that cut through them.
    text = b"".join(base64.b64encode(frame[a:b]) for a, b in ((0, 4), (4, 9), (9, None)))

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(text), 7):
            yield text[i : i + 7]

    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            f"{server.http_url}/{FLEET}/GetRider",
            content=pieces(),
            headers={**TEXT_HEADERS, **headers(tenant)},
        )
    [message], trailers = frames(decode_text_body(answer.content))
    assert trailers["grpc-status"] == "0"
    assert fleet_pb2.Rider.FromString(message).name == rider.name


async def test_grpc_web_text_errors_arrive_in_encoded_trailers(server: RunningServer) -> None:
    tenant = unique_tenant()
    async with httpx.AsyncClient(trust_env=False) as client:
        no_token = await client.post(
            f"{server.http_url}/{FLEET}/ListRiders",
            content=text_request(
                fleet_pb2.ListRidersRequest(parent=f"tenants/{tenant}").SerializeToString()
            ),
            headers=TEXT_HEADERS,
        )
        not_base64 = await client.post(
            f"{server.http_url}/{FLEET}/ListRiders",
            content=b"AAAA*AAA",
            headers={**TEXT_HEADERS, **headers(tenant)},
        )
    _, trailers = frames(decode_text_body(no_token.content))
    assert trailers["grpc-status"] == str(grpc.StatusCode.UNAUTHENTICATED.value[0])
    _, trailers = frames(decode_text_body(not_base64.content))
    assert trailers["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    assert "base64" in trailers["grpc-message"]


async def test_grpc_web_text_server_stream_sends_each_update_as_it_happens(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    tasks = task_pb2_grpc.TaskServiceStub(grpc_channel)
    task = await tasks.CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}", task=T(kind=T.KIND_DELIVERY, steps=[pickup(), drop_off()])
        ),
        metadata=auth(tenant),
    )
    body = text_request(telemetry_pb2.TrackTaskRequest(task=task.name).SerializeToString())
    received = b""
    states: list[int] = []
    async with (
        httpx.AsyncClient(trust_env=False, timeout=30) as client,
        client.stream(
            "POST",
            f"{server.http_url}{TRACK_TASK}",
            content=body,
            headers={**TEXT_HEADERS, **headers(tenant)},
        ) as answer,
    ):
        assert answer.headers["content-type"] == "application/grpc-web-text+proto"
        async for chunk in answer.aiter_bytes():
            received += chunk
            try:
                messages, _ = frames(decode_text_body(received))
            except (binascii.Error, struct.error):
                continue  # a segment cut by the network: wait for the rest
            states = [telemetry_pb2.TrackTaskResponse.FromString(m).state for m in messages]
            if states == [T.STATE_CREATED]:
                # The first update arrived before the stream ended: now change the task.
                await asyncio.wait_for(
                    tasks.CancelTask(
                        task_pb2.CancelTaskRequest(name=task.name, reason="customer"),
                        metadata=auth(tenant),
                    ),
                    10,
                )
    messages, trailers = frames(decode_text_body(received))
    assert [telemetry_pb2.TrackTaskResponse.FromString(m).state for m in messages] == [
        T.STATE_CREATED,
        T.STATE_CANCELLED,
    ]
    assert trailers["grpc-status"] == "0"


# --- binary gRPC-web from buf curl ---------------------------------------------------------


async def test_buf_curl_calls_a_read_over_grpc_web(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    if not BUF.exists():
        pytest.skip("no buf in .venv: run `make install`")
    tenant = unique_tenant()
    rider = await new_rider(grpc_channel, tenant)
    process = await asyncio.create_subprocess_exec(
        str(BUF),
        "curl",
        "--protocol",
        "grpcweb",
        "--schema",
        str(ROOT / "proto"),
        "-H",
        headers(tenant)["authorization"].join(("authorization: ", "")),
        "-d",
        json_format.MessageToJson(fleet_pb2.GetRiderRequest(name=rider.name)),
        f"{server.http_url}/{FLEET}/GetRider",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert json.loads(out)["displayName"] == "Akinyi"
