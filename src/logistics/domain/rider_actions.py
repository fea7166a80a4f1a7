"""Offline-safe rider actions: the app's action id and device time, and the rules for them.

A rider's app stamps every action (start, arrive, complete a step, fail, answer an offer) with
a UUID it makes and the time it happened on the device, and buffers it while offline. The
server applies an
action when it arrives, against the task as it is then: an action whose device time is older
than the task's last applied action is still applied when the transition is legal, so a
buffer sent oldest first applies in device-time order. The device time is kept beside the
server's time in the trail and is the step's arrive/complete time. An offer's answer is
judged by the server's clock (an offer lives for seconds), its device time only checked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from logistics.domain.tasks import Task

# How far ahead of the server's clock a device's clock may run.
MAX_DEVICE_SKEW = timedelta(minutes=5)
# How long an action's first outcome is kept for replays.
OUTCOME_RETENTION = timedelta(days=7)
# The errors kept as an action's outcome: the ones the same request would meet again. Others
# (a stale etag, an outage, a refused token) leave the action to be retried.
STORED_ERRORS: tuple[type[DomainError], ...] = (
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
)


@dataclass(frozen=True)
class OfferAnswer:
    """What a rider's answer to an offer came to: whether the task is now the rider's."""

    offer_id: str
    assigned: bool


# What an action came to: the task as the call returned it (an offer's answer for an answer),
# or its error.
Outcome = Task | OfferAnswer | DomainError


@dataclass(frozen=True)
class ActionStamp:
    """What the app says about one action: its id (``None``: not replay-safe) and when it
    happened on the device (``None``: now)."""

    action_id: uuid.UUID | None = None
    occurred: datetime | None = None


def parse_action_id(text: str) -> uuid.UUID | None:
    """The request's ``action_id``: empty is none; anything but a UUID is INVALID_ARGUMENT."""
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidArgument.field("action_id", "must be a UUID") from None


def device_time(stamp: ActionStamp, now: datetime, created: datetime | None) -> datetime:
    """When the action happened: the device's time, checked, or ``now`` when it gave none.

    A time more than ``MAX_DEVICE_SKEW`` ahead of ``now``, or more than that before the task
    was created (a device's clock may run that much behind), is INVALID_ARGUMENT."""
    occurred = stamp.occurred
    if occurred is None:
        return now
    if occurred > now + MAX_DEVICE_SKEW:
        raise InvalidArgument.field(
            "occurred_time", f"is more than {MAX_DEVICE_SKEW} ahead of the server's clock"
        )
    if created is not None and occurred < created - MAX_DEVICE_SKEW:
        raise InvalidArgument.field("occurred_time", "is before the task was created")
    return occurred
