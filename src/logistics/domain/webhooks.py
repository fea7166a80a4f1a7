"""A tenant's webhooks as values: the subscription with its signing secrets, and one
delivery of an event to it with its state."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["Delivery", "DeliveryState", "SigningSecret", "Webhook"]


@dataclass(frozen=True)
class SigningSecret:
    """A ``whsec_`` secret; ``expire_time`` is set on the previous one when a new one is added."""

    secret: str = field(repr=False)
    expire_time: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expire_time is None or self.expire_time > now


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class Webhook:
    id: uuid.UUID
    url: str
    event_types: tuple[str, ...] = ()
    # Current secret first. Never logged, audited or emitted.
    secrets: tuple[SigningSecret, ...] = field(default=(), repr=False)
    disabled: bool = False
    retry_window: timedelta = timedelta(hours=24)
    description: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 1


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_time: datetime
    give_up_time: datetime
    last_error: str | None
    last_status: int | None
    create_time: datetime
    deliver_time: datetime | None
