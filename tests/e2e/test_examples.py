"""The clients under examples/ run against a live server as a newcomer would run them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from bengobox.logistics.v1 import task_pb2, task_pb2_grpc

from tests.support.auth import auth, token, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_the_python_example_creates_a_task_and_follows_it_to_its_end(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    env = os.environ | {"TOKEN": token(tenant), "TENANT": tenant}
    # Popen only forks and execs; its output is read off the event loop.
    example = subprocess.Popen(  # noqa: ASYNC220
        [
            sys.executable,
            str(EXAMPLES / "python" / "follow_task.py"),
            "--no-dispatch",
            "--target",
            server.grpc_target,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert example.stdout is not None
        first = await asyncio.wait_for(asyncio.to_thread(example.stdout.readline), 30)
        assert first.startswith(f"created tenants/{tenant}/tasks/"), first
        name = first.split()[1]
        # A dispatcher cancels it: the example sees the end and exits.
        await task_pb2_grpc.TaskServiceStub(grpc_channel).CancelTask(
            task_pb2.CancelTaskRequest(name=name, reason="customer called"), metadata=auth(tenant)
        )
        rest = await asyncio.wait_for(asyncio.to_thread(example.stdout.read), 30)
        assert await asyncio.to_thread(example.wait, 10) == 0, rest
    finally:
        if example.poll() is None:
            example.kill()
    assert rest.splitlines()[-1].strip() == "cancelled", rest
