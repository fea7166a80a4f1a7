"""Running an example client (examples/) the way its README does: it creates a task and
follows it, and a dispatcher cancels the task; what the example printed after creating it."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Mapping, Sequence

import grpc
from bengobox.logistics.v1 import task_pb2, task_pb2_grpc

from tests.support.auth import auth


async def follow_until_cancelled(
    argv: Sequence[str], env: Mapping[str, str], tenant: str, channel: grpc.aio.Channel
) -> str:
    """Runs ``argv``, whose first line must be ``created <task name>``; cancels that task and
    returns the rest of the output once the example exited with 0 (it saw the end)."""
    # Popen only forks and execs; its output is read off the event loop.
    example = subprocess.Popen(  # noqa: ASYNC220
        list(argv), env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert example.stdout is not None
        first = await asyncio.wait_for(asyncio.to_thread(example.stdout.readline), 30)
        assert first.startswith(f"created tenants/{tenant}/tasks/"), first
        await task_pb2_grpc.TaskServiceStub(channel).CancelTask(
            task_pb2.CancelTaskRequest(name=first.split()[1], reason="customer called"),
            metadata=auth(tenant),
        )
        rest = await asyncio.wait_for(asyncio.to_thread(example.stdout.read), 30)
        assert await asyncio.to_thread(example.wait, 10) == 0, rest
    finally:
        if example.poll() is None:
            example.kill()
    return rest
