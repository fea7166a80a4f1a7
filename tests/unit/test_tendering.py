"""The order a tender books carriers' quotes in, by strategy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from logistics.carriers.interface import CarrierConnector, Money, Place, Quote, QuoteRequest
from logistics.domain.carrier_records import Adapter, CarrierAccount, Credentials, Mode
from logistics.services.carriers.tendering import Bidder, Offer, Strategy, rank

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
REQUEST = QuoteRequest("t", Place(0, 0), Place(0, 0.01))


def offer(name: str, price: int, drop_off_min: int, priority: int = 0) -> Offer:
    account = CarrierAccount(
        uuid.uuid4(),
        name,
        Adapter.ON_DEMAND,
        "https://x",
        Mode.TEST,
        Credentials("k", "s"),
        priority=priority,
    )
    carrier = cast(CarrierConnector, cast(Any, None))
    quote = Quote(
        f"q-{name}",
        Money(price, "KES"),
        T0 + timedelta(minutes=5),
        drop_off_eta=T0 + timedelta(minutes=drop_off_min),
    )
    return Offer(Bidder(name, account, carrier, REQUEST), quote)


OFFERS = [
    offer("a", 300, 20, priority=0),
    offer("b", 200, 40, priority=1),
    offer("c", 200, 30, priority=5),
    offer("d", 500, 10, priority=2),
]


@pytest.mark.parametrize(
    ("strategy", "order"),
    [
        (Strategy.CHEAPEST, ["c", "b", "a", "d"]),  # price, then the earlier arrival
        (Strategy.FASTEST, ["d", "a", "c", "b"]),
        (Strategy.PREFERRED, ["c", "d", "b", "a"]),
    ],
)
def test_offers_are_booked_in_the_strategys_order(strategy: Strategy, order: list[str]) -> None:
    assert [o.bidder.name for o in rank(OFFERS, strategy)] == order
    assert [o.bidder.name for o in rank(list(reversed(OFFERS)), strategy)] == order
