"""The HTTP listener's ASGI app: Connect/gRPC-web/gRPC routes plus health, readiness, metrics,
and the console and tracking pages.

The API routes (RPCs and REST) sit behind CORS, gRPC-web text mode and a ``no-store`` on every
``GET`` answer (Connect GET reads, downloads: each is one caller's data); the pages, health,
readiness and metrics are answered before them, with their own headers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from connectrpc.server import ConnectASGIApplication
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from logistics.api.cors import with_cors
from logistics.api.grpc_web_text import with_grpc_web_text
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
        cors_origins: Sequence[str] = (),
    ) -> None:
        self._routes = {app.path.strip("/"): app for app in connect_apps}
        self._readiness = readiness
        self._registry = registry
        self._rest = rest
        self._pages = pages
        self._api = with_cors(with_grpc_web_text(_private_gets(self._serve_api)), cors_origins)

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
        await self._api(scope, receive, send)

    async def _serve_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
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


def _private_gets(app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> Any:
    """``app`` whose ``GET`` answers say ``Cache-Control: private, no-store`` unless they set
    their own: every API read is authenticated, so no shared cache may keep it, and live state
    is stale at once, so neither may the browser."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await app(scope, receive, send)
            return

        async def send_private(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"private, no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_private)

    return serve


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
