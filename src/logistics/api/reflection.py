"""Server reflection, ``v1`` and ``v1alpha``, for both listeners: the served services and the
``google.rpc`` types their errors carry, so that tools (buf curl, grpcurl, Postman) can call
the service and decode error details without a copy of ``proto/``.

grpcio-reflection implements ``grpc.reflection.v1alpha`` only. ``grpc.reflection.v1`` is the
same protocol under a new package, its messages field for field identical, so one servicer
answers both: ``v1`` requests are read with the ``v1alpha`` classes, whose bytes are the same.
A ``v1`` copy of the ``v1alpha`` file is added to the descriptor pool so that ``v1`` itself can
be listed and described like any served service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from connectrpc.method import IdempotencyLevel, MethodInfo
from connectrpc.request import RequestContext
from connectrpc.server import ConnectASGIApplication, Endpoint
from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha
from grpc_reflection.v1alpha._async import ReflectionServicer

__all__ = [
    "ERROR_TYPE_FILES",
    "METHOD",
    "SERVICES",
    "V1",
    "V1ALPHA",
    "connect_apps",
    "grpc_handlers",
]

V1ALPHA = "grpc.reflection.v1alpha.ServerReflection"
V1 = "grpc.reflection.v1.ServerReflection"
SERVICES = (V1, V1ALPHA)
METHOD = "ServerReflectionInfo"
_V1_FILE = "grpc/reflection/v1/reflection.proto"

# The files of the google.rpc types the errors use (api/errors.py): imported here so that they
# are in the pool reflection reads whatever else was imported. Vendored in proto/google/rpc.
ERROR_TYPE_FILES = tuple(m.DESCRIPTOR.name for m in (code_pb2, error_details_pb2, status_pb2))

Request = v1alpha.ServerReflectionRequest
Response = v1alpha.ServerReflectionResponse


def _add_v1_file(pool: descriptor_pool.DescriptorPool) -> None:
    """Adds ``grpc/reflection/v1/reflection.proto``, derived from the v1alpha file, unless a
    real one is already there."""
    try:
        pool.FindFileByName(_V1_FILE)  # type: ignore[no-untyped-call]
        return
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto()
    v1alpha.DESCRIPTOR.CopyToProto(file)
    old, new = f".{file.package}.", ".grpc.reflection.v1."
    file.name, file.package = _V1_FILE, "grpc.reflection.v1"
    for message in file.message_type:
        for field in message.field:
            if field.type_name.startswith(old):
                field.type_name = new + field.type_name.removeprefix(old)
    for method in file.service[0].method:
        method.input_type = new + method.input_type.removeprefix(old)
        method.output_type = new + method.output_type.removeprefix(old)
    pool.AddSerializedFile(file.SerializeToString())  # type: ignore[no-untyped-call]


def _servicer(service_names: Sequence[str]) -> ReflectionServicer:
    pool = descriptor_pool.Default()  # type: ignore[no-untyped-call]
    _add_v1_file(pool)
    return ReflectionServicer([*service_names, *SERVICES], pool=pool)


def grpc_handlers(service_names: Sequence[str]) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """Both reflection services for the grpcio listener; ``service_names`` are the others
    served (reflection lists itself)."""
    servicer = _servicer(service_names)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=Request.FromString,
        response_serializer=Response.SerializeToString,
    )
    return [grpc.method_handlers_generic_handler(s, {METHOD: handler}) for s in SERVICES]


class _ReflectionApp(ConnectASGIApplication[ReflectionServicer]):
    """One reflection service as a Connect application (bidi streaming needs HTTP/2)."""

    def __init__(self, servicer: ReflectionServicer, service: str) -> None:
        self._path = f"/{service}"

        def info(request: AsyncIterator[Any], ctx: RequestContext[Any, Any]) -> AsyncIterator[Any]:
            responses: AsyncIterator[Any] = servicer.ServerReflectionInfo(request, ctx)
            return responses

        method = MethodInfo(
            name=METHOD,
            service_name=service,
            input=Request,
            output=Response,
            idempotency_level=IdempotencyLevel.UNKNOWN,
        )
        super().__init__(
            service=servicer,
            endpoints=lambda _: {f"{self._path}/{METHOD}": Endpoint.bidi_stream(method, info)},
        )

    @property
    def path(self) -> str:
        return self._path


def connect_apps(service_names: Sequence[str]) -> list[ConnectASGIApplication[Any]]:
    """Both reflection services for the HTTP listener (any of its protocols over HTTP/2)."""
    servicer = _servicer(service_names)
    return [_ReflectionApp(servicer, service) for service in SERVICES]
