"""Composition root: builds every component from the settings and runs both listeners."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import redis.asyncio as aioredis
from bengobox.logistics.v1 import (
    dispatch_connect,
    dispatch_pb2,
    fleet_connect,
    fleet_pb2,
    task_connect,
    task_pb2,
    telemetry_connect,
    telemetry_pb2,
    webhook_connect,
    webhook_pb2,
)
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from logistics.api import connect_codecs, h2_streams
from logistics.api.auth import Authenticator, JwksCache
from logistics.api.bulk_http import bulk_routes
from logistics.api.connect_edge import ConnectEdgeInterceptor
from logistics.api.document_files import document_file_routes
from logistics.api.edge import Edge, RpcMetrics
from logistics.api.fleet import FleetHandler
from logistics.api.grpc_server import GrpcListener
from logistics.api.http_app import HttpApp
from logistics.api.live import LiveEndpoints
from logistics.api.rest import RestEndpoints
from logistics.api.tasks import DispatchHandler, TaskHandler, proof_routes
from logistics.api.telemetry import StreamLimits, TelemetryHandler
from logistics.api.webhooks import WebhookHandler
from logistics.blobs import blob_store_from_url
from logistics.config import ConfigError, Settings
from logistics.discovery import HttpDiscovery
from logistics.domain.telemetry import PingLimits
from logistics.events.deliveries import build_deliverer
from logistics.events.live_bus import NatsLiveBus
from logistics.events.relay import build_relay
from logistics.geo.distance import StraightLine
from logistics.geo.live_index import LiveIndex
from logistics.geo.osrm import Osrm
from logistics.readiness import Readiness
from logistics.services.batch_dispatch import BatchDispatchService
from logistics.services.bulk import BulkService
from logistics.services.clock import SystemClock
from logistics.services.compliance import ComplianceService
from logistics.services.directory import Outlets, tenant_lookup
from logistics.services.dispatch import AutoDispatcher, DispatchPolicy, DispatchService
from logistics.services.fleet import FleetService
from logistics.services.geofencing import GeofenceService
from logistics.services.live import LiveViews
from logistics.services.live_ports import LiveSettings
from logistics.services.live_publisher import LivePublisher
from logistics.services.offers import Offers
from logistics.services.presence import PresenceMonitor
from logistics.services.routes import RiderHooks, RouteService
from logistics.services.routes_matrix import MatrixCache
from logistics.services.routes_templates import RouteTemplates
from logistics.services.tasks import TaskService
from logistics.services.telemetry import TelemetryService
from logistics.services.timers import TimerRunner
from logistics.services.tracking import TaskTracking
from logistics.services.vehicles import VehicleService
from logistics.services.webhooks import WebhookService
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.tracks import TrackWriter, apply_retention, ensure_partitions
from logistics.store.unit_of_work import Store
from logistics.tracing import grpc_tracing_interceptors

logger = logging.getLogger(__name__)

# How long a Redis command, or a connection's set-up, may take. With the pool's three retries
# (each may also reconnect) a call meeting a hung Redis answers UNAVAILABLE within about ten
# seconds instead of waiting for it forever.
REDIS_TIMEOUT_S = 1.0


@dataclass
class Connections:
    """Clients of the three servers, opened once per process."""

    db: Database
    redis: aioredis.Redis
    nats: NatsClient

    @classmethod
    async def open(cls, settings: Settings) -> Connections:
        settings.require_servers()
        assert settings.database_url is not None
        assert settings.redis_url is not None
        assert settings.nats_url is not None
        db = await Database.connect(
            settings.database_url,
            role=settings.database_role,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        # Every command we send is safe to repeat (the ingest script records each sequence
        # once), so a connection cut by a Redis restart is retried on a new connection.
        # A blocking pool: under load a command waits for a connection instead of failing.
        # Every command we send is short (no blocking reads), so a server that stops answering
        # (hung, or a dead peer whose socket stays open) is a timeout, not a call stuck forever.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.redis_pool_size,
            timeout=10,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            health_check_interval=30,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        redis_client = aioredis.Redis(connection_pool=pool)
        nc = await nats.connect(
            settings.nats_url,
            name=settings.service_name,
            max_reconnect_attempts=-1,
            allow_reconnect=True,
            connect_timeout=5,
            # nats-py's default callbacks log a traceback for every reconnect attempt (every
            # 2 s while NATS is down): one warning when the connection drops, one line back.
            error_cb=_nats_error,
            disconnected_cb=_nats_disconnected,
            reconnected_cb=_nats_reconnected,
        )
        return cls(db, redis_client, nc)

    async def close(self) -> None:
        """Closes each client; one whose server is already gone does not stop the others."""
        for name, closer in (
            ("nats", self._close_nats),
            ("redis", self.redis.aclose),
            ("postgres", self.db.close),
        ):
            try:
                await asyncio.wait_for(closer(), 5)
            except Exception as exc:
                logger.warning("closing %s failed: %s", name, exc)

    async def _close_nats(self) -> None:
        if self.nats.is_connected:
            await self.nats.drain()
        else:
            await self.nats.close()


async def _nats_error(exc: Exception) -> None:
    logger.debug("NATS: %s", exc)


async def _nats_disconnected() -> None:
    logger.warning("disconnected from NATS; live views and offers pause, reconnecting")


async def _nats_reconnected() -> None:
    logger.info("reconnected to NATS")


def build_authenticator(settings: Settings) -> Authenticator:
    settings.require_auth()
    jwks = (
        JwksCache(settings.jwks_url, lifespan_s=settings.jwks_refresh_seconds)
        if settings.jwks_url
        else None
    )
    return Authenticator(
        secret=settings.jwt_secret,
        jwks=jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def _nats_ready(nc: NatsClient) -> None:
    if not nc.is_connected:
        raise ConnectionError("not connected")
    await nc.flush(timeout=1)


class Server:
    """Both listeners over one set of service objects."""

    def __init__(self, settings: Settings, connections: Connections) -> None:
        self.settings = settings
        self.connections = connections
        self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.edge = Edge(build_authenticator(settings), RpcMetrics(self.registry))
        clock = SystemClock()
        self.discovery = build_discovery(settings)
        store = Store(connections.db, tenant_lookup(self.discovery) if self.discovery else None)
        self.blobs = blob_store_from_url(settings.blob_store_url, settings.data_dir / "blobs")
        compliance = ComplianceService(
            store, self.blobs, clock, max_document_bytes=settings.max_document_bytes
        )
        # One directory of known outlets for every use case of this process.
        outlets = Outlets(self.discovery)
        fleet = FleetHandler(FleetService(store, outlets), VehicleService(store), compliance)
        self.index = LiveIndex(
            connections.redis,
            resolution=settings.h3_resolution,
            stale_after_s=settings.rider_stale_seconds,
        )
        self.tracks = TrackWriter(connections.db)
        geofences = GeofenceService(store, resolution=settings.h3_resolution)
        self.distances = build_distances(settings, self.registry)
        limits = PingLimits(
            max_accuracy_m=settings.ping_max_accuracy_m,
            max_future_skew=timedelta(seconds=settings.ping_max_future_seconds),
        )
        dispatching = DispatchService(
            store,
            self.index,
            self.distances,
            clock,
            max_active_tasks=settings.max_active_tasks,
            zones=geofences,
        )
        live_settings = LiveSettings(
            cell_resolution=settings.live_cell_resolution,
            interval_s=settings.live_interval_seconds,
            stall_s=settings.live_stall_seconds,
            max_riders=settings.live_max_riders,
        )
        live_bus = NatsLiveBus(
            connections.nats, duplicate_window_s=settings.events_duplicate_window_seconds
        )
        live_publisher = LivePublisher(live_bus, live_settings)
        distances = self.distances
        self.live_views = LiveViews(
            live_bus,
            self.index,
            geofences,
            clock,
            live_settings,
            eta=lambda lat1, lng1, lat2, lng2: distances.travel(lat1, lng1, lat2, lng2, None)[1],
            registry=self.registry,
        )
        self.presence = PresenceMonitor(
            self.index,
            store,
            clock,
            offline_after=timedelta(seconds=settings.rider_offline_seconds),
            interval_s=min(5.0, settings.rider_offline_seconds / 4),
            on_offline=lambda tenant, rider: _tell_views_offline(
                self.index, live_publisher, tenant, rider
            ),
        )
        rider_hooks = RiderHooks(dispatching.refresh_profile)
        tasks = TaskService(
            store,
            outlets,
            self.blobs,
            clock,
            max_proof_bytes=settings.max_document_bytes,
            on_rider_change=rider_hooks,
            max_active_tasks=settings.max_active_tasks,
        )
        self.timers = TimerRunner(
            TimerQueue(connections.db),
            clock,
            task_timers=tasks.handle_sla_timer,
            # ``templates`` is built below, once the route service exists.
            route_timers=lambda uow, timer: templates.handle_timer(uow, timer),
            interval_s=settings.timer_interval_seconds,
        )
        rest = RestEndpoints(
            [
                *document_file_routes(compliance, settings.max_document_bytes),
                *bulk_routes(BulkService(store, outlets)),
                *proof_routes(tasks),
            ],
            self.edge,
        )
        self.offers = Offers(self.index, connections.nats)
        auto = AutoDispatcher(
            store,
            dispatching,
            tasks,
            self.offers,
            clock,
            DispatchPolicy(
                mode=settings.dispatch_mode,
                offer_timeout=timedelta(seconds=settings.offer_timeout_seconds),
                broadcast_size=settings.broadcast_size,
                candidates=settings.dispatch_candidates,
                radius_m=settings.dispatch_radius_m,
            ),
        )
        batch = BatchDispatchService(
            store,
            tasks,
            self.index,
            self.distances,
            clock,
            max_active_tasks=settings.max_active_tasks,
        )
        task = TaskHandler(tasks)
        routes = RouteService(
            store,
            tasks,
            MatrixCache(self.distances, settings.routing_matrix_cache_size),
            clock,
            max_time_limit_s=settings.routing_max_time_limit_seconds,
            solvers=settings.routing_solvers,
        )
        rider_hooks.add(routes.rider_changed)
        templates = RouteTemplates(store, routes, clock)
        dispatch = DispatchHandler(tasks, dispatching, auto, batch, routes, templates)
        telemetry = TelemetryHandler(
            TelemetryService(
                store,
                self.index,
                self.tracks,
                geofences,
                clock,
                limits,
                on_stream_open=dispatching.refresh_profile,
                live=live_publisher,
            ),
            geofences,
            StreamLimits(
                max_message_bytes=settings.stream_max_message_bytes,
                max_pings=settings.stream_max_pings,
                messages_per_second=settings.stream_batches_per_second,
                burst=settings.stream_burst,
                keepalive_s=settings.stream_keepalive_seconds,
            ),
            self.offers,
            auto,
            LiveEndpoints(
                self.live_views,
                TaskTracking(
                    tasks,
                    self.live_views,
                    live_publisher,
                    self.index,
                    self.distances,
                    interval_s=settings.live_interval_seconds,
                    reread_s=max(2.0, 4 * settings.live_interval_seconds),
                ),
            ),
        )
        webhooks = WebhookHandler(
            WebhookService(
                store,
                clock,
                settings.require_keyring(),
                allow_private_targets=settings.allow_private_targets,
            )
        )
        self.readiness = Readiness(
            {
                "postgres": connections.db.ping,
                "redis": connections.redis.ping,
                "nats": lambda: _nats_ready(connections.nats),
            },
            required={"postgres"},
            registry=self.registry,
        )
        self.grpc = GrpcListener(
            [
                (fleet_pb2.DESCRIPTOR.services_by_name["FleetService"], fleet),
                (task_pb2.DESCRIPTOR.services_by_name["TaskService"], task),
                (dispatch_pb2.DESCRIPTOR.services_by_name["DispatchService"], dispatch),
                (telemetry_pb2.DESCRIPTOR.services_by_name["TelemetryService"], telemetry),
                (webhook_pb2.DESCRIPTOR.services_by_name["WebhookService"], webhooks),
            ],
            self.edge,
            max_message_bytes=settings.max_message_bytes,
            extra_interceptors=grpc_tracing_interceptors(settings),
        )
        self.readiness.watch(self.grpc.set_serving)
        connect_codecs.install()
        interceptors = [ConnectEdgeInterceptor(self.edge)]
        limit = settings.max_message_bytes
        self.http = HttpApp(
            [
                fleet_connect.FleetServiceASGIApplication(
                    fleet, interceptors=interceptors, read_max_bytes=limit
                ),
                task_connect.TaskServiceASGIApplication(
                    task, interceptors=interceptors, read_max_bytes=limit
                ),
                dispatch_connect.DispatchServiceASGIApplication(
                    dispatch, interceptors=interceptors, read_max_bytes=limit
                ),
                telemetry_connect.TelemetryServiceASGIApplication(
                    telemetry, interceptors=interceptors, read_max_bytes=limit
                ),
                webhook_connect.WebhookServiceASGIApplication(
                    webhooks, interceptors=interceptors, read_max_bytes=limit
                ),
            ],
            self.readiness,
            self.registry,
            rest,
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
        ready = asyncio.Event()
        server_app: Callable[..., Awaitable[None]] = self.http
        self._http_task = asyncio.create_task(
            hypercorn_serve(server_app, config, shutdown_trigger=self._http_stop.wait)
        )
        await _wait_listening(s.bind_host, s.http_port, self._http_task)
        ready.set()
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
        await self.live_views.aclose()
        await self.tracks.close()
        await self.blobs.close()
        if self.discovery is not None:
            await self.discovery.aclose()
        if isinstance(self.distances, Osrm):
            await self.distances.aclose()
        logger.info("stopped")

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


async def _maintain_tracks(db: Database, stop: asyncio.Event, interval_s: float = 3600) -> None:
    """Keeps the next days' track partitions created and applies retention, hourly."""
    while not stop.is_set():
        now = datetime.now(UTC)
        for job in (ensure_partitions(db, now.date()), apply_retention(db, now)):
            try:
                await job
            except Exception:
                logger.exception("track maintenance failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


def build_distances(settings: Settings, registry: CollectorRegistry) -> StraightLine | Osrm:
    """Road travel from OSRM when ``LOGISTICS_OSRM_URL`` is set, else the straight line."""
    if not settings.osrm_url:
        return StraightLine()
    return Osrm(
        settings.osrm_url,
        profile=settings.osrm_profile,
        timeout_s=settings.osrm_timeout_seconds,
        cache_size=settings.osrm_cache_size,
        max_table_size=settings.osrm_max_table_size,
        registry=registry,
    )


async def _tell_views_offline(
    index: LiveIndex, publisher: LivePublisher, tenant: str, rider_id: str
) -> None:
    """Live views drop a rider the presence sweep turned offline (at its last position)."""
    position = await index.rider(tenant, rider_id)
    if position is not None:
        publisher.gone(tenant, rider_id, publisher.cell_of(position.latitude, position.longitude))


def build_discovery(settings: Settings) -> HttpDiscovery | None:
    if not settings.discovery_url:
        return None
    return HttpDiscovery(settings.discovery_url, settings.discovery_secrets)


def settle_garbage_collector() -> None:
    """Moves what start-up allocated (modules, generated descriptors, pools) out of the
    collector's sight and makes full collections rarer. A serving process allocates many
    short-lived objects per message; with the default thresholds the cyclic collector keeps
    rescanning the long-lived heap, a measurable share of each ping's CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


async def run_server(settings: Settings, stop: asyncio.Event, *, run_timers: bool = False) -> None:
    """Serves until ``stop`` is set, then drains and closes every connection.

    ``run_timers`` also does the worker's jobs in this process (``logistics dev``): due
    timers, track partitions and retention, the outbox relay and webhook deliveries; in
    production ``logistics worker`` does them.
    """
    connections = await Connections.open(settings)
    try:
        server = Server(settings, connections)
        await server.start()
        settle_garbage_collector()
        background = [
            asyncio.create_task(server.presence.run(stop)),
            asyncio.create_task(server.readiness.run(stop)),
        ]
        relay = None
        if run_timers:
            relay = build_relay(
                settings, connections.db, client=connections.nats, registry=server.registry
            )
            background.append(asyncio.create_task(server.timers.run(stop)))
            background.append(asyncio.create_task(_maintain_tracks(connections.db, stop)))
            background.append(asyncio.create_task(relay.run(stop)))
            deliverer = build_deliverer(settings, connections.db)
            background.append(asyncio.create_task(deliverer.run(stop)))
        await stop.wait()
        await asyncio.gather(*background)
        if relay is not None:
            await relay.close()
        await server.drain()
    finally:
        await connections.close()


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Background work until ``stop`` is set: due timers (document expiry, task SLAs), track
    maintenance, the outbox relay to NATS JetStream (NATS being down only delays it) and
    webhook deliveries."""
    if settings.database_url is None:
        raise ConfigError("LOGISTICS_DATABASE_URL is not set")
    if settings.nats_url is None:
        raise ConfigError("LOGISTICS_NATS_URL is not set")
    db = await Database.connect(
        settings.database_url,
        role=settings.database_role,
        min_size=1,
        max_size=settings.database_pool_max,
    )
    relay = build_relay(settings, db)
    # The worker serves no metrics: the provider's counters go to a registry of its own.
    distances = build_distances(settings, CollectorRegistry())
    try:
        clock = SystemClock()
        store = Store(db)
        blobs = blob_store_from_url(settings.blob_store_url, settings.data_dir / "blobs")
        tasks = TaskService(
            store,
            Outlets(None),
            blobs,
            clock,
            max_active_tasks=settings.max_active_tasks,
        )
        routes = RouteService(
            store,
            tasks,
            MatrixCache(distances, settings.routing_matrix_cache_size),
            clock,
            max_time_limit_s=settings.routing_max_time_limit_seconds,
            solvers=settings.routing_solvers,
        )
        runner = TimerRunner(
            TimerQueue(db),
            clock,
            task_timers=tasks.handle_sla_timer,
            route_timers=RouteTemplates(store, routes, clock).handle_timer,
            interval_s=settings.timer_interval_seconds,
        )
        logger.info("worker running")
        deliverer = build_deliverer(settings, db)
        await asyncio.gather(
            runner.run(stop), _maintain_tracks(db, stop), relay.run(stop), deliverer.run(stop)
        )
    finally:
        await relay.close()
        if isinstance(distances, Osrm):
            await distances.aclose()
        await db.close()
    logger.info("worker stopped")
