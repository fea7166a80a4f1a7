"""The background jobs of ``worker`` (and of ``dev``, in the serving process): due timers, track
partitions and retention, the outbox relay to NATS JetStream, webhook deliveries."""

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

from logistics.bootstrap.core import Core
from logistics.bootstrap.policies import delivery_policy, stream_spec
from logistics.config import Settings
from logistics.domain.rider_actions import OUTCOME_RETENTION
from logistics.events.deliveries import WebhookDeliverer
from logistics.events.jetstream import JetStreamPublisher
from logistics.events.relay import OutboxRelay, RelayMetrics
from logistics.store.db import Database
from logistics.store.outbox import Outbox
from logistics.store.rider_actions import sweep_rider_actions
from logistics.store.tracks import apply_retention, ensure_partitions
from logistics.store.webhooks import DeliveryQueue

__all__ = ["Jobs", "build_deliverer", "build_jobs", "build_relay", "maintain_tracks"]

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
    return Jobs(relay, deliverer, (core.timers.run, tracks, relay.run, deliverer.run))


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
    actions' outcomes past theirs, hourly."""
    while not stop.is_set():
        now = datetime.now(UTC)
        for job in (
            ensure_partitions(db, now.date()),
            apply_retention(db, now),
            sweep_rider_actions(db, now - OUTCOME_RETENTION),
        ):
            try:
                await job
            except Exception:
                logger.exception("track maintenance failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
