"""The HTTP listener's ASGI app: Connect/gRPC-web/gRPC routes plus health, readiness, metrics,
and the console and tracking pages."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from connectrpc.server import ConnectASGIApplication
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from logistics.api.rest import Receive, RestEndpoints, Scope, Send
from logistics.api.web_pages import WebPages
from logistics.readiness import ReadinessReport

ReadinessCheck = Callable[[], Awaitable[ReadinessReport]]


class HttpApp:
    def __init__(
        self,
        connect_apps: Sequence[ConnectASGIApplication[Any]],
        readiness: ReadinessCheck,
        registry: CollectorRegistry,
        rest: RestEndpoints | None = None,
        pages: WebPages | None = None,
    ) -> None:
        self._routes = {app.path.strip("/"): app for app in connect_apps}
        self._readiness = readiness
        self._registry = registry
        self._rest = rest
        self._pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if scope["method"] == "GET":
            if path == "/healthz":
                await _respond(send, 200, b'{"status":"ok"}')
                return
            if path == "/readyz":
                report = await self._readiness()
                body = json.dumps(report.as_json()).encode()
                await _respond(send, 200 if report.ready else 503, body)
                return
            if path == "/metrics":
                await _respond(send, 200, generate_latest(self._registry), CONTENT_TYPE_LATEST)
                return
        if self._pages is not None and await self._pages.serve(scope["method"], path, send):
            return
        matched = self._rest.match(scope["method"], path) if self._rest else None
        if matched is not None and self._rest is not None:
            await self._rest.serve(matched, scope, receive, send)
            return
        service = path.strip("/").split("/", 1)[0]
        app = self._routes.get(service)
        if app is None:
            await _respond(send, 404, b'{"error":"not found"}')
            return
        await app(scope, receive, send)  # type: ignore[arg-type,unused-ignore]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(
    send: Send, status: int, body: bytes, content_type: str = "application/json"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type.encode()), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body})
