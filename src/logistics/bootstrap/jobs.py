"""The background jobs of ``worker`` (and of ``dev``, in the serving process): due timers, track
partitions and retention, the outbox relay to NATS JetStream, webhook deliveries, the
notification adapter."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry

from logistics.api.tracking_links import SignedTrackingLinks
from logistics.bootstrap.core import Core
from logistics.bootstrap.policies import delivery_policy, stream_spec
from logistics.config import Settings
from logistics.domain.notifications import REQUEST_RETENTION
from logistics.domain.rider_actions import OUTCOME_RETENTION
from logistics.events.deliveries import WebhookDeliverer
from logistics.events.jetstream import JetStreamPublisher
from logistics.events.relay import OutboxRelay, RelayMetrics
from logistics.services.notifications import (
    EstimatedEtas,
    NotificationAdapter,
    NotificationLimits,
)
from logistics.store.db import Database
from logistics.store.notification_queue import NotificationQueue
from logistics.store.outbox import Outbox
from logistics.store.rider_actions import sweep_rider_actions
from logistics.store.tracks import apply_retention, ensure_partitions
from logistics.store.webhooks import DeliveryQueue

__all__ = [
    "Jobs",
    "build_deliverer",
    "build_jobs",
    "build_notifier",
    "build_relay",
    "maintain_tracks",
]

logger = logging.getLogger(__name__)

Job = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class Jobs:
    relay: OutboxRelay
    deliverer: WebhookDeliverer
    runs: tuple[Job, ...]

    async def run(self, stop: asyncio.Event) -> None:
        """Runs every job until ``stop`` is set and each has finished its round."""
        await asyncio.gather(*(run(stop) for run in self.runs))

    async def aclose(self) -> None:
        await self.relay.close()


def build_jobs(
    core: Core, *, nats: NatsClient | None = None, registry: CollectorRegistry | None = None
) -> Jobs:
    """The jobs over ``core``. The relay publishes over ``nats`` if given (``dev``), else over
    a connection of its own (``worker``), and counts into ``registry`` if given."""
    relay = build_relay(core.settings, core.db, client=nats, registry=registry)
    deliverer = build_deliverer(core.settings, core.db)
    tracks = functools.partial(maintain_tracks, core.db)
    notifier = build_notifier(core)
    return Jobs(relay, deliverer, (core.timers.run, tracks, relay.run, deliverer.run, notifier.run))


def build_notifier(core: Core) -> NotificationAdapter:
    """The notification adapter of ``core``'s settings (``LOGISTICS_NOTIFICATION_*``)."""
    settings = core.settings
    host = settings.bind_host if settings.bind_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    links = SignedTrackingLinks(
        settings.tracking_url or f"http://{host}:{settings.http_port}/track/",
        settings.jwt_secret,
        ttl_s=int(settings.tracking_link_hours * 3600),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    limits = NotificationLimits(
        rate_limit=settings.notification_rate_limit,
        rate_window=timedelta(seconds=settings.notification_rate_window_seconds),
        watch_interval_s=settings.notification_watch_seconds,
    )
    return NotificationAdapter(
        core.store,
        NotificationQueue(core.db),
        core.index,
        EstimatedEtas(core.etas),
        links,
        core.clock,
        limits,
    )


def build_relay(
    settings: Settings,
    db: Database,
    *,
    client: NatsClient | None = None,
    registry: CollectorRegistry | None = None,
) -> OutboxRelay:
    """The relay of ``settings``: over ``client`` if given, else over its own connection."""
    spec = stream_spec(settings)
    publisher = (
        JetStreamPublisher(spec, client=client)
        if client is not None
        else JetStreamPublisher(spec, url=settings.nats_url, name=f"{settings.service_name}-relay")
    )
    return OutboxRelay(
        Outbox(db),
        publisher,
        prefix=spec.prefix,
        batch_size=settings.outbox_batch_size,
        poll_interval_s=settings.outbox_poll_seconds,
        retention=timedelta(hours=settings.outbox_retention_hours),
        metrics=RelayMetrics(registry) if registry is not None else None,
    )


def build_deliverer(settings: Settings, db: Database) -> WebhookDeliverer:
    return WebhookDeliverer(
        DeliveryQueue(db, settings.require_keyring()), delivery_policy(settings)
    )


async def maintain_tracks(db: Database, stop: asyncio.Event, interval_s: float = 3600) -> None:
    """Keeps the next days' track partitions created and applies retention, and drops rider
    actions' outcomes and notification requests past theirs, hourly."""
    while not stop.is_set():
        now = datetime.now(UTC)
        for job in (
            ensure_partitions(db, now.date()),
            apply_retention(db, now),
            sweep_rider_actions(db, now - OUTCOME_RETENTION),
            NotificationQueue(db).purge(now - REQUEST_RETENTION),
        ):
            try:
                await job
            except Exception:
                logger.exception("track maintenance failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
