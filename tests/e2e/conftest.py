"""Fixtures of the browser tests: one headless Chromium per test module, a fresh tab per test,
and where screenshots go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.support.browser import chromium, screenshot_dir


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, launched once for the module (skips where there is none)."""
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh tab at a desktop size, closed after the test."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    opened = await context.new_page()
    yield opened
    await context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$LOGISTICS_SCREENSHOT_DIR`` (``make screenshots``: docs/images), else a scratch one."""
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))
