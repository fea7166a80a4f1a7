"""Carrier errors: why a carrier call or callback did not succeed, as domain errors so the one
error table (``api/errors.py``) answers them like any other."""

from __future__ import annotations

from logistics.domain.errors import FailedPrecondition, Unauthenticated, Unavailable

__all__ = ["CallbackRefused", "CarrierDeclined", "CarrierError", "CarrierUnavailable"]


class CarrierError(Exception):
    """Marks every error a carrier adapter raises on purpose."""


class CarrierUnavailable(Unavailable, CarrierError):
    """The carrier did not answer usefully (timeout, refused connection, 5xx, 429 after the
    retries) or its account's circuit is open; the call changed nothing that we know of and
    may be retried later. ``reason`` is ``CARRIER_UNAVAILABLE`` or ``CARRIER_CIRCUIT_OPEN``."""

    reason = "CARRIER_UNAVAILABLE"


class CarrierDeclined(FailedPrecondition, CarrierError):
    """The carrier answered and refused: no courier, outside its area, a quote expired, a
    delivery it will not cancel. ``reason`` says which (``CARRIER_DECLINED``,
    ``QUOTE_EXPIRED``, ``CARRIER_REFUSED``)."""

    reason = "CARRIER_DECLINED"


class CallbackRefused(Unauthenticated, CarrierError):
    """A callback that does not prove it is the carrier's: no or a bad signature, a timestamp
    outside the tolerance (a replay), or a body that is not the carrier's format."""

    reason = "CALLBACK_REFUSED"
