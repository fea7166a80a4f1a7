"""The two listeners over one table of services: readiness, start and drain.

The gRPC listener (grpcio) and the HTTP listener (hypercorn: Connect, gRPC-web, gRPC, health,
readiness, metrics, REST) serve the same handlers; what they serve is built by ``bootstrap``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from logistics.api import connect_codecs, h2_streams, reflection
from logistics.api.connect_edge import ConnectEdgeInterceptor
from logistics.api.grpc_server import GrpcListener
from logistics.api.http_app import HttpApp
from logistics.api.service_table import connect_apps
from logistics.api.web_pages import WebPages
from logistics.bootstrap import Handlers
from logistics.config import Settings
from logistics.connections import Connections, nats_ready
from logistics.readiness import Readiness
from logistics.tracing import grpc_tracing_interceptors

__all__ = ["Server", "serving_registry"]

logger = logging.getLogger(__name__)


def serving_registry() -> CollectorRegistry:
    """The registry ``/metrics`` serves: the process's own collectors, then every component's."""
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    return registry


class Server:
    """Both listeners over one set of handlers."""

    def __init__(
        self,
        settings: Settings,
        connections: Connections,
        handlers: Handlers,
        registry: CollectorRegistry,
    ) -> None:
        self.settings = settings
        self.edge = handlers.edge
        self.readiness = Readiness(
            {
                "postgres": connections.db.ping,
                "redis": connections.redis.ping,
                "nats": lambda: nats_ready(connections.nats),
            },
            required={"postgres"},
            registry=registry,
        )
        self.grpc = GrpcListener(
            handlers.services,
            self.edge,
            max_message_bytes=settings.max_message_bytes,
            extra_interceptors=grpc_tracing_interceptors(settings),
        )
        self.readiness.watch(self.grpc.set_serving)
        connect_codecs.install()
        self.http = HttpApp(
            [
                *connect_apps(
                    handlers.services,
                    interceptors=[ConnectEdgeInterceptor(self.edge)],
                    read_max_bytes=settings.max_message_bytes,
                ),
                *reflection.connect_apps([row.descriptor.full_name for row in handlers.services]),
            ],
            self.readiness,
            registry,
            handlers.rest,
            WebPages(settings.map_style_url),
            settings.cors_origins,
        )
        self._http_stop = asyncio.Event()
        self._http_task: asyncio.Task[Any] | None = None
        self._http_socket: socket.socket | None = None

    async def start(self) -> None:
        s = self.settings
        self.grpc.bind(s.bind_host, s.grpc_port)
        await self.grpc.start()
        h2_streams.install()  # hypercorn 0.18.0's KeyError on DATA for a finished stream
        config = HypercornConfig()
        config.bind = [f"{s.bind_host}:{s.http_port}"]
        if s.serve_processes > 1:  # sibling processes share the port
            self._http_socket = _shared_socket(s.bind_host, s.http_port)
            config.bind = [f"fd://{self._http_socket.fileno()}"]
        config.graceful_timeout = s.shutdown_grace_seconds
        config.accesslog = None
        config.errorlog = logging.getLogger("hypercorn.error")
        config.keep_alive_timeout = 75
        server_app: Callable[..., Awaitable[None]] = self.http
        self._http_task = asyncio.create_task(
            hypercorn_serve(server_app, config, shutdown_trigger=self._http_stop.wait)
        )
        await _wait_listening(s.bind_host, s.http_port, self._http_task)
        logger.info(
            "serving",
            extra={"grpc_port": s.grpc_port, "http_port": s.http_port, "host": s.bind_host},
        )

    async def drain(self) -> None:
        """SIGTERM: not ready, streams end cleanly, in-flight calls finish within the grace."""
        grace = self.settings.shutdown_grace_seconds
        logger.info("draining", extra={"grace_s": grace})
        self.readiness.draining = True
        self.edge.draining.set()
        self._http_stop.set()
        await asyncio.gather(self.grpc.stop(grace), self._wait_http(grace_s=grace + 1))

    async def _wait_http(self, *, grace_s: float) -> None:
        if self._http_task is None:
            return
        try:
            await asyncio.wait_for(self._http_task, grace_s)
        except TimeoutError:
            logger.warning("HTTP listener did not stop within the grace period")


def _shared_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket other processes may bind too (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


async def _wait_listening(host: str, port: int, task: asyncio.Task[Any]) -> None:
    """Hypercorn binds inside its task; wait until the port accepts or the task fails."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    for _ in range(200):
        if task.done():
            task.result()
            raise OSError(f"HTTP listener on {host}:{port} stopped during start-up")
        try:
            _, writer = await asyncio.open_connection(target, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise OSError(f"HTTP listener on {host}:{port} did not start")
