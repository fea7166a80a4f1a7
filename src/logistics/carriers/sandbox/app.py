"""The sandbox carrier's HTTP API, shaped like the public on-demand courier APIs: quotes with
an expiry, deliveries created from a quote under an ``Idempotency-Key``, the delivery read
back with its courier and location, cancellation with a fee, and (sandbox only) advancing a
delivery by hand. Every call needs ``Authorization: Bearer <api key>``; each waits the
configured latency and fails with 503 at the configured rate before doing anything."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from logistics.carriers.sandbox.callbacks import CallbackSender
from logistics.carriers.sandbox.model import Change, Refusal, SandboxBook

__all__ = ["sandbox_app"]

Endpoint = Callable[[Request], Awaitable[Response]]


def sandbox_app(book: SandboxBook, sender: CallbackSender) -> Starlette:
    """The ASGI app over ``book``; status changes go to ``sender``."""
    config = book.config

    def guarded(handler: Callable[[Request], Awaitable[tuple[int, Any, list[Change]]]]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            if config.latency_s > 0:
                await asyncio.sleep(config.latency_s)
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {config.api_key}".encode()):
                return _error(401, "unauthorized", "a valid API key is required")
            book.calls += 1
            if book.chance(config.failure_rate):
                book.failed += 1
                return _error(503, "unavailable", "the sandbox failed this call on purpose")
            try:
                status, body, changes = await handler(request)
            except Refusal as refusal:
                return _error(refusal.status, refusal.code, refusal.message)
            for change in changes:
                sender.send(change)
            return JSONResponse(body, status_code=status)

        return endpoint

    async def create_quote(request: Request) -> tuple[int, Any, list[Change]]:
        return 201, book.quote(await _json(request), _now()), []

    async def create_delivery(request: Request) -> tuple[int, Any, list[Change]]:
        key = request.headers.get("idempotency-key", "")
        created, delivery, changes = book.create(await _json(request), key, _now())
        return (201 if created else 200), delivery.view(), changes

    async def get_delivery(request: Request) -> tuple[int, Any, list[Change]]:
        return 200, book.get(request.path_params["id"]).view(), []

    async def cancel_delivery(request: Request) -> tuple[int, Any, list[Change]]:
        delivery, changes = book.cancel(request.path_params["id"], _now())
        return 200, delivery.view(), changes

    async def advance_delivery(request: Request) -> tuple[int, Any, list[Change]]:
        body = await _json(request) if await request.body() else {}
        delivery_id = request.path_params["id"]
        changes = book.advance(delivery_id, _now(), body.get("status"), body.get("reason"))
        return 200, book.get(delivery_id).view(), changes

    routes = [
        Route("/v1/quotes", guarded(create_quote), methods=["POST"]),
        Route("/v1/deliveries", guarded(create_delivery), methods=["POST"]),
        Route("/v1/deliveries/{id}", guarded(get_delivery), methods=["GET"]),
        Route("/v1/deliveries/{id}/cancel", guarded(cancel_delivery), methods=["POST"]),
        Route("/v1/deliveries/{id}/advance", guarded(advance_delivery), methods=["POST"]),
        Route("/healthz", _healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes)


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Refusal(400, "bad_request", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Refusal(400, "bad_request", "the body must be a JSON object")
    return body


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _now() -> datetime:
    return datetime.now(UTC)
