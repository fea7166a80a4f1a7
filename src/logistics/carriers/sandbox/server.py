"""Runs the sandbox carrier: its HTTP app on hypercorn, the callback sender and, when couriers
move on their own (``step_seconds`` > 0), the loop that advances every active delivery."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import UTC, datetime

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config

from logistics.carriers.sandbox.app import sandbox_app
from logistics.carriers.sandbox.callbacks import CallbackSender
from logistics.carriers.sandbox.model import Refusal, SandboxBook, SandboxConfig
from logistics.events.signing import generate_secret

__all__ = ["SandboxServer"]


class SandboxServer:
    """``async with SandboxServer(config, port=0) as sandbox``: serving on ``sandbox.url``."""

    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        if not config.signing_secret:
            from dataclasses import replace

            config = replace(config, signing_secret=generate_secret())
        self.config = config
        self.book = SandboxBook(config)
        self._host, self._port = host, port
        self._client = httpx.AsyncClient(timeout=5.0)
        self.sender = CallbackSender(config.signing_secret, self._client)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.url = ""

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        port = sock.getsockname()[1]
        sock.close()
        config = Config()
        config.bind = [f"{self._host}:{port}"]
        config.accesslog = None
        app = sandbox_app(self.book, self.sender)
        self._tasks = [
            asyncio.create_task(serve(app, config, shutdown_trigger=self._stop.wait)),  # type: ignore[arg-type]
            asyncio.create_task(self.sender.run()),
        ]
        if self.config.step_seconds > 0:
            self._tasks.append(asyncio.create_task(self._move_couriers()))
        self.url = f"http://{self._host}:{port}"
        await self._ready()

    async def _ready(self) -> None:
        for _ in range(200):
            try:
                await self._client.get(f"{self.url}/healthz")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.02)
        raise RuntimeError("the sandbox carrier did not start")

    def advance(self, delivery_id: str, to: str | None = None, reason: str | None = None) -> None:
        """Moves a delivery on (as ``POST /v1/deliveries/{id}/advance``) and sends its
        callbacks."""
        for change in self.book.advance(delivery_id, datetime.now(UTC), to, reason):
            self.sender.send(change)

    async def _move_couriers(self) -> None:
        while True:
            await asyncio.sleep(self.config.step_seconds)
            for delivery in self.book.active():
                with contextlib.suppress(Refusal):
                    for change in self.book.advance(delivery.id, datetime.now(UTC)):
                        self.sender.send(change)

    async def stop(self) -> None:
        self._stop.set()
        serving, *loops = self._tasks
        for task in loops:
            task.cancel()
        await asyncio.gather(serving, *loops, return_exceptions=True)
        await self._client.aclose()

    async def wait(self, stop: asyncio.Event) -> None:
        """Serves until ``stop`` is set (the CLI's Ctrl-C)."""
        await stop.wait()
