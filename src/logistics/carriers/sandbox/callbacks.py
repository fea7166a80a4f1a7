"""The sandbox's status callbacks: each change POSTed to its delivery's callback URL, signed as
a Standard Webhook (``webhook-id``, ``webhook-timestamp``, HMAC-SHA256 over id, timestamp and
body), one at a time in the order made, retried with backoff a few times on failure."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx

from logistics.carriers.sandbox.model import Change
from logistics.events.signing import sign

__all__ = ["CallbackSender"]

logger = logging.getLogger(__name__)

ATTEMPTS = 5


class CallbackSender:
    """Sends callbacks from a queue, in order; ``run`` until cancelled."""

    def __init__(self, secret: str, client: httpx.AsyncClient, retry_base_s: float = 0.2) -> None:
        self._secret = secret
        self._client = client
        self._retry_base_s = retry_base_s
        self._queue: asyncio.Queue[Change] = asyncio.Queue()
        self.sent = 0

    def send(self, change: Change) -> None:
        if change.callback_url:
            self._queue.put_nowait(change)

    async def run(self) -> None:
        while True:
            change = await self._queue.get()
            await self._deliver(change)

    async def _deliver(self, change: Change) -> None:
        assert change.callback_url is not None
        body = json.dumps(change.payload).encode()
        for attempt in range(1, ATTEMPTS + 1):
            headers = sign([self._secret], change.payload["id"], int(time.time()), body)
            try:
                answer = await self._client.post(
                    change.callback_url,
                    content=body,
                    headers={**headers, "content-type": "application/json"},
                )
                if answer.status_code < 300:
                    self.sent += 1
                    return
                logger.info("sandbox callback answered %s", answer.status_code)
            except httpx.HTTPError as exc:
                logger.info("sandbox callback failed: %s", exc)
            await asyncio.sleep(self._retry_base_s * 2 ** (attempt - 1))
        logger.warning(
            "sandbox callback %s dropped after %d attempts", change.payload["id"], ATTEMPTS
        )
