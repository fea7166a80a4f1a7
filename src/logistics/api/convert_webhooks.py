"""Translation between WebhookService messages and the webhook use cases' values."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from bengobox.logistics.v1 import webhook_pb2
from google.protobuf import duration_pb2

from logistics.api.convert_common import enum_to_proto, optional, timestamp, update_paths
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import DELIVERIES, WEBHOOKS
from logistics.domain.versioning import etag_for
from logistics.services.webhooks import (
    DEFAULT_RETRY_WINDOW,
    Delivery,
    DeliveryState,
    Webhook,
    WebhookSpec,
)

DELIVERY_STATES: dict[int, DeliveryState] = {
    webhook_pb2.Delivery.STATE_PENDING: DeliveryState.PENDING,
    webhook_pb2.Delivery.STATE_DELIVERED: DeliveryState.DELIVERED,
    webhook_pb2.Delivery.STATE_DEAD: DeliveryState.DEAD,
}

_MAX_DURATION_S = 10 * 365 * 24 * 3600


def duration_from_proto(value: duration_pb2.Duration, field: str) -> timedelta:
    if not -_MAX_DURATION_S <= value.seconds <= _MAX_DURATION_S or abs(value.nanos) >= 10**9:
        raise InvalidArgument.field(field, "is not a valid duration")
    return value.ToTimedelta()


def optional_duration(message: Any, attribute: str, field: str) -> timedelta | None:
    if not message.HasField(attribute):
        return None
    return duration_from_proto(getattr(message, attribute), field)


def duration_to_proto(value: timedelta) -> duration_pb2.Duration:
    result = duration_pb2.Duration()
    result.FromTimedelta(value)
    return result


def _retry_window(msg: webhook_pb2.Webhook) -> timedelta:
    window = optional_duration(msg, "retry_window", "webhook.retry_window")
    return DEFAULT_RETRY_WINDOW if window is None else window


def webhook_from_proto(msg: webhook_pb2.Webhook) -> WebhookSpec:
    return WebhookSpec(
        id=uuid.uuid4(),
        url=msg.url,
        event_types=tuple(msg.event_types),
        disabled=msg.disabled,
        retry_window=_retry_window(msg),
        description=optional(msg.description),
    )


def webhook_changes(msg: webhook_pb2.Webhook, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, "webhook", output_only=frozenset({"secret"})):
        if path == "event_types":
            changes[path] = tuple(msg.event_types)
        elif path == "retry_window":
            changes[path] = _retry_window(msg)
        elif path == "description":
            changes[path] = optional(msg.description)
        else:
            changes[path] = getattr(msg, path)
    return changes


def webhook_to_proto(
    tenant: TenantSlug, w: Webhook, *, with_secret: bool = False
) -> webhook_pb2.Webhook:
    """The webhook; its current secret only when ``with_secret`` (create and rotation)."""
    return webhook_pb2.Webhook(
        name=WEBHOOKS.name(tenant, w.id),
        url=w.url,
        event_types=list(w.event_types),
        secret=w.secrets[0].secret if with_secret and w.secrets else "",
        disabled=w.disabled,
        retry_window=duration_to_proto(w.retry_window),
        create_time=timestamp(w.create_time),
        update_time=timestamp(w.update_time),
        etag=etag_for(w.version),
        description=w.description or "",
    )


def delivery_to_proto(tenant: TenantSlug, d: Delivery) -> webhook_pb2.Delivery:
    return webhook_pb2.Delivery(
        name=DELIVERIES.name(tenant, d.webhook_id, d.id),
        event_id=str(d.event_id),
        event_type=d.event_type,
        state=enum_to_proto(d.state, DELIVERY_STATES),  # type: ignore[arg-type]
        attempts=d.attempts,
        next_attempt_time=timestamp(d.next_attempt_time)
        if d.state is DeliveryState.PENDING
        else None,
        last_error=d.last_error or "",
        last_status=d.last_status or 0,
        create_time=timestamp(d.create_time),
        deliver_time=timestamp(d.deliver_time),
    )
