"""The sandbox carrier's book of quotes and deliveries: prices, expiries, idempotent creates,
couriers that move from status to status, and cancellation fees. No I/O: the HTTP app calls
it, and it returns the status changes to send as callbacks."""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["FLOW", "Change", "Delivery", "Refusal", "SandboxBook", "SandboxConfig"]

# The sandbox's own status words, in the order a delivery goes through them.
FLOW = (
    "pending",
    "courier_assigned",
    "pickup_enroute",
    "at_pickup",
    "picked_up",
    "dropoff_enroute",
    "at_dropoff",
    "delivered",
)
ENDED = frozenset({"delivered", "canceled", "failed"})
_NAMES = ("Achieng", "Kamau", "Wanjiru", "Otieno", "Njeri", "Mutua", "Chebet", "Kiprop")


class Refusal(Exception):
    """An answer other than success: HTTP ``status`` and a ``code`` clients branch on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves; the rates are probabilities from 0 to 1."""

    api_key: str = "sandbox-key"
    signing_secret: str = ""
    latency_s: float = 0.0
    failure_rate: float = 0.0  # answered 503 before anything is done
    decline_rate: float = 0.0  # quotes refused: no courier near
    step_seconds: float = 0.0  # couriers move every step; 0: only when told (POST .../advance)
    quote_ttl_s: float = 300.0
    currency: str = "KES"
    base_fee: int = 15_000  # minor units
    fee_per_km: int = 4_000
    cancel_fee_percent: int = 50  # of the fee, once a courier is assigned
    callback_url: str | None = None  # where callbacks go when a delivery names none
    seed: int | None = None


@dataclass
class Delivery:
    id: str
    quote_id: str
    reference: str
    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    fee: int
    currency: str
    callback_url: str | None
    status: str = "pending"
    seq: int = 0
    courier: dict[str, Any] | None = None
    cancellation_fee: int = 0
    reason: str | None = None
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "quote_id": self.quote_id,
            "reference": self.reference,
            "status": self.status,
            "fee": {"amount": self.fee, "currency": self.currency},
            "cancellation_fee": {"amount": self.cancellation_fee, "currency": self.currency},
            "courier": self.courier,
            "reason": self.reason,
            "tracking_url": f"https://sandbox.invalid/track/{self.id}",
            "updated_at": self.updated.isoformat(),
        }


@dataclass(frozen=True)
class Change:
    """A delivery's new status, to be told to its callback URL."""

    callback_url: str | None
    payload: dict[str, Any]


class SandboxBook:
    """Quotes and deliveries in memory (the sandbox is for trials: a restart forgets them)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._quotes: dict[str, dict[str, Any]] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._keys: dict[str, tuple[str, str]] = {}  # idempotency key -> (body hash, id)
        self.calls = 0  # API calls answered, the failed on purpose included
        self.failed = 0  # of which answered 503 on purpose

    def deliveries(self) -> list[Delivery]:
        return list(self._deliveries.values())

    def chance(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def quote(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        pickup, dropoff = _point(body, "pickup"), _point(body, "dropoff")
        if self.chance(self.config.decline_rate):
            raise Refusal(422, "no_couriers", "no courier is available near the pickup")
        km = _km(pickup, dropoff)
        quote: dict[str, Any] = {
            "id": f"qt_{secrets.token_hex(8)}",
            "fee": {
                "amount": self.config.base_fee + math.ceil(km * self.config.fee_per_km),
                "currency": self.config.currency,
            },
            "expires_at": (now + timedelta(seconds=self.config.quote_ttl_s)).isoformat(),
            "pickup_eta": (now + timedelta(minutes=8)).isoformat(),
            "dropoff_eta": (now + timedelta(minutes=8 + km * 3)).isoformat(),
            "pickup": list(pickup),
            "dropoff": list(dropoff),
        }
        self._quotes[quote["id"]] = quote
        return quote

    def create(
        self, body: dict[str, Any], key: str, now: datetime
    ) -> tuple[bool, Delivery, list[Change]]:
        """(created, delivery, changes): a repeated key with the same body returns the first
        delivery; with another body it is refused."""
        if not key:
            raise Refusal(400, "idempotency_key_required", "send an Idempotency-Key header")
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if key in self._keys:
            first_digest, delivery_id = self._keys[key]
            if first_digest != digest:
                raise Refusal(409, "idempotency_key_reused", "the key was used for another body")
            return False, self._deliveries[delivery_id], []
        quote = self._quotes.get(str(body.get("quote_id", "")))
        if quote is None:
            raise Refusal(404, "quote_not_found", "no such quote")
        if datetime.fromisoformat(quote["expires_at"]) <= now:
            raise Refusal(422, "quote_expired", "the quote has expired")
        delivery = Delivery(
            id=f"del_{secrets.token_hex(8)}",
            quote_id=quote["id"],
            reference=str(body.get("reference", "")),
            pickup=(quote["pickup"][0], quote["pickup"][1]),
            dropoff=(quote["dropoff"][0], quote["dropoff"][1]),
            fee=quote["fee"]["amount"],
            currency=quote["fee"]["currency"],
            callback_url=body.get("callback_url") or self.config.callback_url,
            updated=now,
        )
        self._deliveries[delivery.id] = delivery
        self._keys[key] = (digest, delivery.id)
        return True, delivery, [self._change(delivery, now)]

    def get(self, delivery_id: str) -> Delivery:
        found = self._deliveries.get(delivery_id)
        if found is None:
            raise Refusal(404, "delivery_not_found", "no such delivery")
        return found

    def active(self) -> list[Delivery]:
        return [d for d in self._deliveries.values() if d.status not in ENDED]

    def advance(
        self, delivery_id: str, now: datetime, to: str | None = None, reason: str | None = None
    ) -> list[Change]:
        """Moves the delivery one status on, or through every status up to ``to`` (``failed``
        and ``canceled`` end it at once), one change per status."""
        delivery = self.get(delivery_id)
        if delivery.status in ENDED:
            raise Refusal(409, "delivery_ended", f"the delivery is {delivery.status}")
        if to in ("failed", "canceled"):
            delivery.reason = reason or ("courier could not deliver" if to == "failed" else None)
            return [self._move(delivery, to, now)]
        if to is not None and (to not in FLOW or FLOW.index(to) <= FLOW.index(delivery.status)):
            raise Refusal(400, "bad_status", f"cannot advance to {to!r}")
        target = FLOW.index(to) if to else FLOW.index(delivery.status) + 1
        return [
            self._move(delivery, FLOW[i], now)
            for i in range(FLOW.index(delivery.status) + 1, target + 1)
        ]

    def cancel(self, delivery_id: str, now: datetime) -> tuple[Delivery, list[Change]]:
        delivery = self.get(delivery_id)
        if delivery.status in ENDED:
            raise Refusal(409, "delivery_ended", f"the delivery is {delivery.status}")
        if FLOW.index(delivery.status) >= FLOW.index("picked_up"):
            raise Refusal(409, "already_picked_up", "a delivery picked up cannot be cancelled")
        if delivery.status != "pending":
            delivery.cancellation_fee = delivery.fee * self.config.cancel_fee_percent // 100
        delivery.reason = "cancelled by the customer"
        return delivery, [self._move(delivery, "canceled", now)]

    def _move(self, delivery: Delivery, status: str, now: datetime) -> Change:
        delivery.status = status
        delivery.updated = now
        if status == "courier_assigned":
            delivery.courier = {
                "name": self._rng.choice(_NAMES),
                "phone": f"+2547{self._rng.randrange(10_000_000, 99_999_999)}",
                "vehicle_type": "motorbike",
            }
        if delivery.courier is not None:
            lat, lng = _courier_at(delivery, status)
            delivery.courier = {**delivery.courier, "location": {"lat": lat, "lng": lng}}
        return self._change(delivery, now)

    def _change(self, delivery: Delivery, now: datetime) -> Change:
        delivery.seq += 1
        payload = {
            "id": f"evt_{secrets.token_hex(8)}",
            "type": "delivery.status_changed",
            "seq": delivery.seq,
            "occurred_at": now.isoformat(),
            "delivery": delivery.view(),
        }
        return Change(delivery.callback_url, payload)


def _point(body: dict[str, Any], key: str) -> tuple[float, float]:
    place = body.get(key)
    try:
        lat, lng = float(place["lat"]), float(place["lng"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        raise Refusal(400, "bad_request", f"{key}.lat and {key}.lng are required") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Refusal(400, "bad_request", f"{key} is not on Earth")
    return lat, lng


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _courier_at(delivery: Delivery, status: str) -> tuple[float, float]:
    (plat, plng), (dlat, dlng) = delivery.pickup, delivery.dropoff
    start = (plat + 0.008, plng - 0.008)  # about a kilometre from the pickup
    where = {
        "courier_assigned": start,
        "pickup_enroute": ((start[0] + plat) / 2, (start[1] + plng) / 2),
        "at_pickup": (plat, plng),
        "picked_up": (plat, plng),
        "dropoff_enroute": ((plat + dlat) / 2, (plng + dlng) / 2),
        "at_dropoff": (dlat, dlng),
        "delivered": (dlat, dlng),
    }
    return where.get(status, (plat, plng))
