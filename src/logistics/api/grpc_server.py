"""The grpcio.aio listener: the services through the edge, health and reflection (v1, v1alpha)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.message_factory import GetMessageClass
from grpc import aio
from grpc_health.v1 import _async as health_aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from logistics.api import reflection
from logistics.api.edge import Edge
from logistics.api.grpc_edge import GrpcEdgeInterceptor
from logistics.api.text_check import check_text
from logistics.domain.errors import InvalidArgument


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _parser(message_type: type[Message]) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return message_type.FromString(data)
        except DecodeError as exc:
            raise InvalidArgument.field("request", f"malformed message: {exc}") from None

    return parse


def _method_handler(handler: object, method: MethodDescriptor) -> grpc.RpcMethodHandler[Any, Any]:
    """Routes a gRPC method to the handler's snake_case method, the one Connect calls too.

    A malformed message must be INVALID_ARGUMENT like any other bad input. A streamed request
    is parsed by grpcio with ``parse``, whose InvalidArgument reaches the handler where it
    reads the stream, inside the edge. A single request arrives as bytes and is parsed here,
    inside the edge too: grpcio parses it before the handler runs, where a failure would be
    UNKNOWN. Its text is checked there as well (``check_text``), as the Connect edge does.
    """
    function: Callable[..., Any] = getattr(handler, _snake(method.name))
    parse = _parser(GetMessageClass(method.input_type))
    response_type = GetMessageClass(method.output_type)
    codec: dict[str, Any] = {"response_serializer": response_type.SerializeToString}
    if method.client_streaming:
        codec["request_deserializer"] = parse

    def request_of(raw: Any) -> Any:
        if method.client_streaming:
            return raw  # each message is checked by the handler that reads the stream
        request = parse(raw)
        check_text(request)
        return request

    if method.server_streaming:

        def stream(raw: Any, context: aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            result: AsyncIterator[Any] = function(request_of(raw), context)
            return result

        if method.client_streaming:
            return grpc.stream_stream_rpc_method_handler(stream, **codec)
        return grpc.unary_stream_rpc_method_handler(stream, **codec)

    async def unary(raw: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        return await function(request_of(raw), context)

    if method.client_streaming:
        return grpc.stream_unary_rpc_method_handler(unary, **codec)
    return grpc.unary_unary_rpc_method_handler(unary, **codec)


def service_handler(
    service: ServiceDescriptor, handler: object
) -> grpc.GenericRpcHandler[Any, Any]:
    return grpc.method_handlers_generic_handler(
        service.full_name, {m.name: _method_handler(handler, m) for m in service.methods}
    )


class GrpcListener:
    """Owns the grpcio server and its health status."""

    def __init__(
        self,
        services: Sequence[tuple[ServiceDescriptor, object]],
        edge: Edge,
        *,
        max_message_bytes: int,
        extra_interceptors: Sequence[aio.ServerInterceptor[Any, Any]] = (),
    ) -> None:
        options = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
        ]
        self.server = aio.server(
            interceptors=[*extra_interceptors, GrpcEdgeInterceptor(edge)], options=options
        )
        self.health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.server.add_generic_rpc_handlers(
            [service_handler(descriptor, handler) for descriptor, handler in services]
        )
        names = [descriptor.full_name for descriptor, _ in services]
        self.server.add_generic_rpc_handlers(
            reflection.grpc_handlers([*names, health.SERVICE_NAME])
        )
        self._names = names

    def bind(self, host: str, port: int) -> int:
        bound: int = self.server.add_insecure_port(f"{host}:{port}")
        if bound == 0:
            raise OSError(f"cannot listen for gRPC on {host}:{port}")
        return bound

    async def start(self) -> None:
        await self.server.start()
        await self._set_all(health_pb2.HealthCheckResponse.SERVING)

    async def set_serving(self, serving: bool) -> None:
        """Follows readiness: NOT_SERVING while this replica cannot serve (PostgreSQL lost),
        so gRPC load balancers that watch health send calls elsewhere meanwhile."""
        status = health_pb2.HealthCheckResponse
        await self._set_all(status.SERVING if serving else status.NOT_SERVING)

    async def stop(self, grace_s: float) -> None:
        """Health turns NOT_SERVING (and stays so), new calls are refused, calls in flight get
        ``grace_s`` to finish before they are cancelled."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace_s)

    async def _set_all(self, status: int) -> None:
        await self.health.set("", status)
        for name in self._names:
            await self.health.set(name, status)
