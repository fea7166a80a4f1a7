"""CORS for the API routes of the HTTP listener (RPCs and REST), so a dashboard served from
another origin can call them: starlette's ``CORSMiddleware`` with the headers the Connect and
gRPC-web protocols need.

Only the origins in ``LOGISTICS_CORS_ORIGINS`` get ``Access-Control-Allow-Origin``; with none
configured (the default) every preflight is refused and no answer carries it. Calls carry the
token in ``Authorization``, never in a cookie, so credentials are not allowed: an allowed
origin gets nothing a page without the token could use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from starlette.middleware.cors import CORSMiddleware

from logistics.api.rest import Receive, Scope, Send

__all__ = ["ALLOWED_HEADERS", "EXPOSED_HEADERS", "MAX_AGE_SECONDS", "with_cors"]

AsgiApp = Any  # an ASGI callable: (scope, receive, send) -> None

# What a browser may send: the Connect and gRPC-web protocol headers (connectrpc's own CORS
# list), compression negotiation, and ours (the bearer token, a caller's request id).
ALLOWED_HEADERS = (
    "authorization",
    "connect-accept-encoding",
    "connect-content-encoding",
    "connect-protocol-version",
    "connect-timeout-ms",
    "content-type",
    "grpc-accept-encoding",
    "grpc-encoding",
    "grpc-timeout",
    "x-grpc-web",
    "x-request-id",
    "x-user-agent",
)
# What a page may read from an answer: gRPC-web's status in headers (a trailers-only answer),
# Connect's stream compression, and what the REST downloads set.
EXPOSED_HEADERS = (
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "grpc-encoding",
    "connect-content-encoding",
    "content-disposition",
    "x-content-sha256",
)
# Chromium caps a cached preflight at two hours; Firefox allows a day.
MAX_AGE_SECONDS = 7200


def with_cors(app: AsgiApp, origins: Sequence[str]) -> AsgiApp:
    """``app`` behind CORS for ``origins`` (``"*"`` allows any). Preflights (``OPTIONS`` with
    ``Access-Control-Request-Method``) are answered here: 200 with the allowed methods and
    headers, or 400 naming what was refused, never with an allowed origin it was not given."""
    middleware = CORSMiddleware(
        app,
        allow_origins=tuple(origins),
        allow_methods=("GET", "POST"),
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=False,
        expose_headers=EXPOSED_HEADERS,
        max_age=MAX_AGE_SECONDS,
    )

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        await middleware(scope, cast(Any, receive), cast(Any, send))

    return serve
