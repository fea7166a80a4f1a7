"""The Go example (examples/go) built with Debian's Go toolchain and libraries, offline, and run
against a live server: it creates a task and follows it with TrackTask to its end, and shows
the google.rpc details of a refused request."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest

from tests.support.auth import token, unique_tenant
from tests.support.examples import follow_until_cancelled
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "go"
GOCODE = Path("/usr/share/gocode/src")
DEBIAN_PACKAGES = (
    "golang-go golang-google-grpc-dev golang-google-protobuf-dev "
    "golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev"
)


@pytest.fixture(scope="module")
def follow_task(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's binary, built by examples/go/build_offline.sh (GOPROXY=off)."""
    if shutil.which("go") is None:
        pytest.skip(f"no go toolchain: install Debian's {DEBIAN_PACKAGES} (.ci/run does)")
    if not (GOCODE / "google.golang.org" / "grpc").is_dir():
        pytest.skip(f"no grpc-go sources in {GOCODE}: install Debian's {DEBIAN_PACKAGES}")
    binary = tmp_path_factory.mktemp("go") / "follow_task"
    built = subprocess.run(
        [str(EXAMPLE / "build_offline.sh"), str(binary)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return binary


async def test_the_go_example_creates_a_task_and_follows_it_to_its_end(
    follow_task: Path, server: RunningServer, grpc_channel: grpc.aio.Channel
) -> None:
    tenant = unique_tenant()
    env = os.environ | {"LOGISTICS_TOKEN": token(tenant)}
    argv = [str(follow_task), "-dispatch=false", "-target", server.grpc_target]
    # A dispatcher cancels the task: the example sees the final state and exits.
    rest = await follow_until_cancelled(argv, env, tenant, grpc_channel)
    assert rest.splitlines()[-1].strip().lower().endswith("cancelled"), rest


async def test_the_go_example_prints_the_field_a_refused_request_got_wrong(
    follow_task: Path, server: RunningServer
) -> None:
    tenant = unique_tenant()
    env = os.environ | {"LOGISTICS_TOKEN": token(tenant)}
    process = await asyncio.create_subprocess_exec(
        str(follow_task),
        "-target",
        server.grpc_target,
        "-pickup-lat",
        "100",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, (out + err).decode()
    assert out == b""  # nothing was created
    lines = err.decode().splitlines()
    assert lines[0].startswith("error: InvalidArgument: "), lines
    assert "  field task.steps[0].location: is out of range" in lines, lines
    assert any(line.startswith("  reason ") for line in lines), lines
