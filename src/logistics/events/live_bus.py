"""The live fan-out on NATS: rider updates on ``logistics.live.<tenant>.<cell>`` (core NATS, one
subject per tenant and coarse H3 cell, never captured by the event stream), and the committed
domain events the relay publishes (``logistics.<family>.>``) read back for alerts and task
changes. Payloads are ``FleetFrame`` and ``Event`` protobuf messages; this module is the only
place that knows it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from bengobox.logistics.v1 import common_pb2, events_pb2, telemetry_pb2
from google.protobuf import json_format
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from logistics.domain.dedupe import DEFAULT_CAPACITY, Deduplicator
from logistics.domain.live import OFFLINE, ONLINE, RiderUpdate

logger = logging.getLogger(__name__)

LIVE_PREFIX = "logistics.live"
_OFFLINE = telemetry_pb2.RiderView.STATUS_OFFLINE
_ONLINE = telemetry_pb2.RiderView.STATUS_ONLINE

RiderHandler = Callable[[list[RiderUpdate], list[str]], None]
EventHandler = Callable[[str, str, dict[str, Any]], None]  # tenant, event type, data
Unsubscribe = Callable[[], Awaitable[None]]


def live_subject(tenant: str, cell: str) -> str:
    return f"{LIVE_PREFIX}.{tenant}.{cell}"


def encode_riders(tenant: str, updates: Iterable[RiderUpdate], removals: Iterable[str]) -> bytes:
    frame = telemetry_pb2.FleetFrame()
    for u in updates:
        view = frame.rider_upserts.add(
            rider=u.rider_id,
            position=common_pb2.GeoPoint(latitude=u.latitude, longitude=u.longitude),
            heading_deg=u.heading_deg,
            speed_mps=u.speed_mps,
            status=_OFFLINE if u.status == OFFLINE else _ONLINE,
            task=u.task or "",
            fleet=u.fleet or "",
        )
        # Set directly: Timestamp.FromMilliseconds is Python code, and this runs per update.
        seen, record = view.last_seen_time, view.record_time
        seen.seconds, seen_ms = divmod(u.seen_ms, 1000)
        seen.nanos = seen_ms * 1_000_000
        record.seconds, record_ms = divmod(u.record_ms, 1000)
        record.nanos = record_ms * 1_000_000
    frame.rider_removals.extend(removals)
    return frame.SerializeToString()


def decode_riders(data: bytes) -> tuple[list[RiderUpdate], list[str]]:
    frame = telemetry_pb2.FleetFrame.FromString(data)
    updates = [
        RiderUpdate(
            v.rider,
            v.position.latitude,
            v.position.longitude,
            v.heading_deg,
            v.speed_mps,
            OFFLINE if v.status == _OFFLINE else ONLINE,
            v.task or None,
            v.record_time.ToMilliseconds(),
            v.last_seen_time.ToMilliseconds(),
            v.fleet or None,
        )
        for v in frame.rider_upserts
    ]
    return updates, list(frame.rider_removals)


class NatsLiveBus:
    """Publishes and subscribes the live subjects over one NATS connection.

    Events arrive at least once (a relay that crashed publishes its last batch again); each
    ``subscribe_events`` subscription drops copies by event id within ``duplicate_window_s``
    (the stream's duplicate window), so no consumer in the process sees an event twice.
    """

    def __init__(
        self,
        client: NatsClient,
        event_prefix: str = "logistics",
        *,
        duplicate_window_s: float = 600.0,
        duplicate_capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._nats = client
        self._event_prefix = event_prefix
        self._duplicate_window_s = duplicate_window_s
        self._duplicate_capacity = duplicate_capacity

    async def publish_riders(
        self, tenant: str, cell: str, updates: list[RiderUpdate], removals: list[str]
    ) -> None:
        await self._nats.publish(
            live_subject(tenant, cell), encode_riders(tenant, updates, removals)
        )

    async def subscribe_cell(self, tenant: str, cell: str, handler: RiderHandler) -> Unsubscribe:
        async def on_message(msg: Msg) -> None:
            try:
                updates, removals = decode_riders(msg.data)
            except Exception:
                logger.warning("undecodable live message on %s", msg.subject)
                return
            handler(updates, removals)

        subscription = await self._nats.subscribe(live_subject(tenant, cell), cb=on_message)
        return subscription.unsubscribe

    async def subscribe_events(
        self,
        families: Iterable[str],
        handler: EventHandler,
        interested: Callable[[str], bool] | None = None,
    ) -> Unsubscribe:
        """Committed domain events of the given families, as the relay publishes them; with
        ``interested``, only those of the tenants it accepts are decoded in full. Each event
        reaches ``handler`` once: copies of an event id already handled are dropped."""
        recent = Deduplicator(self._duplicate_window_s, self._duplicate_capacity)

        async def on_message(msg: Msg) -> None:
            try:
                event = events_pb2.Event.FromString(msg.data)
                if interested is not None and not interested(event.tenant):
                    return
                if event.id and not recent.first_time(event.id, time.monotonic()):
                    logger.debug("duplicate event %s on %s dropped", event.id, msg.subject)
                    return
                data = json_format.MessageToDict(event.data)
            except Exception:
                logger.warning("undecodable event on %s", msg.subject)
                return
            data.setdefault(
                "event_time_ms",
                event.event_time.ToMilliseconds()
                if event.HasField("event_time")
                else int(datetime.now(UTC).timestamp() * 1000),
            )
            handler(event.tenant, event.type, data)

        subscriptions = [
            await self._nats.subscribe(f"{self._event_prefix}.{family}.>", cb=on_message)
            for family in families
        ]

        async def unsubscribe() -> None:
            for subscription in subscriptions:
                await subscription.unsubscribe()

        return unsubscribe
