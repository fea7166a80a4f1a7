"""Offers of a task to riders: claimed atomically in the live index (a rider holds at most one
open offer), sent to the rider's stream through its inbox (whatever replica holds the stream),
answered from the stream or RespondToOffer, each answer broadcast so the dispatcher waiting for
it (on any replica) hears it at once. Redis and NATS stay behind the Protocols below
(``geo.offers``, ``events.rider_inbox``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from logistics.domain.ids import TenantSlug
from logistics.domain.offers import InboxMessage, Offer, OfferToRider, OfferWithdrawal

Unsubscribe = Callable[[], Awaitable[None]]


class OfferLedger(Protocol):
    """Where offers in flight are claimed and resolved, atomically per rider."""

    async def claim(
        self,
        tenant: str,
        rider_id: str,
        offer_id: str,
        task_id: str,
        now: datetime,
        expire: datetime,
    ) -> bool: ...

    async def resolve(
        self, tenant: str, offer_id: str, rider_id: str, state: str, now: datetime
    ) -> str: ...

    async def offer_of(self, tenant: str, offer_id: str) -> tuple[str, str] | None:
        """(rider id, task name) of a remembered offer."""
        ...


class RiderInbox(Protocol):
    """Messages to a rider's open stream, wherever it is held."""

    async def send(self, tenant: str, rider_id: str, message: InboxMessage) -> None: ...

    async def subscribe(
        self, tenant: str, rider_id: str, deliver: Callable[[InboxMessage], Awaitable[None]]
    ) -> Unsubscribe: ...


class OfferAnswers(Protocol):
    """Each offer's final state, to whoever waits for it."""

    async def publish(self, tenant: str, offer_id: str, state: str) -> None: ...

    async def listen(
        self, tenant: str, offer_ids: list[str]
    ) -> tuple[asyncio.Queue[tuple[str, str]], Unsubscribe]: ...


class Offers:
    def __init__(self, ledger: OfferLedger, inbox: RiderInbox, answers: OfferAnswers) -> None:
        self._ledger = ledger
        self._inbox = inbox
        self._answers = answers

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
        if not await self._ledger.claim(tenant, rider_id, offer_id, task_id, now, expire):
            return None
        return Offer(offer_id, task_id, rider_id, expire, pickup, distance_m)

    async def send(self, tenant: TenantSlug, offer: Offer) -> None:
        await self._inbox.send(tenant, offer.rider_id, OfferToRider(offer))

    async def resolve(
        self, tenant: TenantSlug, offer_id: str, rider_id: str, state: str, now: datetime
    ) -> str:
        final = await self._ledger.resolve(tenant, offer_id, rider_id, state, now)
        if final == state:
            await self._answers.publish(tenant, offer_id, final)
            if state in ("withdrawn", "expired"):
                await self._inbox.send(tenant, rider_id, OfferWithdrawal(offer_id, state))
        return final

    async def offer_of(self, tenant: TenantSlug, offer_id: str) -> tuple[str, str] | None:
        """The rider an offer was made to and the task's name, while it is remembered."""
        return await self._ledger.offer_of(tenant, offer_id)

    async def listen(
        self, tenant: TenantSlug, offer_ids: list[str]
    ) -> tuple[asyncio.Queue[tuple[str, str]], Unsubscribe]:
        """Answers to these offers as (offer id, state), and a function that stops listening.
        Subscribe before sending, so no answer is missed."""
        return await self._answers.listen(tenant, offer_ids)

    async def subscribe_inbox(
        self,
        tenant: TenantSlug,
        rider_id: str,
        deliver: Callable[[InboxMessage], Awaitable[None]],
    ) -> Unsubscribe:
        return await self._inbox.subscribe(tenant, rider_id, deliver)
