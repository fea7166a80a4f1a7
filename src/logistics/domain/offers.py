"""Offers of a task to riders, and the messages a rider's stream gets about them and about
the tasks it carries, as plain values. How they are claimed (``geo.offers``) and carried
(``events.rider_inbox``) is the adapters' business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Offer:
    id: str
    task_id: str
    rider_id: str
    expire_time: datetime
    pickup: tuple[float, float]
    distance_m: float


@dataclass(frozen=True)
class OfferToRider:
    """The offer, sent to the rider's open stream (on whatever replica holds it)."""

    offer: Offer


@dataclass(frozen=True)
class OfferWithdrawal:
    """An open offer that no longer stands: ``reason`` is its final state (withdrawn, expired)."""

    offer_id: str
    reason: str


@dataclass(frozen=True)
class TaskChangeToRider:
    """A task the rider carries changed by someone else's hand: ``task`` is its name,
    ``changed`` the fields that changed (``steps[1].location``; ``rider`` when it was assigned
    to or taken from this rider; ``state``), ``etag`` the task's etag after the change,
    ``state`` its state then (a ``TaskState`` value; empty when not sent), ``unassigned`` true
    when the change took the task from this rider (reassigned, cancelled, handed back)."""

    task: str
    changed: tuple[str, ...]
    etag: str
    state: str = ""
    unassigned: bool = False


InboxMessage = OfferToRider | OfferWithdrawal | TaskChangeToRider
