"""Seconds from ``make demo`` to the first simulated rider moving in the console.

Starts ``make demo`` (embedded PostgreSQL, Redis and NATS unless LOGISTICS_*_URL are set, the
demo tenant seeded, the simulator started) on free ports with its own data directory. As a
newcomer would, it opens the console link the command prints, in headless Chromium (Debian's
``/usr/bin/chromium`` through Playwright, already running, as a browser would be), and stops
the clock when the map has painted a rider at a position reported since the page opened: the
console's ``data-riders-moving`` above zero (counted from the rendered features at most twice
a second, so up to 0.5 s late). ``drawn_s`` is when the map first painted any rider
(``data-riders-drawn``): on a warm start the riders of the last run, kept in Redis, are drawn
before the simulator has sent a ping, so only ``moving_s`` is the target's measure. Beside
it, it polls ``FindNearestRiders`` around Nairobi's centre (available riders only) with a
token signed by the development secret the command writes, until a rider is found
(``api_s``); ``link_s`` is when the console link was printed. Without chromium, only the API.

Dependencies are assumed installed (a second ``make`` finds nothing to do). ``--data-dir``
reuses a data directory (a warm start: the database exists and the tenant is seeded); by
default each run starts from an empty one (a fresh clone). The last line is one JSON object.

    .venv/bin/python bench/demo_start.py [--runs 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from bengobox.logistics.v1 import common_pb2, dispatch_pb2, dispatch_pb2_grpc
from playwright.async_api import Browser, async_playwright
from playwright.async_api import Error as PlaywrightError

from logistics.api.auth import mint_token
from logistics.sim.city import CENTRE

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support.browser import CHROMIUM_ARGS, MISSING, chromium_path  # noqa: E402

TARGET_S = 60
CONSOLE_LINK = re.compile(rb"http://127\.0\.0\.1:\d+/console/#token=[\w.-]+")
COUNT = "Number(document.querySelector('[data-testid=map]')?.dataset.{} ?? 0) > 0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def left(started: float, limit_s: float) -> float:
    """Seconds left before ``limit_s``; a TimeoutError once none are."""
    remaining = limit_s - (time.monotonic() - started)
    if remaining <= 0:
        raise TimeoutError(f"no rider after {limit_s} s")
    return remaining


async def first_rider(grpc_port: int, data_dir: Path, started: float, limit_s: float) -> float:
    """Seconds after ``started`` at which FindNearestRiders first returned a rider."""
    secret_file = data_dir / "dev-jwt-secret"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = dispatch_pb2_grpc.DispatchServiceStub(channel)  # type: ignore[no-untyped-call]
        while left(started, limit_s):
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
    raise AssertionError("unreachable")


async def printed_link(log: Path, started: float, limit_s: float) -> tuple[str, float]:
    """The console link ``make demo`` prints, and when it appeared."""
    while left(started, limit_s):
        found = CONSOLE_LINK.search(await asyncio.to_thread(log.read_bytes))
        if found:
            return found.group().decode(), time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError("unreachable")


async def in_console(
    browser: Browser, link: str, started: float, limit_s: float
) -> dict[str, float]:
    """Seconds after ``started`` at which the console at ``link`` had drawn a rider
    (``drawn_s``) and drawn one moving (``moving_s``)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        while True:
            try:
                await page.goto(link, timeout=left(started, limit_s) * 1000)
                break
            except PlaywrightError:  # the listener not accepting yet
                await asyncio.sleep(0.2)
        seen: dict[str, float] = {}
        for key, attribute in (("drawn_s", "ridersDrawn"), ("moving_s", "ridersMoving")):
            await page.wait_for_function(
                f"() => {COUNT.format(attribute)}",
                polling=100,
                timeout=left(started, limit_s) * 1000,
            )
            seen[key] = round(time.monotonic() - started, 1)
        return seen
    finally:
        await page.close()


@contextlib.asynccontextmanager
async def demo(data_dir: Path) -> AsyncIterator[tuple[int, Path, float]]:
    """``make demo`` running on free ports: its gRPC port, its log and when it was started."""
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
    log_path = data_dir.parent / f"demo-{grpc_port}.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            "make",
            "--no-print-directory",
            "demo",
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield grpc_port, log_path, started
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def one_run(data_dir: Path, limit_s: float, browser: Browser | None) -> dict[str, float]:
    async with demo(data_dir) as (grpc_port, log, started):
        api = asyncio.create_task(first_rider(grpc_port, data_dir, started, limit_s))
        try:
            link, link_s = await printed_link(log, started, limit_s)
            run = {"link_s": round(link_s, 1)}
            if browser is not None:
                run |= await in_console(browser, link, started, limit_s)
            run["api_s"] = round(await api, 1)
            return run
        finally:
            api.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await api


async def all_runs(args: argparse.Namespace, scratch: Path) -> list[dict[str, float]]:
    path = chromium_path()
    if path is None:
        print(f"{MISSING}; timing the API only", file=sys.stderr)
    async with async_playwright() as playwright:
        browser = None
        if path is not None:
            browser = await playwright.chromium.launch(
                executable_path=str(path), args=CHROMIUM_ARGS
            )
        try:
            runs = []
            for n in range(args.runs):
                data_dir = args.data_dir or scratch / f"data-{n}"
                runs.append(await one_run(data_dir, args.limit, browser))
                print(f"run {n + 1}: {runs[-1]}", flush=True)
            return runs
        finally:
            if browser is not None:
                await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, help="reuse this data directory (warm start)")
    parser.add_argument("--limit", type=float, default=180.0, help="give up after (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="demo-start-") as scratch:
        runs = asyncio.run(all_runs(args, Path(scratch)))
    key = "moving_s" if "moving_s" in runs[0] else "api_s"
    print(
        json.dumps(
            {
                "bench": "demo_start",
                "data_dir": "reused" if args.data_dir else "empty",
                "runs": runs,
                "measure": key,
                "best_s": min(r[key] for r in runs),
                "target_s": TARGET_S,
                "met": all(r[key] <= TARGET_S for r in runs),
            }
        )
    )


if __name__ == "__main__":
    main()
