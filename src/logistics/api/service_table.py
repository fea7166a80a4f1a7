"""The table of served services, (descriptor, handler) pairs, and the Connect apps it makes.

Both listeners take the same table: the gRPC listener routes each descriptor's methods to its
handler (``grpc_server``), and the HTTP listener mounts the Connect application that
connect-python generated for the descriptor, found by the descriptor's file name
(``bengobox/logistics/v1/fleet.proto`` -> ``bengobox.logistics.v1.fleet_connect``,
class ``FleetServiceASGIApplication``). Serving one more service is one more row.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from connectrpc.interceptor import Interceptor
from connectrpc.server import ConnectASGIApplication
from google.protobuf.descriptor import ServiceDescriptor

__all__ = ["ConnectAppClass", "ServedService", "connect_app_class", "connect_apps", "served"]


class ServedService(NamedTuple):
    """One row: a service of the contract and the handler that implements its methods (one
    ``snake_case`` coroutine per RPC, called by both transports). A pair, as the gRPC
    listener takes it."""

    descriptor: ServiceDescriptor
    handler: object


class ConnectAppClass(Protocol):
    """The constructor of a generated ``<Service>ASGIApplication``."""

    def __call__(
        self,
        service: Any,
        *,
        interceptors: Iterable[Interceptor] = (),
        read_max_bytes: int | None = None,
    ) -> ConnectASGIApplication[Any]: ...


def served(module: Any, service_name: str, handler: object) -> ServedService:
    """The row for ``service_name`` of a generated ``*_pb2`` module."""
    descriptor: ServiceDescriptor = module.DESCRIPTOR.services_by_name[service_name]
    return ServedService(descriptor, handler)


def connect_app_class(descriptor: ServiceDescriptor) -> ConnectAppClass:
    """The ASGI application connect-python generated for ``descriptor``."""
    module_name = descriptor.file.name.removesuffix(".proto").replace("/", ".") + "_connect"
    module = importlib.import_module(module_name)
    app_class: ConnectAppClass = getattr(module, f"{descriptor.name}ASGIApplication")
    return app_class


def connect_apps(
    services: Sequence[ServedService],
    *,
    interceptors: Sequence[Interceptor],
    read_max_bytes: int,
) -> list[ConnectASGIApplication[Any]]:
    """One Connect application per row, each with the same interceptors and size limit."""
    return [
        connect_app_class(row.descriptor)(
            row.handler, interceptors=interceptors, read_max_bytes=read_max_bytes
        )
        for row in services
    ]
