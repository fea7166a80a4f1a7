"""A rider's inbox and the answers to offers, on core NATS (not JetStream: both matter only
while someone listens). The inbox (``lginbox.<tenant>.<rider>``) reaches the rider's open
stream on whatever replica holds it; an answer (``lgoffer.<tenant>.<offer>``) reaches the
dispatcher waiting for it on any replica. Inbox messages are the typed values of
``domain.offers``; this module is the only place that knows their JSON form."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from logistics.domain.offers import (
    InboxMessage,
    Offer,
    OfferToRider,
    OfferWithdrawal,
    TaskChangeToRider,
)
from logistics.domain.telemetry import epoch_ms

logger = logging.getLogger(__name__)

Unsubscribe = Callable[[], Awaitable[None]]


def inbox_subject(tenant: str, rider_id: str) -> str:
    return f"lginbox.{tenant}.{rider_id}"


def answer_subject(tenant: str, offer_id: str) -> str:
    return f"lgoffer.{tenant}.{offer_id}"


def encode(message: InboxMessage) -> bytes:
    body: dict[str, Any]
    if isinstance(message, OfferToRider):
        offer = message.offer
        body = {
            "kind": "offer",
            "offer_id": offer.id,
            "task": offer.task_id,
            "rider": offer.rider_id,
            "expire_ms": epoch_ms(offer.expire_time),
            "pickup": list(offer.pickup),
            "distance_m": offer.distance_m,
        }
    elif isinstance(message, TaskChangeToRider):
        body = {
            "kind": "task_change",
            "task": message.task,
            "changed": list(message.changed),
            "etag": message.etag,
            "state": message.state,
            "unassigned": message.unassigned,
        }
    else:
        body = {"kind": "withdrawal", "offer_id": message.offer_id, "reason": message.reason}
    return json.dumps(body).encode()


def decode(data: bytes, rider_id: str) -> InboxMessage | None:
    """The message, or None for a kind this version does not know (sent by a newer one)."""
    body = json.loads(data)
    kind = body.get("kind")
    if kind == "offer":
        lat, lng = body["pickup"]
        return OfferToRider(
            Offer(
                id=body["offer_id"],
                task_id=body["task"],
                rider_id=body.get("rider", rider_id),
                expire_time=datetime.fromtimestamp(int(body["expire_ms"]) / 1000, UTC),
                pickup=(float(lat), float(lng)),
                distance_m=float(body["distance_m"]),
            )
        )
    if kind == "task_change":
        return TaskChangeToRider(
            str(body["task"]),
            tuple(str(c) for c in body["changed"]),
            str(body["etag"]),
            str(body.get("state", "")),
            bool(body.get("unassigned", False)),
        )
    if kind == "withdrawal":
        return OfferWithdrawal(body["offer_id"], body.get("reason", ""))
    return None


class NatsRiderInbox:
    """Implements ``services.dispatch.offers.RiderInbox``."""

    def __init__(self, nats: NatsClient) -> None:
        self._nats = nats

    async def send(self, tenant: str, rider_id: str, message: InboxMessage) -> None:
        await self._nats.publish(inbox_subject(tenant, rider_id), encode(message))

    async def subscribe(
        self, tenant: str, rider_id: str, deliver: Callable[[InboxMessage], Awaitable[None]]
    ) -> Unsubscribe:
        async def on_message(msg: Msg) -> None:
            try:
                message = decode(msg.data, rider_id)
            except (ValueError, KeyError, TypeError):
                logger.warning("a malformed message in the inbox of rider %s", rider_id)
                return
            if message is not None:
                await deliver(message)

        subscription = await self._nats.subscribe(inbox_subject(tenant, rider_id), cb=on_message)

        async def stop() -> None:
            await subscription.unsubscribe()

        return stop


class NatsOfferAnswers:
    """Implements ``services.dispatch.offers.OfferAnswers``."""

    def __init__(self, nats: NatsClient) -> None:
        self._nats = nats

    async def publish(self, tenant: str, offer_id: str, state: str) -> None:
        await self._nats.publish(answer_subject(tenant, offer_id), state.encode())

    async def listen(
        self, tenant: str, offer_ids: list[str]
    ) -> tuple[asyncio.Queue[tuple[str, str]], Unsubscribe]:
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
