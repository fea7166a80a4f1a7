"""Webhook deliveries on the real database to real HTTP receivers on 127.0.0.1.

Every request a receiver gets is checked with the off-the-shelf ``standardwebhooks`` library,
against each secret the receiver is told about, so the tests see which secrets a delivery
verifies with. Receivers are scripted: answer 500, hang past the worker's timeout, answer 200.
The worker runs with short timeouts and backoff; it works across tenants, so each test looks
only at its own tenant's webhooks and deletes them when it ends. The receivers are on
127.0.0.1, so the service and the worker run with private targets allowed (the development
setting), except where a test shows the refusal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from logistics.domain.clock import SystemClock
from logistics.domain.errors import InvalidArgument
from logistics.events.deliveries import DeliveryPolicy
from logistics.secrets_box import Keyring
from logistics.services.webhooks import DeliveryState, WebhookService, WebhookSpec
from logistics.store.db import Database
from tests.support.auth import SECRETS_KEYS
from tests.support.probes import probe
from tests.support.waiting import eventually
from tests.support.webhooks import FAST, HANG, Receiver, World, worker


async def test_a_delivery_that_fails_and_times_out_succeeds_once_under_one_webhook_id(
    world: World, database: Database
) -> None:
    with Receiver(script=[500, 500, HANG]).running() as receiver:
        hook = await world.webhook(receiver.url, "task.*")
        receiver.secrets["current"] = hook.secrets[0].secret
        async with worker(database):
            await world.emit("rider.created", name=f"tenants/{world.tenant}/riders/x")
            event_id = await world.emit(
                "task.completed", name=f"tenants/{world.tenant}/tasks/t1", task={"state": "done"}
            )
            delivered = await eventually(lambda: world.delivery(hook, DeliveryState.DELIVERED))

    assert [r.answer for r in receiver.requests] == [500, 500, HANG, 200]
    assert {r.webhook_id for r in receiver.requests} == {str(event_id)}
    assert all(r.verified_by == {"current"} for r in receiver.requests)
    assert delivered.attempts == 4
    assert delivered.last_status == 200
    assert delivered.deliver_time is not None
    assert len(await world.deliveries(hook)) == 1  # rider.created did not match task.*
    event = receiver.requests[-1].event
    assert event["id"] == str(event_id)
    assert event["type"] == "task.completed"
    assert event["tenant"] == world.tenant
    assert event["resource"] == f"tenants/{world.tenant}/tasks/t1"
    assert event["data"]["task"] == {"state": "done"}
    assert datetime.fromisoformat(event["eventTime"]) <= datetime.now(UTC)
    assert receiver.requests[-1].headers["content-type"] == "application/json"


async def test_a_receiver_that_keeps_failing_gets_a_dead_letter_that_replays_once_it_recovers(
    world: World, database: Database
) -> None:
    with Receiver(default=500).running() as receiver:
        hook = await world.webhook(receiver.url, retry_window=timedelta(seconds=1))
        receiver.secrets["current"] = hook.secrets[0].secret
        async with worker(database):
            event_id = await world.emit("vehicle.created", name="v")
            dead = await eventually(lambda: world.delivery(hook, DeliveryState.DEAD))
            tries = len(receiver.requests)
            assert dead.attempts == tries >= 2
            assert dead.last_status == 500
            assert "500" in (dead.last_error or "")
            assert dead.create_time + timedelta(seconds=1) <= datetime.now(UTC)
            await asyncio.sleep(0.3)
            assert len(receiver.requests) == tries  # a dead letter is not sent again by itself

            receiver.default = 200
            assert await world.service.replay(world.caller, world.name(hook), []) == 1
            delivered = await eventually(lambda: world.delivery(hook, DeliveryState.DELIVERED))

    assert delivered.id == dead.id
    assert delivered.attempts == 1
    assert [r.answer for r in receiver.requests] == [500] * tries + [200]
    assert {r.webhook_id for r in receiver.requests} == {str(event_id)}
    assert all(r.verified_by == {"current"} for r in receiver.requests)
    assert await world.deliveries(hook, DeliveryState.DEAD) == []
    assert len(await world.deliveries(hook)) == 1  # not its own webhook.created


async def test_a_hanging_receiver_does_not_delay_deliveries_to_another(
    world: World, database: Database
) -> None:
    slow_policy = DeliveryPolicy(
        timeout_s=5,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
        max_in_flight=4,
        max_per_webhook=2,
        poll_interval_s=0.05,
        allow_private_targets=True,
    )
    with Receiver(default=HANG).running() as slow, Receiver().running() as fast:
        await world.webhook(slow.url, "task.*")
        fast_hook = await world.webhook(fast.url, "rider.*")
        fast.secrets["current"] = fast_hook.secrets[0].secret
        async with worker(database, slow_policy):
            for i in range(6):
                await world.emit("task.created", name=f"t{i}")
            await eventually(lambda: slow.in_flight == 2)
            started = time.monotonic()
            await world.emit("rider.created", name="r")
            await eventually(lambda: fast.requests, within=3)
            waited = time.monotonic() - started
            assert slow.in_flight == 2  # still hanging
            slow.released.set()

    assert waited < 1.0
    assert slow.max_in_flight == 2  # never more than max_per_webhook to one receiver
    assert fast.requests[0].verified_by == {"current"}


async def test_during_a_rotation_either_secret_verifies_and_after_it_only_the_new_one(
    world: World, database: Database
) -> None:
    with Receiver().running() as receiver:
        hook = await world.webhook(receiver.url, "fleet.*")
        receiver.secrets["old"] = hook.secrets[0].secret
        rotated = await world.service.rotate_secret(
            world.caller, world.name(hook), timedelta(seconds=2.5)
        )
        receiver.secrets["new"] = rotated.secrets[0].secret
        assert rotated.secrets[0].secret != hook.secrets[0].secret
        old_expiry = rotated.secrets[1].expire_time
        assert old_expiry is not None
        async with worker(database):
            await world.emit("fleet.updated", name="f1")
            during = await eventually(lambda: receiver.requests)
            assert during[0].verified_by == {"old", "new"}
            assert len(during[0].headers["webhook-signature"].split()) == 2

            await asyncio.sleep(max(0.0, (old_expiry - datetime.now(UTC)).total_seconds()) + 0.1)
            await world.emit("fleet.updated", name="f2")
            await eventually(lambda: len(receiver.requests) == 2)

    assert receiver.requests[1].verified_by == {"new"}
    assert len(receiver.requests[1].headers["webhook-signature"].split()) == 1


async def test_an_event_committed_after_a_later_one_is_still_delivered(
    world: World, database: Database
) -> None:
    with Receiver().running() as receiver:
        await world.webhook(receiver.url, "task.*")
        async with worker(database):
            async with world.store.write(world.tenant) as uow:
                early = await uow.emit(probe("task.created", name="early"))  # seq taken first
                late = await world.emit("task.created", name="late")  # but this one commits first
                await eventually(lambda: receiver.requests)
            await eventually(lambda: len(receiver.requests) == 2)
            await asyncio.sleep(0.3)

    assert [r.webhook_id for r in receiver.requests] == [str(late), str(early)]


async def test_410_gone_dead_letters_the_delivery_and_disables_the_webhook(
    world: World, database: Database
) -> None:
    with Receiver(default=410).running() as receiver:
        hook = await world.webhook(receiver.url)
        async with worker(database):
            await world.emit("geofence.created", name="g")
            dead = await eventually(lambda: world.delivery(hook, DeliveryState.DEAD))
            await world.emit("geofence.created", name="g2")
            await asyncio.sleep(0.3)

    assert dead.last_status == 410
    assert len(receiver.requests) == 1
    assert (await world.service.get(world.caller, world.name(hook))).disabled
    assert len(await world.deliveries(hook)) == 1  # a disabled webhook gets no new deliveries


async def test_a_delivery_to_an_internal_address_fails_with_the_reason_and_is_retried_then_dead(
    world: World, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = dataclasses.replace(FAST, allow_private_targets=False)
    with Receiver().running() as receiver, Receiver().running() as proxy:
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # no way around the check
            monkeypatch.setenv(variable, proxy.url.removesuffix("/hooks"))
        hook = await world.webhook(receiver.url, retry_window=timedelta(seconds=1))
        async with worker(database, guarded):
            await world.emit("rider.created", name="r")
            dead = await eventually(lambda: world.delivery(hook, DeliveryState.DEAD))

    assert receiver.requests == []
    assert proxy.requests == []
    assert dead.attempts >= 2  # counted and retried like any failed attempt
    assert dead.last_status is None
    assert dead.last_error is not None
    assert "refused to connect to 127.0.0.1" in dead.last_error
    assert "loopback" in dead.last_error


async def test_without_the_allowance_internal_urls_are_refused_on_create_and_update(
    world: World,
) -> None:
    strict = WebhookService(world.store, SystemClock(), Keyring.parse(SECRETS_KEYS))
    for url in (
        "http://127.0.0.1:9/in",
        "https://10.0.0.1/in",
        "https://metadata.google.internal/",
    ):
        with pytest.raises(InvalidArgument) as caught:
            await strict.create(world.caller, world.tenant, WebhookSpec(uuid.uuid4(), url), None)
        assert [v.field for v in caught.value.violations] == ["webhook.url"]
    hook = await strict.create(
        world.caller, world.tenant, WebhookSpec(uuid.uuid4(), "https://hooks.example.com/in"), None
    )
    world.made.append(hook)

    with pytest.raises(InvalidArgument) as caught:
        await strict.update(
            world.caller, world.name(hook), {"url": "https://169.254.169.254/latest"}, None
        )
    assert [v.field for v in caught.value.violations] == ["webhook.url"]
    assert (await strict.get(world.caller, world.name(hook))).url == hook.url

    # A URL saved while the allowance was on is not judged again: the webhook can be disabled.
    internal = await world.webhook("http://127.0.0.1:9/in")
    disabled = await strict.update(world.caller, world.name(internal), {"disabled": True}, None)
    assert disabled.disabled
