"""gRPC-web's text mode (``application/grpc-web-text``) in front of connect-python, which
speaks only binary gRPC-web: the request body is base64-decoded on the way in, and every
chunk of a gRPC-web answer base64-encoded on the way out.

Text mode is the default of Google's grpc-web JavaScript library and its only mode with server
streaming. Each response chunk (a message frame, or the final trailers frame) is encoded on
its own, padding included: the gRPC-web spec lets a text-mode body be a concatenation of
padded base64 segments, so a frame reaches the client the moment it is written. A request body
may be split anywhere and may itself be padded segments; it is decoded four characters at a
time. Invalid base64 is INVALID_ARGUMENT in the gRPC-web trailers, like any bad body.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError

from logistics.api.rest import Receive, Scope, Send

__all__ = ["TEXT_CONTENT_TYPE", "with_grpc_web_text"]

AsgiApp = Any
TEXT_CONTENT_TYPE = b"application/grpc-web-text"
BINARY_CONTENT_TYPE = b"application/grpc-web"
_WHITESPACE = b" \t\r\n"
_PADDING = re.compile(rb"=+")


def _text_codec(content_type: bytes) -> bytes | None:
    """``+proto`` for ``application/grpc-web-text+proto``, ``b""`` for the bare type, None if
    the type is not gRPC-web text."""
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == TEXT_CONTENT_TYPE:
        return b""
    if media.startswith(TEXT_CONTENT_TYPE + b"+"):
        return media[len(TEXT_CONTENT_TYPE) :]
    return None


def _decode(text: bytes) -> bytes:
    """Whole base64 quads, where a padded quad may end one segment and another follow."""
    parts, start = [], 0
    for padding in _PADDING.finditer(text):
        parts.append(base64.b64decode(text[start : padding.end()], validate=True))
        start = padding.end()
    parts.append(base64.b64decode(text[start:], validate=True))
    return b"".join(parts)


class _Base64Reader:
    """Decodes a base64 body that arrives in arbitrary pieces."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._pending = b""

    async def receive(self) -> dict[str, Any]:
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        text = self._pending + message.get("body", b"").translate(None, _WHITESPACE)
        more = bool(message.get("more_body", False))
        whole = len(text) - len(text) % 4
        self._pending = text[whole:]
        if not more and self._pending:
            raise ConnectError(Code.INVALID_ARGUMENT, "grpc-web-text body is not valid base64")
        try:
            body = _decode(text[:whole])
        except binascii.Error as exc:
            raise ConnectError(
                Code.INVALID_ARGUMENT, f"grpc-web-text body is not valid base64: {exc}"
            ) from None
        return {**message, "body": body}


def with_grpc_web_text(app: AsgiApp) -> AsgiApp:
    """``app`` that also answers gRPC-web text requests; any other request passes as it is."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))
        codec = next(
            (_text_codec(v) for k, v in headers if k.lower() == b"content-type"),
            None,
        )
        if codec is None:
            await app(scope, receive, send)
            return
        binary = [
            (b"content-type", BINARY_CONTENT_TYPE + codec)
            if k.lower() == b"content-type"
            else (k, v)
            for k, v in headers
            if k.lower() != b"content-length"  # the decoded body is shorter
        ]
        encoding = False

        async def send_text(message: dict[str, Any]) -> None:
            nonlocal encoding
            if message["type"] == "http.response.start":
                out = []
                for k, v in message.get("headers", ()):
                    if k.lower() == b"content-type" and v.startswith(BINARY_CONTENT_TYPE):
                        encoding = True
                        v = TEXT_CONTENT_TYPE + v[len(BINARY_CONTENT_TYPE) :]
                    elif k.lower() == b"content-length":
                        continue
                    out.append((k, v))
                message = {**message, "headers": out}
            elif message["type"] == "http.response.body" and encoding and message.get("body"):
                message = {**message, "body": base64.b64encode(message["body"])}
            await send(message)

        await app({**scope, "headers": binary}, _Base64Reader(receive).receive, send_text)

    return serve
