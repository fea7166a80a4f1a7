"""The clients under examples/ run against a live server as a newcomer would run them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc
import pytest

from tests.support.auth import token, unique_tenant
from tests.support.examples import follow_until_cancelled
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_the_python_example_creates_a_task_and_follows_it_to_its_end(
    server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    env = os.environ | {"TOKEN": token(tenant), "TENANT": tenant}
    argv = [
        sys.executable,
        str(EXAMPLES / "python" / "follow_task.py"),
        "--no-dispatch",
        "--target",
        server.grpc_target,
    ]
    # A dispatcher cancels the task: the example sees the end and exits.
    rest = await follow_until_cancelled(argv, env, tenant, grpc_channel)
    assert rest.splitlines()[-1].strip() == "cancelled", rest
