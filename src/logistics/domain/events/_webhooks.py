"""Events of webhook subscriptions, and the webhook as they show it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.events._base import Event


@dataclass(frozen=True)
class SecretShown:
    """A signing secret in an event: when it stops signing, never its value."""

    expire_time: datetime | None


@dataclass(frozen=True)
class WebhookShown:
    """A webhook as its events show it: neither its secrets' values nor its URL, which often
    carries a token."""

    id: uuid.UUID
    event_types: tuple[str, ...]
    disabled: bool
    retry_window: timedelta
    description: str | None
    secrets: tuple[SecretShown, ...]


@dataclass(frozen=True)
class WebhookCreated(Event):
    """A webhook subscription was created (its own events go to the webhooks made before it)."""

    type = "webhook.created"

    name: str
    webhook: WebhookShown


@dataclass(frozen=True)
class WebhookUpdated(Event):
    """A webhook subscription was changed."""

    type = "webhook.updated"

    name: str
    webhook: WebhookShown


@dataclass(frozen=True)
class WebhookDeleted(Event):
    """A webhook subscription was deleted; its pending deliveries became dead letters."""

    type = "webhook.deleted"

    name: str


@dataclass(frozen=True)
class WebhookSecretRotated(Event):
    """A webhook got a new signing secret; the earlier ones sign until the overlap ends."""

    type = "webhook.secret_rotated"

    name: str
    webhook: WebhookShown


@dataclass(frozen=True)
class WebhookDisabled(Event):
    """The service disabled a webhook (its receiver answered 410 Gone)."""

    type = "webhook.disabled"

    name: str
    disabled: bool
    reason: str
