"""The grpcio listener's interceptor: runs every RPC through the shared ``Edge``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from logistics.api.edge import Call, Edge, is_public
from logistics.api.errors import ErrorStatus
from logistics.api.push import PushStream, Send

_STATUS_DETAILS_KEY = "grpc-status-details-bin"

Context = Any  # grpc.aio.ServicerContext; its stubs do not fit the handler signatures


async def _abort(context: Context, status: ErrorStatus) -> None:
    """Ends the call with the status and its ``google.rpc.Status`` details in the trailers."""
    context.set_trailing_metadata(((_STATUS_DETAILS_KEY, status.rpc_status().SerializeToString()),))
    await context.abort(status.grpc_code, status.message)


def _writer(context: Context) -> Send[Any]:
    """Writes on the call, one message at a time (gRPC allows one write in flight)."""
    lock = asyncio.Lock()
    write = context.write

    async def send(message: Any) -> None:
        async with lock:
            await write(message)

    return send


class GrpcEdgeInterceptor(aio.ServerInterceptor):  # type: ignore[type-arg]
    def __init__(self, edge: Edge) -> None:
        self._edge = edge

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(details)
        method: str = getattr(details, "method", "")
        if handler is None or is_public(method):
            return handler
        raw_metadata = getattr(details, "invocation_metadata", None) or ()
        metadata = {k: v for k, v in raw_metadata if isinstance(v, str)}
        edge = self._edge

        async def begin() -> Call:
            return await edge.begin(
                method, "grpc", metadata.get("authorization"), metadata.get("x-request-id")
            )

        if handler.unary_unary or handler.stream_unary:
            inner: Callable[..., Awaitable[Any]] = handler.unary_unary or handler.stream_unary

            async def unary_response(request: Any, context: Context) -> Any:
                call = Call(method, "grpc", "")
                try:
                    call = await begin()
                    return await inner(request, context)
                except aio.AbortError:
                    raise
                except Exception as exc:
                    await _abort(context, edge.fail(call, exc))
                finally:
                    edge.end(call)

            unary_factory = (
                grpc.unary_unary_rpc_method_handler
                if handler.unary_unary
                else grpc.stream_unary_rpc_method_handler
            )
            return unary_factory(
                unary_response,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )

        inner_stream: Callable[..., AsyncIterator[Any]] = (
            handler.unary_stream or handler.stream_stream
        )

        async def stream_response(request: Any, context: Context) -> AsyncIterator[Any]:
            call = Call(method, "grpc", "")
            try:
                call = await begin()
                stream = inner_stream(request, context)
                if isinstance(stream, PushStream):
                    await edge.run_until_drained(stream.run(_writer(context)))
                    return
                async for response in edge.until_drained(stream):
                    yield response
            except aio.AbortError:
                raise
            except Exception as exc:
                await _abort(context, edge.fail(call, exc))
            finally:
                edge.end(call)

        stream_factory = (
            grpc.unary_stream_rpc_method_handler
            if handler.unary_stream
            else grpc.stream_stream_rpc_method_handler
        )
        return stream_factory(
            stream_response,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
