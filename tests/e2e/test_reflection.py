"""Server reflection v1 and v1alpha on both listeners, as buf curl uses it: the services, and
the google.rpc types the errors carry, so a refused call's details print as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2

from tests.support.auth import token, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"
SERVICES = {
    f"bengobox.logistics.v1.{name}"
    for name in ("DispatchService", "FleetService", "TaskService", "TelemetryService")
} | {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"}


async def buf(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(BUF), *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("version", ["grpc-v1", "grpc-v1alpha"])
@pytest.mark.parametrize("listener", ["grpc", "http"])
async def test_reflection_lists_the_services_in_both_versions_on_both_listeners(
    server: RunningServer, version: str, listener: str
) -> None:
    url = f"http://{server.grpc_target}" if listener == "grpc" else server.http_url
    code, out, err = await buf(
        "curl", "--protocol", "grpc", "--reflect-protocol", version, url, "--list-services"
    )
    assert code == 0, err
    assert set(out.split()) >= SERVICES, out


async def test_buf_curl_prints_the_details_of_a_refused_call_as_json(
    server: RunningServer,
) -> None:
    tenant = unique_tenant()
    request = {
        "parent": f"tenants/{tenant}",
        "task": {
            "kind": "KIND_DELIVERY",
            "steps": [{"kind": "KIND_PICKUP", "location": {"latitude": 100, "longitude": 36.8}}],
        },
    }
    # Reflection (the default) over the Connect protocol (the default) on the HTTP listener.
    code, out, err = await buf(
        "curl",
        "-H",
        f"Authorization: Bearer {token(tenant)}",
        "-d",
        json.dumps(request),
        f"{server.http_url}/bengobox.logistics.v1.TaskService/CreateTask",
    )
    assert code == 3 * 8, (out, err)  # buf curl exits with the code times 8
    error = json.loads(err)
    assert error["code"] == "invalid_argument"
    decoded = {detail["type"]: detail.get("debug") for detail in error["details"]}
    assert decoded["google.rpc.ErrorInfo"] == {
        "reason": "INVALID_ARGUMENT",
        "domain": "logistics.bengobox.dev",
    }
    assert decoded["google.rpc.BadRequest"] == {
        "fieldViolations": [{"field": "task.steps[0].location", "description": "is out of range"}]
    }


async def test_reflection_v1_serves_the_vendored_google_rpc_error_details(
    grpc_channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    # A v1 client of its own: v1 messages are byte for byte v1alpha's.
    info = grpc_channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol="google.rpc.BadRequest")
    responses = [response async for response in info(iter([request]))]
    assert len(responses) == 1
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(data)
        for data in responses[0].file_descriptor_response.file_descriptor_proto
    ]
    served = next(f for f in files if f.name == "google/rpc/error_details.proto")

    # What a client generated from proto/ sees: the same messages, field for field.
    image = tmp_path / "image.binpb"
    process = await asyncio.create_subprocess_exec(
        str(BUF),
        "build",
        str(ROOT),
        "--path",
        str(ROOT / "proto" / "google" / "rpc" / "error_details.proto"),
        "--exclude-source-info",
        "-o",
        str(image),
    )
    assert await asyncio.wait_for(process.wait(), 60) == 0
    vendored = next(
        f
        for f in descriptor_pb2.FileDescriptorSet.FromString(image.read_bytes()).file
        if f.name == "google/rpc/error_details.proto"
    )
    assert _without_json_names(served) == _without_json_names(vendored)
    assert served.package == "google.rpc"


def _without_json_names(file: descriptor_pb2.FileDescriptorProto) -> list[str]:
    """The file's messages; json_name is left out (protoc fills it in, Python's pool not)."""
    messages = list(file.message_type)
    for message in messages:
        messages.extend(message.nested_type)
        for field in message.field:
            field.ClearField("json_name")
    return [str(message) for message in file.message_type]
