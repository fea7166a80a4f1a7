"""Seconds from ``make demo`` to the first simulated rider visible through the API.

Starts ``make demo`` (embedded PostgreSQL, Redis and NATS unless LOGISTICS_*_URL are set, the
demo tenant seeded, the simulator started) on free ports with its own data directory, and
polls ``FindNearestRiders`` around Nairobi's centre with a token signed by the development
secret the command writes, until a rider is found. Dependencies are assumed installed (a
second ``make`` finds nothing to do). ``--data-dir`` reuses a data directory (a warm start:
the database exists and the tenant is seeded); by default each run starts from an empty one
(a fresh clone). The last line is one JSON object.

    .venv/bin/python bench/demo_start.py [--runs 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import grpc
from bengobox.logistics.v1 import common_pb2, dispatch_pb2, dispatch_pb2_grpc

from logistics.api.auth import mint_token
from logistics.sim.city import CENTRE

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def first_rider(grpc_port: int, data_dir: Path, started: float, limit_s: float) -> float:
    """Seconds after ``started`` at which FindNearestRiders first returned a rider."""
    secret_file = data_dir / "dev-jwt-secret"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = dispatch_pb2_grpc.DispatchServiceStub(channel)  # type: ignore[no-untyped-call]
        while time.monotonic() - started < limit_s:
            if secret_file.exists():
                token = mint_token(
                    secret_file.read_text().strip(),
                    tenant="demo",
                    scopes=["logistics:read", "logistics:dispatch"],
                )
                try:
                    found = await stub.FindNearestRiders(
                        dispatch_pb2.FindNearestRidersRequest(
                            parent="tenants/demo",
                            point=common_pb2.GeoPoint(latitude=CENTRE.lat, longitude=CENTRE.lng),
                            max_riders=1,
                            radius_m=30_000,
                        ),
                        metadata=(("authorization", f"Bearer {token}"),),
                        timeout=2,
                    )
                    if found.riders:
                        return time.monotonic() - started
                except grpc.aio.AioRpcError as exc:
                    if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND):
                        raise
            await asyncio.sleep(0.2)
    raise TimeoutError(f"no rider visible after {limit_s} s")


def one_run(data_dir: Path, limit_s: float) -> float:
    grpc_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGISTICS_")}
    env |= {
        "LOGISTICS_DATA_DIR": str(data_dir),
        "LOGISTICS_GRPC_PORT": str(grpc_port),
        "LOGISTICS_HTTP_PORT": str(http_port),
    }
    for name in ("LOGISTICS_DATABASE_URL", "LOGISTICS_REDIS_URL", "LOGISTICS_NATS_URL"):
        if name in os.environ:
            env[name] = os.environ[name]
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log = (data_dir.parent / f"demo-{grpc_port}.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return asyncio.run(first_rider(grpc_port, data_dir, started, limit_s))
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, help="reuse this data directory (warm start)")
    parser.add_argument("--limit", type=float, default=180.0, help="give up after (s)")
    args = parser.parse_args()
    seconds = []
    with tempfile.TemporaryDirectory(prefix="demo-start-") as scratch:
        for run in range(args.runs):
            data_dir = args.data_dir or Path(scratch) / f"data-{run}"
            seconds.append(round(one_run(data_dir, args.limit), 1))
            print(f"run {run + 1}: first rider visible after {seconds[-1]} s", flush=True)
    print(
        json.dumps(
            {
                "bench": "demo_start",
                "data_dir": "reused" if args.data_dir else "empty",
                "seconds": seconds,
                "best_s": min(seconds),
                "target_s": 60,
            }
        )
    )


if __name__ == "__main__":
    main()
