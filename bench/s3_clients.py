"""Compares S3 client libraries on one moto server: p50 of put/get/delete, import time, size.

The numbers behind the choice of the blob store's S3 client (docs/benchmarks.md, "S3
clients"). The parent (this environment, which has moto from the dev group) starts moto with
signature checks on, creates a bucket, then runs each client in a child process of the Python
named for it, so each is measured in an environment that holds only that client::

    .venv/bin/python bench/s3_clients.py                      # obstore, from .venv
    .venv/bin/python bench/s3_clients.py --client obstore=/tmp/obs/bin/python \\
        --client aiobotocore=/tmp/aio/bin/python --rounds 40

A child measures the import time of its library in a fresh interpreter, the installed size
of the library and everything it requires (as ``importlib.metadata`` lists their files), and
``--rounds`` put, get (read to the end) and delete of a 10 KiB and a 1 MiB object. The last
line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

SIZES = {"10KiB": 10 * 1024, "1MiB": 1024 * 1024}
IMPORTS = {"obstore": "import obstore, obstore.store", "aiobotocore": "import aiobotocore.session"}

# --- the child: one client library --------------------------------------------------------------


def installed_kib(distribution: str) -> int:
    """KiB on disk of ``distribution`` and, recursively, every distribution it requires."""
    seen: set[str] = set()
    todo = [distribution]
    total = 0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional extra that is not installed
        for file in dist.files or ():
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
        for requirement in dist.requires or ():
            if "extra ==" in requirement:
                continue
            token = requirement.split(";")[0].strip()
            for stop in "<>=!~[ (":
                token = token.split(stop)[0]
            todo.append(token)
    return total // 1024


def import_ms(client: str, repeats: int = 5) -> float:
    """Median wall time of importing the library in a fresh interpreter, in ms."""
    code = (
        f"import time; t = time.perf_counter(); {IMPORTS[client]}\nprint(time.perf_counter() - t)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout) * 1000
        for _ in range(repeats)
    ]  # fmt: skip
    return statistics.median(runs)


Op = Callable[[str, bytes], Awaitable[None]]


async def obstore_ops(cfg: dict[str, Any]) -> tuple[Op, Op, Op, Callable[[], Awaitable[None]]]:
    import obstore
    from obstore.store import S3Store

    store = S3Store(
        cfg["bucket"],
        endpoint=f"http://127.0.0.1:{cfg['port']}",
        region="us-east-1",
        access_key_id=cfg["access_key"],
        secret_access_key=cfg["secret_key"],
        virtual_hosted_style_request=False,
        client_options={"allow_http": True},
    )

    async def put(key: str, data: bytes) -> None:
        await obstore.put_async(store, key, data, attributes={"Content-Type": "application/pdf"})

    async def get(key: str, data: bytes) -> None:
        result = await obstore.get_async(store, key)
        size = 0
        async for chunk in result:
            size += len(chunk)
        assert size == len(data)

    async def delete(key: str, data: bytes) -> None:
        await obstore.delete_async(store, key)

    async def close() -> None:
        return None

    return put, get, delete, close


async def aiobotocore_ops(cfg: dict[str, Any]) -> tuple[Op, Op, Op, Callable[[], Awaitable[None]]]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    context = get_session().create_client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{cfg['port']}",
        region_name="us-east-1",
        aws_access_key_id=cfg["access_key"],
        aws_secret_access_key=cfg["secret_key"],
        config=AioConfig(s3={"addressing_style": "path"}),
    )
    client = await context.__aenter__()

    async def put(key: str, data: bytes) -> None:
        await client.put_object(
            Bucket=cfg["bucket"], Key=key, Body=data, ContentType="application/pdf"
        )

    async def get(key: str, data: bytes) -> None:
        response = await client.get_object(Bucket=cfg["bucket"], Key=key)
        size = 0
        async with response["Body"] as body:
            async for chunk in body.iter_chunks():
                size += len(chunk)
        assert size == len(data)

    async def delete(key: str, data: bytes) -> None:
        await client.delete_object(Bucket=cfg["bucket"], Key=key)

    async def close() -> None:
        await context.__aexit__(None, None, None)

    return put, get, delete, close


async def measure_ops(client: str, cfg: dict[str, Any]) -> dict[str, float]:
    build = {"obstore": obstore_ops, "aiobotocore": aiobotocore_ops}[client]
    put, get, delete, close = await build(cfg)
    figures: dict[str, float] = {}
    try:
        for label, size in SIZES.items():
            data = os.urandom(size)
            times: dict[str, list[float]] = {"put": [], "get": [], "delete": []}
            for round_ in range(cfg["rounds"] + 2):  # the first two warm the connection up
                key = f"bench/{client}/{uuid.uuid4().hex}"
                for name, op in (("put", put), ("get", get), ("delete", delete)):
                    start = time.perf_counter()
                    await op(key, data)
                    if round_ >= 2:
                        times[name].append((time.perf_counter() - start) * 1000)
            for name, values in times.items():
                figures[f"{name}_{label}_p50_ms"] = round(statistics.median(values), 2)
    finally:
        await close()
    return figures


def child(client: str, cfg: dict[str, Any]) -> None:
    figures: dict[str, Any] = {
        "client": client,
        "version": metadata.version(client),
        "import_ms": round(import_ms(client), 1),
        "installed_kib": installed_kib(client),
    }
    figures.update(asyncio.run(measure_ops(client, cfg)))
    print(json.dumps(figures), flush=True)


# --- the parent: moto, a bucket, one child per client -------------------------------------------


def wait_for(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def create_bucket(cfg: dict[str, Any]) -> None:
    import boto3  # moto's own dependency, in the dev group

    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{cfg['port']}",
        region_name="us-east-1",
        aws_access_key_id=cfg["access_key"],
        aws_secret_access_key=cfg["secret_key"],
    ).create_bucket(Bucket=cfg["bucket"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", action="append", metavar="NAME=PYTHON", default=[])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(sys.stdin.read()))
        return
    clients = [tuple(c.split("=", 1)) for c in args.client] or [("obstore", sys.executable)]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        cfg: dict[str, Any] = {"port": port, "access_key": "bench", "secret_key": "bench"}
        cfg.update(bucket=f"bench-{uuid.uuid4().hex[:12]}", rounds=args.rounds)
        wait_for(port)
        create_bucket(cfg)
        for name, python in clients:
            done = subprocess.run(
                [python, __file__, "--child", name],
                input=json.dumps(cfg), capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode:
                sys.exit(f"{name} failed:\n{done.stderr}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    finally:
        moto.terminate()
        moto.wait(timeout=10)
    print(json.dumps({"benchmark": "s3_clients", "rounds": args.rounds, "results": results}))


if __name__ == "__main__":
    main()
