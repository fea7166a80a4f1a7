"""The on-demand adapter against the sandbox carrier, both over real HTTP on this machine:
quotes and idempotent bookings, retries with backoff, the account's breaker opening, timeouts,
refusals, cancellation fees, and signed callbacks verified (a forged or stale one refused)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from logistics.carriers import (
    CallbackRefused,
    CarrierDeclined,
    CarrierUnavailable,
    Place,
    QuoteRequest,
)
from logistics.carriers.on_demand import OnDemandConnector
from logistics.carriers.resilience import Resilience, ResilienceSettings
from logistics.carriers.sandbox import SandboxConfig, SandboxServer
from logistics.domain.carriers import CarrierStatus
from tests.support.waiting import eventually
from tests.support.webhooks import Receiver

REQUEST = QuoteRequest(
    reference="tenants/t/tasks/1",
    pickup=Place(-1.2990, 36.8150, "KFC Upper Hill"),
    drop_off=Place(-1.2921, 36.8219, "Upper Hill Rd", "Otieno", "+254700000001"),
)
FAST = ResilienceSettings(timeout_s=2.0, attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05)


@asynccontextmanager
async def sandbox_and_connector(
    settings: ResilienceSettings = FAST, callback_url: str | None = None, **config: object
) -> AsyncIterator[tuple[SandboxServer, OnDemandConnector]]:
    async with SandboxServer(SandboxConfig(seed=7, **config)) as sandbox:  # type: ignore[arg-type]
        connector = OnDemandConnector(
            sandbox.url,
            sandbox.config.api_key,
            sandbox.config.signing_secret,
            Resilience(settings),
            circuit="tenants/t/carrierAccounts/sandbox",
            callback_url=callback_url,
        )
        try:
            yield sandbox, connector
        finally:
            await connector.aclose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as running:
        yield running


async def test_a_quote_is_booked_once_however_often_the_booking_is_retried() -> None:
    async with sandbox_and_connector() as (sandbox, carrier):
        quote = await carrier.quote(REQUEST)
        assert quote.price.currency == "KES"
        assert quote.price.amount > sandbox.config.base_fee
        assert quote.expire_time > datetime.now(UTC)
        first = await carrier.book(quote, REQUEST, "job-1")
        again = await carrier.book(quote, REQUEST, "job-1")
        assert again.carrier_ref == first.carrier_ref
        assert first.status is CarrierStatus.PENDING
        assert first.price == quote.price
        assert len(sandbox.book.deliveries()) == 1
        other = await carrier.book(quote, REQUEST, "job-2")
        assert other.carrier_ref != first.carrier_ref


async def test_failures_are_retried_with_backoff_until_the_carrier_answers() -> None:
    retrying = dataclasses.replace(FAST, attempts=8, threshold=100)
    async with sandbox_and_connector(retrying, failure_rate=0.5) as (sandbox, carrier):
        for n in range(6):
            quote = await carrier.quote(REQUEST)
            await carrier.book(quote, REQUEST, f"job-{n}")
        assert sandbox.book.failed > 0
        assert sandbox.book.calls == 12 + sandbox.book.failed
        assert len(sandbox.book.deliveries()) == 6


async def test_an_account_that_keeps_failing_opens_its_breaker_and_is_not_called() -> None:
    breaking = dataclasses.replace(FAST, attempts=2, threshold=3, open_s=60)
    async with sandbox_and_connector(breaking, failure_rate=1.0) as (sandbox, carrier):
        with pytest.raises(CarrierUnavailable) as first:
            await carrier.quote(REQUEST)  # two attempts, two failures
        assert first.value.reason == "CARRIER_UNAVAILABLE"
        with pytest.raises(CarrierUnavailable) as second:
            await carrier.quote(REQUEST)  # the third failure opens the circuit: no retry
        assert second.value.reason == "CARRIER_CIRCUIT_OPEN"
        calls = sandbox.book.calls
        assert calls == 3
        with pytest.raises(CarrierUnavailable) as refused:
            await carrier.quote(REQUEST)
        assert refused.value.reason == "CARRIER_CIRCUIT_OPEN"
        assert sandbox.book.calls == calls


async def test_a_slow_carrier_times_out_as_unavailable() -> None:
    slow = dataclasses.replace(FAST, timeout_s=0.1, attempts=2)
    async with sandbox_and_connector(slow, latency_s=0.5) as (_, carrier):
        started = time.monotonic()
        with pytest.raises(CarrierUnavailable):
            await carrier.quote(REQUEST)
        assert time.monotonic() - started < 1.0


async def test_a_refusal_is_declined_and_not_counted_against_the_account() -> None:
    strict = dataclasses.replace(FAST, threshold=1)
    async with sandbox_and_connector(strict, decline_rate=1.0) as (sandbox, carrier):
        for _ in range(3):
            with pytest.raises(CarrierDeclined) as declined:
                await carrier.quote(REQUEST)
            assert declined.value.reason == "CARRIER_DECLINED"
        assert sandbox.book.calls == 3  # not retried, and the breaker stayed closed


async def test_an_expired_quote_is_refused_at_booking() -> None:
    async with sandbox_and_connector(quote_ttl_s=0.0) as (sandbox, carrier):
        quote = await carrier.quote(REQUEST)
        with pytest.raises(CarrierDeclined) as expired:
            await carrier.book(quote, REQUEST, "job-1")
        assert expired.value.reason == "QUOTE_EXPIRED"
        assert sandbox.book.deliveries() == []


async def test_cancelling_costs_nothing_before_a_courier_and_half_the_fee_after() -> None:
    async with sandbox_and_connector() as (sandbox, carrier):
        quote = await carrier.quote(REQUEST)
        early = await carrier.book(quote, REQUEST, "early")
        assert (await carrier.cancel(early.carrier_ref, "changed my mind")).fee.amount == 0
        late = await carrier.book(await carrier.quote(REQUEST), REQUEST, "late")
        sandbox.book.advance(late.carrier_ref, datetime.now(UTC), "courier_assigned")
        status = await carrier.status(late.carrier_ref)
        assert status.status is CarrierStatus.COURIER_ASSIGNED
        assert status.courier is not None
        assert status.courier.name
        assert status.courier.latitude is not None
        cancelled = await carrier.cancel(late.carrier_ref, "too late")
        assert cancelled.fee.amount == late.price.amount // 2
        assert (await carrier.status(late.carrier_ref)).status is CarrierStatus.CANCELLED


async def test_signed_callbacks_report_every_status_and_a_forged_or_stale_one_is_refused(
    receiver: Receiver,
) -> None:
    async with sandbox_and_connector(callback_url=receiver.url) as (sandbox, carrier):
        booking = await carrier.book(await carrier.quote(REQUEST), REQUEST, "job-1")
        sandbox.advance(booking.carrier_ref, "delivered")
        await eventually(lambda: len(receiver.requests) == 8)
        now = datetime.now(UTC)
        reports = [carrier.parse_callback(r.headers, r.body, now) for r in receiver.requests]
        assert [r.status for r in reports] == list(CarrierStatus)[:8]
        assert reports[-1].final_price == booking.price
        assert reports[2].courier is not None
        assert reports[2].courier.latitude is not None
        assert len({r.event_id for r in reports}) == 8

        signed = receiver.requests[-1]
        forged = json.loads(signed.body)
        forged["delivery"]["status"] = "failed"
        with pytest.raises(CallbackRefused, match="signature"):
            carrier.parse_callback(signed.headers, json.dumps(forged).encode(), now)
        with pytest.raises(CallbackRefused, match="tolerance"):
            carrier.parse_callback(signed.headers, signed.body, now + timedelta(minutes=6))
        with pytest.raises(CallbackRefused, match="not signed"):
            carrier.parse_callback({}, signed.body, now)
