"""Headless Chromium for the browser tests and the console benchmark: Debian's ``chromium``
driven by Playwright (never a downloaded browser), or a skip saying how to get it."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

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
