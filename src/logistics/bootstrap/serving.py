"""The use cases only a serving process runs, over the core and NATS: the live fan-out and
views, rider presence, offers and auto-dispatch, telemetry ingest, task tracking, webhooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry

from logistics.bootstrap.core import Core
from logistics.bootstrap.policies import (
    carrier_resilience,
    dispatch_policy,
    live_settings,
    ping_limits,
)
from logistics.carriers.factory import ConnectorDirectory
from logistics.carriers.resilience import Resilience
from logistics.events.live_bus import NatsLiveBus
from logistics.events.rider_inbox import NatsOfferAnswers, NatsRiderInbox
from logistics.geo.live_index import LiveIndex
from logistics.geo.offers import RedisOfferLedger
from logistics.services.carriers import CarrierAccounts, CarrierCallbacks, CarrierJobs
from logistics.services.dispatch.batch import BatchDispatchService
from logistics.services.dispatch.offers import Offers
from logistics.services.dispatch.service import AutoDispatcher
from logistics.services.live.publisher import LivePublisher
from logistics.services.live.views import LiveViews
from logistics.services.tasks.tracking import TaskTracking
from logistics.services.telemetry.adherence import AdherenceMonitor
from logistics.services.telemetry.presence import PresenceMonitor
from logistics.services.telemetry.service import TelemetryService
from logistics.services.webhooks import WebhookService
from logistics.store.tracks import TrackWriter

__all__ = ["Serving", "build_serving"]

OfflineHook = Callable[[str, str], Awaitable[None]]


@dataclass(frozen=True)
class Serving:
    """What the listeners' handlers call besides the core."""

    live_publisher: LivePublisher
    live_views: LiveViews
    presence: PresenceMonitor
    offers: Offers
    auto: AutoDispatcher
    batch: BatchDispatchService
    tracks: TrackWriter
    telemetry: TelemetryService
    adherence: AdherenceMonitor
    tracking: TaskTracking
    webhooks: WebhookService
    carriers: Carriers

    async def aclose(self) -> None:
        """Ends the live views, flushes the track writer, closes the carriers' clients."""
        await self.live_views.aclose()
        await self.tracks.close()
        await self.carriers.connectors.aclose()


@dataclass(frozen=True)
class Carriers:
    """Carrier accounts, jobs and callbacks over one directory of connectors."""

    connectors: ConnectorDirectory
    accounts: CarrierAccounts
    jobs: CarrierJobs
    callbacks: CarrierCallbacks


def build_carriers(core: Core) -> Carriers:
    settings = core.settings
    keyring = settings.require_keyring()
    connectors = ConnectorDirectory(
        Resilience(carrier_resilience(settings)),
        settings.carrier_callback_url or f"http://127.0.0.1:{settings.http_port}",
        allow_private=settings.allow_private_targets,
    )
    return Carriers(
        connectors,
        CarrierAccounts(core.store, keyring),
        CarrierJobs(core.store, keyring, connectors, core.clock),
        CarrierCallbacks(core.store, keyring, connectors, core.clock, followers=core.tasks),
    )


def build_serving(core: Core, nats: NatsClient, registry: CollectorRegistry) -> Serving:
    settings = core.settings
    live = live_settings(settings)
    live_bus = NatsLiveBus(nats, duplicate_window_s=settings.events_duplicate_window_seconds)
    live_publisher = LivePublisher(live_bus, live)
    live_views = LiveViews(
        live_bus,
        core.index,
        core.geofences,
        core.clock,
        live,
        etas=core.etas,
        registry=registry,
    )
    presence = PresenceMonitor(
        core.index,
        core.store,
        core.clock,
        offline_after=timedelta(seconds=settings.rider_offline_seconds),
        interval_s=min(5.0, settings.rider_offline_seconds / 4),
        on_offline=views_told_offline(core.index, live_publisher),
    )
    offers = Offers(RedisOfferLedger(core.index), NatsRiderInbox(nats), NatsOfferAnswers(nats))
    auto = AutoDispatcher(
        core.store, core.dispatching, core.tasks, offers, core.clock, dispatch_policy(settings)
    )
    batch = BatchDispatchService(
        core.store,
        core.tasks,
        core.index,
        core.distances,
        core.clock,
        max_active_tasks=settings.max_active_tasks,
    )
    tracks = TrackWriter(core.db)
    adherence = AdherenceMonitor(core.store, core.paths, core.adherence_states, tracks)
    telemetry = TelemetryService(
        core.store,
        core.index,
        tracks,
        core.geofences,
        core.clock,
        ping_limits(settings),
        on_stream_open=core.dispatching.refresh_profile,
        live=live_publisher,
        adherence=adherence,
    )
    tracking = TaskTracking(
        core.tasks,
        live_views,
        live_publisher,
        core.index,
        core.etas,
        interval_s=settings.live_interval_seconds,
        reread_s=max(2.0, 4 * settings.live_interval_seconds),
    )
    webhooks = WebhookService(
        core.store,
        core.clock,
        settings.require_keyring(),
        allow_private_targets=settings.allow_private_targets,
    )
    return Serving(
        live_publisher=live_publisher,
        live_views=live_views,
        presence=presence,
        offers=offers,
        auto=auto,
        batch=batch,
        tracks=tracks,
        telemetry=telemetry,
        adherence=adherence,
        tracking=tracking,
        webhooks=webhooks,
        carriers=build_carriers(core),
    )


def views_told_offline(index: LiveIndex, publisher: LivePublisher) -> OfflineHook:
    """The presence sweep's hook: live views drop a rider it turned offline, at its last
    position."""

    async def tell(tenant: str, rider_id: str) -> None:
        position = await index.rider(tenant, rider_id)
        if position is not None:
            cell = publisher.cell_of(position.latitude, position.longitude)
            publisher.gone(tenant, rider_id, cell)

    return tell
