"""Tendering: quotes asked of several carrier accounts at once under a deadline, and the
offers ranked by the tenant's choice (cheapest, fastest, preferred). No storage: the job use
case books the offers in this order, the next on a refusal or failure."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from logistics.carriers.errors import CarrierError
from logistics.carriers.interface import CarrierConnector, Quote, QuoteRequest
from logistics.domain.carrier_records import CarrierAccount

__all__ = ["Bidder", "Offer", "Strategy", "ask_quotes", "rank"]


class Strategy(enum.StrEnum):
    CHEAPEST = "cheapest"  # lowest price, then earliest pickup, then priority
    FASTEST = "fastest"  # earliest drop-off (else pickup), then price
    PREFERRED = "preferred"  # highest account priority, then price


@dataclass(frozen=True)
class Bidder:
    """An account asked for a quote: its name, record, connector and request."""

    name: str
    account: CarrierAccount
    carrier: CarrierConnector
    request: QuoteRequest


@dataclass(frozen=True)
class Offer:
    bidder: Bidder
    quote: Quote


async def ask_quotes(
    bidders: Sequence[Bidder], deadline_s: float
) -> tuple[list[Offer], list[tuple[Bidder, str]]]:
    """Every bidder asked at once; the quotes back within ``deadline_s``, and why each other
    bidder gave none (its error, or the deadline)."""
    asks = {asyncio.create_task(b.carrier.quote(b.request)): b for b in bidders}
    done, late = await asyncio.wait(asks, timeout=deadline_s) if asks else (set(), set())
    for task in late:
        task.cancel()
    offers: list[Offer] = []
    failures: list[tuple[Bidder, str]] = [(asks[t], "no quote within the deadline") for t in late]
    for task in done:
        error = task.exception()
        if error is None:
            offers.append(Offer(asks[task], task.result()))
        elif isinstance(error, CarrierError):
            failures.append((asks[task], str(error)))
        else:
            raise error
    return offers, failures


def rank(offers: Sequence[Offer], strategy: Strategy) -> list[Offer]:
    """The offers in the order to book them; ties by account name, so the order is stable."""

    def when(offer: Offer) -> datetime:
        return offer.quote.drop_off_eta or offer.quote.pickup_eta or offer.quote.expire_time

    def key(offer: Offer) -> tuple[object, ...]:
        price, priority = offer.quote.price.amount, -offer.bidder.account.priority
        if strategy is Strategy.FASTEST:
            return (when(offer), price, priority, offer.bidder.name)
        if strategy is Strategy.PREFERRED:
            return (priority, price, offer.bidder.name)
        return (price, when(offer), priority, offer.bidder.name)

    return sorted(offers, key=key)
