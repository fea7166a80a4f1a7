"""Offers of a task to riders: claimed atomically in Redis (a rider holds at most one open
offer), sent to the rider's stream through NATS (whatever replica holds the stream), answered
from the stream or RespondToOffer, each answer broadcast so the dispatcher waiting for it (on
any replica) hears it at once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from logistics.domain.ids import TenantSlug
from logistics.domain.telemetry import epoch_ms
from logistics.geo import scripts
from logistics.geo.live_index import LiveIndex


def inbox_subject(tenant: str, rider_id: str) -> str:
    """Core NATS (not JetStream): messages for a rider's open stream."""
    return f"lginbox.{tenant}.{rider_id}"


def answer_subject(tenant: str, offer_id: str) -> str:
    return f"lgoffer.{tenant}.{offer_id}"


@dataclass(frozen=True)
class Offer:
    id: str
    task_id: str
    rider_id: str
    expire_time: datetime
    pickup: tuple[float, float]
    distance_m: float


class Offers:
    def __init__(self, index: LiveIndex, nats: NatsClient) -> None:
        self._index = index
        self._nats = nats
        self._claim = index.redis.register_script(scripts.OFFER_CLAIM)
        self._resolve = index.redis.register_script(scripts.OFFER_RESOLVE)

    def _keys(self, tenant: str, rider_id: str, offer_id: str) -> list[str]:
        p = self._index.prefix(tenant)
        return [f"{p}r:{rider_id}", f"{p}o:{offer_id}"]

    async def claim(
        self,
        tenant: TenantSlug,
        rider_id: str,
        task_id: str,
        now: datetime,
        ttl: timedelta,
        pickup: tuple[float, float],
        distance_m: float,
    ) -> Offer | None:
        offer_id = uuid.uuid4().hex
        expire = now + ttl
        ok = await self._claim(
            keys=self._keys(tenant, rider_id, offer_id),
            args=[offer_id, task_id, epoch_ms(now), epoch_ms(expire)],
        )
        if not int(ok):
            return None
        await self._index.redis.hset(
            f"{self._index.prefix(tenant)}o:{offer_id}", mapping={"rider": rider_id}
        )
        return Offer(offer_id, task_id, rider_id, expire, pickup, distance_m)

    async def send(self, tenant: TenantSlug, offer: Offer) -> None:
        body = {
            "kind": "offer",
            "offer_id": offer.id,
            "task": offer.task_id,
            "expire_ms": epoch_ms(offer.expire_time),
            "pickup": list(offer.pickup),
            "distance_m": offer.distance_m,
        }
        await self._nats.publish(inbox_subject(tenant, offer.rider_id), json.dumps(body).encode())

    async def resolve(
        self, tenant: TenantSlug, offer_id: str, rider_id: str, state: str, now: datetime
    ) -> str:
        result = await self._resolve(
            keys=self._keys(tenant, rider_id, offer_id), args=[offer_id, state, epoch_ms(now)]
        )
        final = result.decode() if isinstance(result, bytes) else str(result)
        if final == state:
            await self._nats.publish(answer_subject(tenant, offer_id), final.encode())
            if state in ("withdrawn", "expired"):
                body = {"kind": "withdrawal", "offer_id": offer_id, "reason": state}
                await self._nats.publish(inbox_subject(tenant, rider_id), json.dumps(body).encode())
        return final

    async def offer_rider(self, tenant: TenantSlug, offer_id: str) -> str | None:
        value = await self._index.redis.hget(f"{self._index.prefix(tenant)}o:{offer_id}", "rider")
        return value.decode() if isinstance(value, bytes) else value

    async def listen(
        self, tenant: TenantSlug, offer_ids: list[str]
    ) -> tuple[asyncio.Queue[tuple[str, str]], Callable[[], Awaitable[None]]]:
        """Answers to these offers as (offer id, state), and a function that stops listening.
        Subscribe before sending, so no answer is missed."""
        answers: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        subscriptions = []
        for offer_id in offer_ids:

            async def on_answer(msg: Msg, offer_id: str = offer_id) -> None:
                await answers.put((offer_id, msg.data.decode()))

            subscriptions.append(
                await self._nats.subscribe(answer_subject(tenant, offer_id), cb=on_answer)
            )

        async def stop() -> None:
            for subscription in subscriptions:
                await subscription.unsubscribe()

        return answers, stop

    async def subscribe_inbox(
        self,
        tenant: TenantSlug,
        rider_id: str,
        deliver: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> Callable[[], Awaitable[None]]:
        async def on_message(msg: Msg) -> None:
            await deliver(json.loads(msg.data))

        subscription = await self._nats.subscribe(inbox_subject(tenant, rider_id), cb=on_message)

        async def stop() -> None:
            await subscription.unsubscribe()

        return stop
