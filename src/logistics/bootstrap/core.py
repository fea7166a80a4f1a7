"""The use cases every process runs, ``serve``, ``worker`` and ``dev`` alike, built in
dependency order from the settings and the PostgreSQL and Redis clients.

A due timer fired by the worker runs through these same objects as a call on the server: the
same tenant lookup and outlet discovery, the same hooks after a rider's tasks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from logistics.blobs import BlobStore, blob_store_from_url
from logistics.config import Settings
from logistics.discovery import HttpDiscovery
from logistics.domain.clock import SystemClock
from logistics.geo.adherence_states import AdherenceStates
from logistics.geo.distance import StraightLine
from logistics.geo.geocoders import google, mapbox, nominatim, pelias
from logistics.geo.live_index import LiveIndex
from logistics.geo.matcher import Matcher
from logistics.geo.osrm import Osrm
from logistics.geo.route_geometry import OsrmPaths, StraightPaths
from logistics.platform_directory import PlatformDirectory
from logistics.services.compliance import ComplianceService
from logistics.services.directory import Outlets, tenant_lookup
from logistics.services.dispatch.service import DispatchService
from logistics.services.eta_calibration import EtaCalibration, EtaSettings
from logistics.services.etas import Estimator
from logistics.services.flows.engine import FlowEngine
from logistics.services.geofencing import GeofenceService
from logistics.services.routes.matrix import MatrixCache
from logistics.services.routes.service import RiderHooks, RouteService
from logistics.services.routes.templates import RouteTemplates
from logistics.services.tasks.addresses import AddressResolver, Geocoder, NoGeocoder
from logistics.services.tasks.delays import DelayWatch
from logistics.services.tasks.retention import ProofRetention
from logistics.services.tasks.rider_news import RiderMessages, RiderNews
from logistics.services.tasks.service import TaskService
from logistics.services.timers import TimerRunner
from logistics.services.transfers.follow import TransferFollower
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store

__all__ = ["Core", "build_core", "build_discovery", "build_distances", "build_paths"]


@dataclass(frozen=True)
class Core:
    """Stores, the live index and the use cases over them; no listener, no NATS."""

    settings: Settings
    db: Database
    clock: SystemClock
    discovery: HttpDiscovery | None
    store: Store
    blobs: BlobStore
    outlets: Outlets
    compliance: ComplianceService
    index: LiveIndex
    geofences: GeofenceService
    distances: StraightLine | Osrm
    etas: Estimator

    paths: OsrmPaths | StraightPaths  # route adherence's road paths (same OSRM settings)
    adherence_states: AdherenceStates
    dispatching: DispatchService
    rider_hooks: RiderHooks
    tasks: TaskService
    routes: RouteService
    templates: RouteTemplates
    timers: TimerRunner
    calibration: EtaCalibration
    retention: ProofRetention  # proof files' retention, legal holds and the sweep

    async def aclose(self) -> None:
        """Closes the clients the core opened itself (blob store, discovery, OSRM)."""
        await self.blobs.close()
        if self.discovery is not None:
            await self.discovery.aclose()
        await self.calibration.aclose()
        if isinstance(self.distances, Osrm):
            await self.distances.aclose()
        await self.paths.aclose()


def build_core(
    settings: Settings,
    db: Database,
    redis: aioredis.Redis,
    registry: CollectorRegistry,
    *,
    riders: RiderMessages | None = None,
) -> Core:
    """The core of one process; ``registry`` takes the metrics of what it builds; ``riders``
    reaches the riders' open streams (a serving process's NATS inbox)."""
    clock = SystemClock()
    discovery = build_discovery(settings)
    directory = PlatformDirectory(discovery) if discovery else None
    store = Store(db, tenant_lookup(directory) if directory else None)
    blobs = blob_store_from_url(settings.blob_store_url, settings.data_dir / "blobs")
    # One directory of known outlets for every use case of this process.
    outlets = Outlets(directory)
    compliance = ComplianceService(
        store, blobs, clock, max_document_bytes=settings.max_document_bytes
    )
    index = LiveIndex(
        redis,
        resolution=settings.h3_resolution,
        stale_after_s=settings.rider_stale_seconds,
    )
    geofences = GeofenceService(store, resolution=settings.h3_resolution)
    distances = build_distances(settings, registry)
    # Calibrated ETAs (docs/etas.md): ETAs carry its p50 and p90.
    calibration = EtaCalibration(
        store,
        distances,
        clock,
        EtaSettings(
            refresh_s=settings.eta_calibration_refresh_seconds,
            window_days=settings.eta_calibration_window_days,
            max_rows=settings.eta_calibration_max_observations,
            keep_days=settings.eta_calibration_keep_days,
        ),
    )
    etas = Estimator(
        distances,
        clock,
        budget_s=settings.eta_wait_seconds,
        refresh_s=settings.eta_refresh_seconds,
        spread=calibration,
    )
    dispatching = DispatchService(
        store,
        index,
        Matcher(index),
        distances,
        clock,
        max_active_tasks=settings.max_active_tasks,
        zones=geofences,
    )
    # What runs after a rider's tasks change; its hooks are added once their owners exist.
    rider_hooks = RiderHooks()
    # Durable flows (docs/flows.md): told of task changes in their unit of work.
    flows = FlowEngine(clock)
    tasks = TaskService(
        store,
        outlets,
        blobs,
        clock,
        max_proof_bytes=settings.max_document_bytes,
        on_rider_change=rider_hooks,
        max_active_tasks=settings.max_active_tasks,
        riders=riders,
        positions=index,
        flows=flows,
        follower=TransferFollower(clock),  # transfers follow their tasks, in their transaction
    )
    routes = RouteService(
        store,
        tasks,
        MatrixCache(distances, settings.routing_matrix_cache_size),
        clock,
        max_time_limit_s=settings.routing_max_time_limit_seconds,
        solvers=settings.routing_solvers,
    )
    rider_hooks.add(dispatching.refresh_profile)  # the matcher's view of the rider's load
    rider_hooks.add(routes.rider_changed)  # the rider's route plan follows its tasks
    templates = RouteTemplates(store, routes, clock)
    resolver = AddressResolver(
        store,
        build_geocoder(settings),
        clock,
        min_confidence=settings.geocoder_min_confidence,
        countries=dict(settings.geocoder_countries),
    )
    retention = ProofRetention(store, blobs, clock)
    timers = TimerRunner(
        TimerQueue(db),
        clock,
        task_timers=tasks.handle_sla_timer,
        delay_timers=DelayWatch(
            index, etas, clock, interval_s=settings.delay_check_seconds, news=RiderNews(riders)
        ).handle,
        route_timers=templates.handle_timer,
        address_timers=resolver.handle_timer,
        flow_timers=flows.handle_timer,
        proof_timers=retention.handle_sweep_timer,
        interval_s=settings.timer_interval_seconds,
    )
    return Core(
        settings=settings,
        db=db,
        clock=clock,
        discovery=discovery,
        store=store,
        blobs=blobs,
        outlets=outlets,
        compliance=compliance,
        index=index,
        geofences=geofences,
        distances=distances,
        etas=etas,
        paths=build_paths(settings, registry),
        adherence_states=AdherenceStates(redis),
        dispatching=dispatching,
        rider_hooks=rider_hooks,
        tasks=tasks,
        routes=routes,
        templates=templates,
        timers=timers,
        calibration=calibration,
        retention=retention,
    )


def build_geocoder(settings: Settings) -> Geocoder:
    """The address search of ``LOGISTICS_GEOCODER`` (none: every address waits for a
    dispatcher)."""
    if settings.geocoder == "none" or settings.geocoder_url is None:
        return NoGeocoder()
    options: dict[str, Any] = {
        "timeout_s": settings.geocoder_timeout_seconds,
        "attempts": settings.geocoder_attempts,
        "cache_size": settings.geocoder_cache_size,
        "user_agent": settings.service_name,
    }
    url, secret = settings.geocoder_url, settings.geocoder_secret or ""
    if settings.geocoder == "mapbox":
        return mapbox(url, secret, **options)
    if settings.geocoder == "google":
        return google(url, secret, **options)
    build = nominatim if settings.geocoder == "nominatim" else pelias
    return build(url, **options)


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


def build_paths(settings: Settings, registry: CollectorRegistry) -> OsrmPaths | StraightPaths:
    """Route adherence's paths: OSRM's road geometry when ``LOGISTICS_OSRM_URL`` is set (its
    profile and timeout as for travel times), else straight lines between stops."""
    if not settings.osrm_url:
        return StraightPaths()
    return OsrmPaths(
        settings.osrm_url,
        profile=settings.osrm_profile,
        timeout_s=settings.osrm_timeout_seconds,
        registry=registry,
    )


def build_discovery(settings: Settings) -> HttpDiscovery | None:
    if not settings.discovery_url:
        return None
    return HttpDiscovery(settings.discovery_url, settings.discovery_secrets)
