"""What a carrier connector promises: the values it takes and returns, and the
``CarrierConnector`` protocol every adapter implements (one connector per carrier account).

A connector quotes a delivery, books a quote under an idempotency key (the same key books
once, however often it is retried), cancels, reads a job's status, and verifies and parses the
carrier's status callbacks. Statuses come back as ``CarrierStatus`` (``domain/carriers.py``),
the carrier's own word kept beside it. Failures are ``CarrierUnavailable`` (may be retried),
``CarrierDeclined`` (the carrier said no) and, for callbacks, ``CallbackRefused``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from logistics.domain.carriers import CarrierStatus

__all__ = [
    "Booking",
    "Cancellation",
    "CarrierConnector",
    "Courier",
    "Money",
    "Place",
    "Quote",
    "QuoteRequest",
    "StatusReport",
]


@dataclass(frozen=True)
class Money:
    """An amount in minor units of an ISO 4217 currency."""

    amount: int
    currency: str


@dataclass(frozen=True)
class Place:
    """Where a carrier picks up or drops off, and whom it asks for there."""

    latitude: float
    longitude: float
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True)
class QuoteRequest:
    """A delivery to price: ``reference`` is ours (the task's name), shown to the carrier."""

    reference: str
    pickup: Place
    drop_off: Place
    weight_kg: float = 0.0
    vehicle_type: str | None = None


@dataclass(frozen=True)
class Quote:
    """A carrier's price for a delivery, bookable until ``expire_time``."""

    id: str
    price: Money
    expire_time: datetime
    pickup_eta: datetime | None = None
    drop_off_eta: datetime | None = None


@dataclass(frozen=True)
class Booking:
    """A delivery the carrier accepted: its id there (``carrier_ref``), price and status."""

    carrier_ref: str
    status: CarrierStatus
    price: Money
    tracking_url: str | None = None


@dataclass(frozen=True)
class Courier:
    """Who carries the job for the carrier, and where it last was."""

    name: str | None = None
    phone: str | None = None
    vehicle_type: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class StatusReport:
    """One status of a job, from a callback or a status read.

    ``event_id`` is the carrier's id of the callback (a retry repeats it), ``carrier_status``
    its own word for the status, ``occurred`` when the carrier says it happened."""

    carrier_ref: str
    status: CarrierStatus
    carrier_status: str
    occurred: datetime
    event_id: str = ""
    courier: Courier | None = None
    reason: str | None = None
    final_price: Money | None = None
    fee: Money | None = None


@dataclass(frozen=True)
class Cancellation:
    """A cancelled delivery and what the carrier charges for it (zero before a courier)."""

    carrier_ref: str
    fee: Money


class CarrierConnector(Protocol):
    """One carrier account's API. Every call has a timeout and is retried with backoff where
    the carrier allows it; an account whose calls keep failing has its circuit opened."""

    async def quote(self, request: QuoteRequest) -> Quote:
        """The carrier's price; ``CarrierDeclined`` when it will not carry this delivery."""
        ...

    async def book(self, quote: Quote, request: QuoteRequest, idempotency_key: str) -> Booking:
        """Books ``quote``; a retry with the same ``idempotency_key`` returns the first
        booking and never books twice. ``CarrierDeclined`` (``QUOTE_EXPIRED``) for a quote
        past its expiry."""
        ...

    async def cancel(self, carrier_ref: str, reason: str) -> Cancellation:
        """Cancels the delivery; the fee the carrier charges."""
        ...

    async def status(self, carrier_ref: str) -> StatusReport:
        """The delivery's status now (polling, for a carrier without callbacks)."""
        ...

    def parse_callback(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> StatusReport:
        """The status a callback reports, once its signature and timestamp are verified;
        ``CallbackRefused`` otherwise. ``headers`` have lower-case names."""
        ...

    async def aclose(self) -> None:
        """Releases the connector's connections."""
        ...
