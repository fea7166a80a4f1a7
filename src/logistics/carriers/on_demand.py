"""The on-demand courier adapter: a ``CarrierConnector`` for APIs shaped like the public
on-demand courier APIs (the sandbox carrier speaks it): ``POST /v1/quotes``,
``POST /v1/deliveries`` with an ``Idempotency-Key``, ``GET /v1/deliveries/{id}``,
``POST /v1/deliveries/{id}/cancel``, and status callbacks signed as Standard Webhooks.

HTTP over httpx with a timeout on every call; retries and the account's breaker come from
``Resilience``. Answers map onto our errors: no answer, 5xx and 429 are ``CarrierUnavailable``
(retried), any other 4xx is ``CarrierDeclined`` with the carrier's code as reason."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from logistics.carriers.errors import CallbackRefused, CarrierDeclined, CarrierUnavailable
from logistics.carriers.interface import (
    Booking,
    Cancellation,
    Courier,
    Money,
    Quote,
    QuoteRequest,
    StatusReport,
)
from logistics.carriers.resilience import Resilience
from logistics.domain.carriers import CarrierStatus
from logistics.events.signing import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = ["STATUSES", "OnDemandConnector"]

# The API's status words onto ours; every one is tested (tests/unit/test_on_demand_statuses.py).
STATUSES: Mapping[str, CarrierStatus] = {
    "pending": CarrierStatus.PENDING,
    "courier_assigned": CarrierStatus.COURIER_ASSIGNED,
    "pickup_enroute": CarrierStatus.EN_ROUTE_TO_PICKUP,
    "at_pickup": CarrierStatus.AT_PICKUP,
    "picked_up": CarrierStatus.PICKED_UP,
    "dropoff_enroute": CarrierStatus.EN_ROUTE_TO_DROP_OFF,
    "at_dropoff": CarrierStatus.AT_DROP_OFF,
    "delivered": CarrierStatus.DELIVERED,
    "failed": CarrierStatus.FAILED,
    "canceled": CarrierStatus.CANCELLED,
}
_REASONS = {"quote_expired": "QUOTE_EXPIRED", "no_couriers": "CARRIER_DECLINED"}
CALLBACK_TOLERANCE_S = 300


class OnDemandConnector:
    """One account of an on-demand courier API at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        signing_secret: str,
        resilience: Resilience,
        *,
        circuit: str,
        callback_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``circuit``: the account's breaker (its resource name); ``callback_url``: where the
        carrier sends this account's status callbacks."""
        self._secret = signing_secret
        self._resilience = resilience
        self._circuit = circuit
        self._callback_url = callback_url
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"authorization": f"Bearer {api_key}"},
            timeout=resilience.settings.timeout_s,
            transport=transport,
            trust_env=False,
        )

    async def quote(self, request: QuoteRequest) -> Quote:
        body = {
            "reference": request.reference,
            "pickup": _place(request.pickup),
            "dropoff": _place(request.drop_off),
            "weight_kg": request.weight_kg,
            "vehicle_type": request.vehicle_type,
        }
        answer = await self._call("POST", "/v1/quotes", body)
        try:
            return Quote(
                id=str(answer["id"]),
                price=_money(answer["fee"]),
                expire_time=datetime.fromisoformat(answer["expires_at"]),
                pickup_eta=_time(answer.get("pickup_eta")),
                drop_off_eta=_time(answer.get("dropoff_eta")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _nonsense("quote", exc) from None

    async def book(self, quote: Quote, request: QuoteRequest, idempotency_key: str) -> Booking:
        body = {"quote_id": quote.id, "reference": request.reference}
        if self._callback_url:
            body["callback_url"] = self._callback_url
        answer = await self._call(
            "POST", "/v1/deliveries", body, headers={"idempotency-key": idempotency_key}
        )
        try:
            return Booking(
                carrier_ref=str(answer["id"]),
                status=STATUSES[answer["status"]],
                price=_money(answer["fee"]),
                tracking_url=answer.get("tracking_url"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _nonsense("delivery", exc) from None

    async def cancel(self, carrier_ref: str, reason: str) -> Cancellation:
        answer = await self._call(
            "POST", f"/v1/deliveries/{carrier_ref}/cancel", {"reason": reason}
        )
        try:
            return Cancellation(str(answer["id"]), _money(answer["cancellation_fee"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise _nonsense("cancellation", exc) from None

    async def status(self, carrier_ref: str) -> StatusReport:
        answer = await self._call("GET", f"/v1/deliveries/{carrier_ref}", None)
        try:
            return _report(answer, datetime.fromisoformat(answer["updated_at"]), "")
        except (KeyError, TypeError, ValueError) as exc:
            raise _nonsense("delivery", exc) from None

    def parse_callback(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> StatusReport:
        msg_id = headers.get(ID_HEADER, "")
        stamp = headers.get(TIMESTAMP_HEADER, "")
        given = headers.get(SIGNATURE_HEADER, "").split()
        if not msg_id or not stamp.isdigit() or not given:
            raise CallbackRefused("the callback is not signed")
        if abs(now.timestamp() - int(stamp)) > CALLBACK_TOLERANCE_S:
            raise CallbackRefused("the callback's timestamp is outside the tolerance (a replay?)")
        try:
            expected = sign([self._secret], msg_id, int(stamp), body)[SIGNATURE_HEADER]
        except ValueError:
            raise CallbackRefused("the callback's body is not UTF-8 text") from None
        if not any(hmac.compare_digest(expected.encode(), g.encode()) for g in given):
            raise CallbackRefused("the callback's signature does not match")
        try:
            event = json.loads(body)
            if event["id"] != msg_id:
                raise CallbackRefused("the callback's id differs from its signed id")
            return _report(event["delivery"], datetime.fromisoformat(event["occurred_at"]), msg_id)
        except (KeyError, TypeError, ValueError) as exc:
            raise CallbackRefused(f"the callback is not a delivery status ({exc})") from None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        async def attempt() -> dict[str, Any]:
            try:
                answer = await self._client.request(method, path, json=body, headers=headers)
            except httpx.TransportError as exc:
                raise CarrierUnavailable(
                    f"the carrier did not answer: {type(exc).__name__}"
                ) from exc
            if answer.status_code >= 500 or answer.status_code == 429:
                raise CarrierUnavailable(f"the carrier answered {answer.status_code}")
            try:
                found = answer.json()
            except ValueError:
                found = None
            if not isinstance(found, dict):
                raise CarrierUnavailable(f"the carrier answered {answer.status_code} without JSON")
            if answer.status_code >= 400:
                code = str(found.get("code", ""))
                said = str(found.get("message", ""))[:200]
                raise CarrierDeclined(
                    f"the carrier refused ({answer.status_code} {code[:64]}): {said}",
                    reason=_REASONS.get(code, "CARRIER_REFUSED"),
                    details={"carrier_code": code[:64]},
                )
            return found

        return await self._resilience.call(self._circuit, attempt)


def _place(place: Any) -> dict[str, Any]:
    return {
        "lat": place.latitude,
        "lng": place.longitude,
        "address": place.address,
        "contact_name": place.contact_name,
        "contact_phone": place.contact_phone,
    }


def _money(value: Any) -> Money:
    return Money(int(value["amount"]), str(value["currency"]))


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _report(delivery: Any, occurred: datetime, event_id: str) -> StatusReport:
    word = str(delivery["status"])
    if word not in STATUSES:
        raise ValueError(f"unknown status {word[:40]!r}")
    courier = delivery.get("courier")
    location = (courier or {}).get("location") or {}
    fee = delivery.get("cancellation_fee")
    return StatusReport(
        carrier_ref=str(delivery["id"]),
        status=STATUSES[word],
        carrier_status=word,
        occurred=occurred,
        event_id=event_id,
        courier=Courier(
            name=courier.get("name"),
            phone=courier.get("phone"),
            vehicle_type=courier.get("vehicle_type"),
            latitude=location.get("lat"),
            longitude=location.get("lng"),
        )
        if courier
        else None,
        reason=delivery.get("reason"),
        final_price=_money(delivery["fee"]) if word == "delivered" else None,
        fee=_money(fee) if fee and fee.get("amount") else None,
    )


def _nonsense(what: str, exc: Exception) -> CarrierUnavailable:
    return CarrierUnavailable(f"the carrier's {what} could not be read ({type(exc).__name__})")
