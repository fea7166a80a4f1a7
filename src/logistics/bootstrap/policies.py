"""The settings grouped by concern: each function reads one concern's ``LOGISTICS_*`` fields
into the value its component takes, so no construction site copies settings field by field.

``Settings`` stays one flat, frozen object read from the environment (``config``); these views
live here rather than on it so that ``config`` imports no component of any layer.
"""

from __future__ import annotations

from datetime import timedelta

from logistics.api.telemetry import StreamLimits
from logistics.carriers.resilience import ResilienceSettings
from logistics.config import Settings
from logistics.domain.telemetry import PingLimits
from logistics.events.deliveries import DeliveryPolicy
from logistics.events.jetstream import StreamSpec
from logistics.services.dispatch.service import DispatchPolicy
from logistics.services.live.ports import LiveSettings

__all__ = [
    "carrier_resilience",
    "delivery_policy",
    "dispatch_policy",
    "live_settings",
    "ping_limits",
    "stream_limits",
    "stream_spec",
]


def ping_limits(settings: Settings) -> PingLimits:
    """What a ping may claim (``LOGISTICS_PING_*``)."""
    return PingLimits(
        max_accuracy_m=settings.ping_max_accuracy_m,
        max_future_skew=timedelta(seconds=settings.ping_max_future_seconds),
    )


def stream_limits(settings: Settings) -> StreamLimits:
    """What one rider stream may send (``LOGISTICS_STREAM_*``)."""
    return StreamLimits(
        max_message_bytes=settings.stream_max_message_bytes,
        max_pings=settings.stream_max_pings,
        messages_per_second=settings.stream_batches_per_second,
        burst=settings.stream_burst,
        keepalive_s=settings.stream_keepalive_seconds,
    )


def live_settings(settings: Settings) -> LiveSettings:
    """Live views' cells, frame interval and bounds (``LOGISTICS_LIVE_*``)."""
    return LiveSettings(
        cell_resolution=settings.live_cell_resolution,
        interval_s=settings.live_interval_seconds,
        stall_s=settings.live_stall_seconds,
        max_riders=settings.live_max_riders,
    )


def dispatch_policy(settings: Settings) -> DispatchPolicy:
    """How AutoDispatch offers tasks (``LOGISTICS_DISPATCH_*``, offers, broadcast)."""
    return DispatchPolicy(
        mode=settings.dispatch_mode,
        offer_timeout=timedelta(seconds=settings.offer_timeout_seconds),
        broadcast_size=settings.broadcast_size,
        candidates=settings.dispatch_candidates,
        radius_m=settings.dispatch_radius_m,
    )


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """How webhooks are delivered and retried (``LOGISTICS_WEBHOOK_*``)."""
    return DeliveryPolicy(
        timeout_s=settings.webhook_timeout_seconds,
        backoff_base_s=settings.webhook_backoff_base_seconds,
        backoff_cap_s=settings.webhook_backoff_cap_seconds,
        max_in_flight=settings.webhook_max_in_flight,
        max_per_webhook=settings.webhook_max_per_webhook,
        poll_interval_s=settings.webhook_poll_seconds,
        allow_private_targets=settings.allow_private_targets,
    )


def stream_spec(settings: Settings) -> StreamSpec:
    """The JetStream stream the outbox relay publishes to (``LOGISTICS_EVENTS_*``)."""
    return StreamSpec(
        name=settings.events_stream,
        duplicate_window_s=settings.events_duplicate_window_seconds,
        max_age_s=settings.events_max_age_hours * 3600,
        replicas=settings.events_stream_replicas,
    )


def carrier_resilience(settings: Settings) -> ResilienceSettings:
    """Timeouts, retries and breakers of carrier calls (``LOGISTICS_CARRIER_*``)."""
    return ResilienceSettings(
        timeout_s=settings.carrier_timeout_seconds,
        attempts=settings.carrier_attempts,
        threshold=settings.carrier_breaker_threshold,
        open_s=settings.carrier_breaker_open_seconds,
    )
