"""SIGTERM drains: health turns NOT_SERVING, streams end, the process exits 0 within the grace."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import ServerUrls, start_server, stop_server

pytestmark = pytest.mark.e2e


async def _read_to_end(call: grpc.aio.UnaryStreamCall) -> None:  # type: ignore[type-arg]
    while await asyncio.wait_for(call.read(), 10) is not grpc.aio.EOF:
        pass
    raise AssertionError("the health watch ended with OK; a drained server cancels it")


async def test_sigterm_turns_health_off_ends_streams_and_exits_zero(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = await start_server(server_urls, tmp_path_factory.mktemp("drain"))
    try:
        async with grpc.aio.insecure_channel(server.grpc_target) as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
            first = await asyncio.wait_for(watch.read(), 5)
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            started = time.monotonic()
            server.process.terminate()
            second = await asyncio.wait_for(watch.read(), 5)
            assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
            # The stream ends: cancelled with the server at the end of the grace period.
            with pytest.raises(grpc.aio.AioRpcError):
                await _read_to_end(watch)
        exit_code = await asyncio.to_thread(server.process.wait, 15)
        elapsed = time.monotonic() - started
    finally:
        stop_server(server)
    assert exit_code == 0
    assert elapsed < 3 + 5  # the grace period (3 s in tests) plus process teardown
    log = server.log_path.read_text()
    assert '"message": "draining"' in log
    assert '"message": "stopped"' in log
