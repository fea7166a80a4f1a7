"""Waiting for something another task, thread or process does in its own time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy, and returns that;
    fails the test if nothing truthy came within ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.02)
