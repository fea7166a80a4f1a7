"""Headless Chromium for the browser tests and the benchmarks: Debian's ``chromium`` driven by
Playwright (never a downloaded browser), or a skip saying how to get it; a static site to load
pages from; opening the console and waiting for it as a dispatcher would; where screenshots
go."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "no /usr/bin/chromium: run `apt-get install chromium` to run the browser tests"


def chromium_path() -> Path | None:
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A launched Chromium; skips the test when the machine has none."""
    path = chromium_path()
    if path is None:
        pytest.skip(MISSING)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = {".mjs": "text/javascript", ".js": "text/javascript"}

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """``directory`` served over HTTP on a free loopback port, in a thread: its origin."""
    handler = functools.partial(_QuietFiles, directory=str(directory))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


# Where the browser tests write their screenshots. Unset: a scratch directory, so a test run
# leaves the tree clean; `make screenshots` sets it to docs/images, where the README and
# docs/console.md take their pictures from.
SCREENSHOTS_ENV = "LOGISTICS_SCREENSHOT_DIR"


def screenshot_dir(scratch: Path) -> Path:
    """``$LOGISTICS_SCREENSHOT_DIR`` if set, else ``scratch``; created either way."""
    chosen = os.environ.get(SCREENSHOTS_ENV, "").strip()
    directory = Path(chosen) if chosen else scratch
    directory.mkdir(parents=True, exist_ok=True)
    return directory


async def open_console(
    page: Page,
    url: str,
    *,
    riders: int | None = None,
    tasks: int | None = None,
    timeout_ms: float = 10_000,
) -> None:
    """Opens the console at ``url`` and waits as a dispatcher would look: the live view
    connected, then (when given) ``riders`` riders counted and drawn on the map and ``tasks``
    cards on the board."""
    await page.goto(url)
    await expect(page.get_by_test_id("live")).to_have_text("live", timeout=timeout_ms)
    if riders is not None:
        await expect(page.get_by_test_id("rider-count")).to_have_text(
            f"{riders} riders", timeout=timeout_ms
        )
        await expect(page.get_by_test_id("map")).to_have_attribute(
            "data-riders-drawn", str(riders), timeout=timeout_ms
        )
    if tasks is not None:
        await expect(page.get_by_test_id("task-card")).to_have_count(tasks, timeout=timeout_ms)
