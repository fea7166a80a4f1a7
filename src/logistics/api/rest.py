"""Plain HTTP endpoints beside Connect (file uploads and downloads, CSV import and export):
routing, the edge (auth, logs, metrics), and errors in Connect's JSON error shape."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectrpc.code import Code

from logistics.api.edge import Call, Edge
from logistics.api.errors import ErrorStatus
from logistics.domain.errors import InvalidArgument

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Connect's HTTP status for each code (its protocol spec's table).
_HTTP_STATUS = {
    Code.CANCELED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}


@dataclass(frozen=True)
class Request:
    """What a REST handler gets: path parameters, query, headers and the streamed body."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    receive: Receive

    async def body(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise InvalidArgument.field("body", "the client went away mid-upload")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes | AsyncIterator[bytes]
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, value: object, status: int = 200) -> Response:
        return cls(status, "application/json", json.dumps(value).encode())


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str  # the method label for logs and metrics, such as "POST riders:import"
    handler: Handler
    # No bearer token: the request proves itself (a carrier's signed callback).
    public: bool = False


def route(
    method: str, template: str, name: str, handler: Handler, *, public: bool = False
) -> Route:
    """``template`` has ``{param}`` segments, each matching one path segment."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(method, re.compile(regex), name, handler, public)


class RestEndpoints:
    def __init__(self, routes: list[Route], edge: Edge) -> None:
        self._routes = routes
        self._edge = edge

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in self._routes:
            found = r.pattern.fullmatch(path)
            if found and r.method == method:
                return r, found.groupdict()
        return None

    async def serve(
        self, matched: tuple[Route, dict[str, str]], scope: Scope, receive: Receive, send: Send
    ) -> None:
        chosen, params = matched
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", ())}
        query = _query(scope.get("query_string", b"").decode())
        call = Call(chosen.name, "http", "")
        body = _BodyTracker(receive)
        try:
            call = await self._edge.begin(
                chosen.name,
                "http",
                headers.get("authorization"),
                headers.get("x-request-id"),
                authenticate=not chosen.public,
            )
            response = await chosen.handler(Request(params, query, headers, body.receive))
        except Exception as exc:
            status = self._edge.fail(call, exc)
            error = _error_response(status)
            if not await body.drain():
                error = dataclasses.replace(error, headers=(("connection", "close"),))
            await _send(send, error)
            self._edge.end(call)
            return
        try:
            await _send(send, response)
        finally:
            self._edge.end(call)


class _BodyTracker:
    """Remembers whether the request body was read to its end. An error answered before the
    body was read (a refused token, a bad first row) reads the rest of a small body first: an
    HTTP/1.1 server that answers with the body unread must close the connection, and a client
    that already sent its next request on it sees the connection drop instead of an answer."""

    DRAIN_LIMIT = 1 << 20

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.finished = False

    async def receive(self) -> dict[str, Any]:
        message = await self._receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            self.finished = True
        return message

    async def drain(self) -> bool:
        """Reads and drops up to ``DRAIN_LIMIT`` bytes; True when the body is now all read."""
        read = 0
        while not self.finished and read <= self.DRAIN_LIMIT:
            message = await self.receive()
            read += len(message.get("body", b""))
        return self.finished


def _query(raw: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw, keep_blank_values=True))


def _error_response(status: ErrorStatus) -> Response:
    error = status.connect_error()
    body: dict[str, Any] = {"code": error.code.value, "message": error.message}
    if status.details:
        from google.protobuf.json_format import MessageToDict

        body["details"] = [
            {"type": d.DESCRIPTOR.full_name, "debug": MessageToDict(d)} for d in status.details
        ]
    return Response.json(body, _HTTP_STATUS.get(error.code, 500))


async def _send(send: Send, response: Response) -> None:
    headers = [(b"content-type", response.content_type.encode())]
    headers.extend((k.encode(), v.encode()) for k, v in response.headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if isinstance(response.body, bytes):
        await send({"type": "http.response.body", "body": response.body})
        return
    async for chunk in response.body:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
