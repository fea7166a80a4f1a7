"""Webhook receivers and the delivery worker, as the webhook tests run them: a real HTTP
server on 127.0.0.1 that answers as scripted and checks each signature with the
``standardwebhooks`` library; a tenant's WebhookService (``World``); and the worker with
short timeouts and backoff."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from logistics.domain.caller import Caller
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.paging import PageRequest
from logistics.domain.webhooks import Webhook
from logistics.events.deliveries import DeliveryPolicy, WebhookDeliverer
from logistics.secrets_box import Keyring
from logistics.services.webhooks import Delivery, DeliveryState, WebhookService, WebhookSpec
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from logistics.store.webhooks import DeliveryQueue
from tests.support.auth import SECRETS_KEYS
from tests.support.probes import probe

HANG = -1  # a scripted answer: hold the request until the receiver is released, then 503

FAST = DeliveryPolicy(
    timeout_s=0.5,
    backoff_base_s=0.05,
    backoff_cap_s=0.2,
    max_in_flight=8,
    max_per_webhook=2,
    poll_interval_s=0.05,
    allow_private_targets=True,
)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified_by: set[str]
    answer: int
    time: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A real HTTP server (HTTPS with ``tls``) in a thread that answers each POST with the
    next scripted status (then ``default``) and records who signed it."""

    secrets: dict[str, str] = field(default_factory=dict)
    script: list[int] = field(default_factory=list)
    default: int = 200
    tls: ssl.SSLContext | None = None
    requests: list[Received] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/hooks"

    def _verify(self, body: bytes, headers: dict[str, str]) -> set[str]:
        ok = set()
        for label, secret in self.secrets.items():
            try:
                StandardWebhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            ok.add(label)
        return ok

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            answer = self.script.pop(0) if self.script else self.default
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.requests.append(
                Received(headers, body, self._verify(body, headers), answer, time.monotonic())
            )
        try:
            if answer == HANG:
                self.released.wait(30)
                answer = 503
            handler.send_response(answer)
            handler.send_header("content-length", "0")
            handler.end_headers()
        except OSError:
            pass  # the worker gave up waiting and closed the connection
        finally:
            with self._lock:
                self.in_flight -= 1

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if self.tls:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.released.set()
            server.shutdown()
            server.server_close()

    def answered(self, status: int) -> list[Received]:
        return [r for r in self.requests if r.answer == status]


@dataclass
class World:
    store: Store
    tenant: TenantSlug
    service: WebhookService
    caller: Caller
    made: list[Webhook] = field(default_factory=list)

    async def webhook(self, url: str, *event_types: str, **kwargs: Any) -> Webhook:
        spec = WebhookSpec(uuid.uuid4(), url, tuple(event_types), **kwargs)
        created = await self.service.create(self.caller, self.tenant, spec, None)
        self.made.append(created)
        return created

    def name(self, webhook: Webhook) -> ResourceName:
        return ResourceName(self.tenant, "webhooks", webhook.id)

    async def emit(self, event_type: str, **data: Any) -> uuid.UUID:
        async with self.store.write(self.tenant) as uow:
            return await uow.emit(probe(event_type, **data))

    async def deliveries(
        self, webhook: Webhook, state: DeliveryState | None = None
    ) -> list[Delivery]:
        page = await self.service.list_deliveries(
            self.caller, self.name(webhook), PageRequest(100), state
        )
        return page.items

    async def delivery(self, webhook: Webhook, state: DeliveryState) -> Delivery | None:
        found = await self.deliveries(webhook, state)
        return found[0] if found else None


@asynccontextmanager
async def worker(
    database: Database, policy: DeliveryPolicy = FAST, keyring: Keyring | None = None
) -> AsyncIterator[None]:
    queue = DeliveryQueue(database, keyring or Keyring.parse(SECRETS_KEYS))
    stop = asyncio.Event()
    task = asyncio.create_task(WebhookDeliverer(queue, policy).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
