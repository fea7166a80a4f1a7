"""The Connect listener's interceptor: runs every RPC through the shared ``Edge``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from connectrpc.request import RequestContext

from logistics.api.edge import Call, Edge


class ConnectEdgeInterceptor:
    """Implements connect-python's unary, client-, server- and bidi-stream interceptors."""

    def __init__(self, edge: Edge) -> None:
        self._edge = edge

    async def _begin(self, ctx: RequestContext[Any, Any]) -> Call:
        method = f"/{ctx.method().service_name}/{ctx.method().name}"
        headers = ctx.request_headers()
        return await self._edge.begin(
            method, "connect", headers.get("authorization"), headers.get("x-request-id")
        )

    def _placeholder(self, ctx: RequestContext[Any, Any]) -> Call:
        return Call(f"/{ctx.method().service_name}/{ctx.method().name}", "connect", "")

    async def _unary(
        self,
        call_next: Callable[[Any, RequestContext[Any, Any]], Awaitable[Any]],
        request: Any,
        ctx: RequestContext[Any, Any],
    ) -> Any:
        call = self._placeholder(ctx)
        try:
            call = await self._begin(ctx)
            self._edge.check_request(request)
            return await call_next(request, ctx)
        except Exception as exc:
            raise self._edge.fail(call, exc).connect_error() from None
        finally:
            self._edge.end(call)

    async def _stream(
        self,
        call_next: Callable[[Any, RequestContext[Any, Any]], AsyncIterator[Any]],
        request: Any,
        ctx: RequestContext[Any, Any],
    ) -> AsyncIterator[Any]:
        call = self._placeholder(ctx)
        try:
            call = await self._begin(ctx)
            self._edge.check_request(request)
            async for response in self._edge.until_drained(call_next(request, ctx)):
                yield response
        except Exception as exc:
            raise self._edge.fail(call, exc).connect_error() from None
        finally:
            self._edge.end(call)

    intercept_unary = _unary
    intercept_client_stream = _unary
    intercept_server_stream = _stream
    intercept_bidi_stream = _stream
