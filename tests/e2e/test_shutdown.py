"""SIGTERM drains: health turns NOT_SERVING, streams end, the process exits 0 within the grace."""

from __future__ import annotations

import asyncio
import os
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.servers import ServerUrls, start_server, stop_server

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


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


async def test_several_serving_processes_share_the_ports_and_drain_together(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = await start_server(
        server_urls, tmp_path_factory.mktemp("processes"), LOGISTICS_SERVE_PROCESSES="2"
    )
    try:
        children = _children(server.process.pid)
        assert len(children) == 2
        # Both listen: wait until each has logged that it serves, then every new connection
        # (to either process) answers.
        for _ in range(600):
            if server.log_path.read_text().count('"message": "serving"') == 2:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the second serving process did not start")
        for _ in range(8):
            async with grpc.aio.insecure_channel(
                server.grpc_target, options=[("grpc.use_local_subchannel_pool", 1)]
            ) as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        server.process.terminate()
        exit_code = await asyncio.to_thread(server.process.wait, 15)
    finally:
        stop_server(server)
    assert exit_code == 0
    assert server.log_path.read_text().count('"message": "stopped"') == 2
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
