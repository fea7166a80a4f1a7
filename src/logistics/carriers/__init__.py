"""Carrier adapters: third-party couriers and parcel carriers behind one connector interface
(``CarrierConnector``), and the sandbox carrier, a courier API of our own for tests and trials.

Outer adapters, like ``blobs/``: use cases take ``CarrierConnector`` and its values from
``carriers.interface`` and see failures as the domain errors of ``carriers.errors``.
"""

from __future__ import annotations

from logistics.carriers.errors import (
    CallbackRefused,
    CarrierDeclined,
    CarrierError,
    CarrierUnavailable,
)
from logistics.carriers.interface import (
    Booking,
    Cancellation,
    CarrierConnector,
    Courier,
    Money,
    Place,
    Quote,
    QuoteRequest,
    StatusReport,
)

__all__ = [
    "Booking",
    "CallbackRefused",
    "Cancellation",
    "CarrierConnector",
    "CarrierDeclined",
    "CarrierError",
    "CarrierUnavailable",
    "Courier",
    "Money",
    "Place",
    "Quote",
    "QuoteRequest",
    "StatusReport",
]
