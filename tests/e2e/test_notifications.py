"""Notifications end to end: rules made over gRPC and Connect, a real server's task calls and a
rider's real location stream, and the notification adapter (run here, in the test process, as
the worker runs it, against the server's PostgreSQL and Redis, with a clock the test sets)
turning them into ``notification.requested`` events in the outbox, each trigger exactly once;
quiet hours deferring or suppressing; the per-recipient limit; a signed webhook delivery."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc
import jwt
import pytest
import redis.asyncio as aioredis
from bengobox.logistics.v1 import (
    fleet_pb2,
    notification_connect,
    notification_pb2,
    notification_pb2_grpc,
    webhook_pb2,
    webhook_pb2_grpc,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import duration_pb2, field_mask_pb2
from google.rpc import error_details_pb2

from logistics.api.tracking_links import SignedTrackingLinks
from logistics.domain.ids import TenantSlug
from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.domain.timers import DueTimer
from logistics.geo.distance import StraightLine
from logistics.geo.live_index import LiveIndex
from logistics.secrets_box import Keyring
from logistics.services.etas import Estimator
from logistics.services.notifications import (
    EstimatedEtas,
    NotificationAdapter,
    NotificationLimits,
)
from logistics.services.tasks.delays import DELAY_CHECK, DelayWatch
from logistics.store.db import Database
from logistics.store.notification_queue import NotificationQueue
from logistics.store.unit_of_work import Store
from tests.support.auth import JWT_SECRET, auth, headers, unique_tenant
from tests.support.clocks import ManualClock
from tests.support.errors import fails
from tests.support.protos import ts
from tests.support.servers import RunningServer, ServerUrls, server_in_process
from tests.support.tasks import Api, drop_off, last_id, pickup, point
from tests.support.telemetry import Stream, events, ping
from tests.support.waiting import eventually
from tests.support.webhooks import FAST, Receiver, worker

pytestmark = pytest.mark.e2e

Rule = notification_pb2.NotificationRule
DROP = (-1.3000, 36.7800)
PHONE = "+254700000001"
# 09:00 in Nairobi (UTC+3): outside 22:00-07:00 quiet hours.
MORNING = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
TRACK = "https://track.example.com/track/"


def north_of(place: tuple[float, float], metres: float) -> tuple[float, float]:
    return place[0] + metres * 180 / (3.141592653589793 * EARTH_RADIUS_M), place[1]


def customer_drop_off(phone: str = PHONE) -> Any:
    return drop_off(location=point(*DROP), contact_phone=phone, contact_name="Achieng")


@dataclasses.dataclass
class World:
    api: Api
    rules: notification_pb2_grpc.NotificationRuleServiceStub
    adapter: NotificationAdapter
    clock: ManualClock
    owner: asyncpg.Connection
    store: Store
    database: Database
    redis: aioredis.Redis

    async def rule(self, **fields: Any) -> Rule:
        made: Rule = await self.rules.CreateNotificationRule(
            notification_pb2.CreateNotificationRuleRequest(
                parent=self.api.parent, notification_rule=Rule(**fields)
            ),
            metadata=self.api.md,
        )
        return made

    def twin(self) -> NotificationAdapter:
        """Another adapter over the same database and Redis: a second worker, or this one
        restarted."""
        return make_adapter(self.store, self.database, self.redis, self.clock)

    async def settle(self, adapter: NotificationAdapter | None = None) -> None:
        """What the worker does in a few rounds: every task event, the due deferred
        requests, one check of the watched tasks."""
        adapter = adapter or self.adapter
        while await adapter.handle_events():
            pass
        await adapter.release_due()
        await adapter.check_watches()

    async def requested(self) -> list[dict[str, Any]]:
        return await events(self.owner, self.api.tenant, "notification.requested")

    async def states(self) -> Counter[str]:
        rows = await self.owner.fetch(
            """SELECT n.state FROM notifications n JOIN tenants t ON t.id = n.tenant_id
               WHERE t.slug = $1""",
            self.api.tenant,
        )
        return Counter(r["state"] for r in rows)


@pytest.fixture
async def redis_client(server_urls: ServerUrls) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(server_urls.redis_url)
    yield client
    await client.aclose()


def make_adapter(
    store: Store,
    database: Database,
    redis_client: aioredis.Redis,
    clock: ManualClock,
    **limits: Any,
) -> NotificationAdapter:
    return NotificationAdapter(
        store,
        NotificationQueue(database),
        LiveIndex(redis_client),
        EstimatedEtas(Estimator(StraightLine(), clock)),
        SignedTrackingLinks(TRACK, JWT_SECRET, ttl_s=3600),
        clock,
        NotificationLimits(**limits),
    )


@pytest.fixture
async def world(
    grpc_channel: grpc.aio.Channel,
    store: Store,
    database: Database,
    owner: asyncpg.Connection,
    redis_client: aioredis.Redis,
) -> World:
    clock = ManualClock(MORNING)
    return World(
        Api(grpc_channel, unique_tenant(), store, database),
        notification_pb2_grpc.NotificationRuleServiceStub(grpc_channel),
        make_adapter(store, database, redis_client, clock),
        clock,
        owner,
        store,
        database,
        redis_client,
    )


def by_trigger(requested: list[dict[str, Any]]) -> Counter[str]:
    return Counter(e["trigger"] for e in requested)


async def test_each_trigger_fires_exactly_once_with_the_customers_tracking_link(
    world: World, grpc_channel: grpc.aio.Channel
) -> None:
    sms, push, whatsapp = Rule.CHANNEL_SMS, Rule.CHANNEL_PUSH, Rule.CHANNEL_WHATSAPP
    customer = Rule.RECIPIENT_CUSTOMER
    await world.rule(
        trigger=Rule.TRIGGER_TASK_STARTED, recipient=customer, channel=sms, template_id="started"
    )
    await world.rule(
        trigger=Rule.TRIGGER_ETA,
        recipient=customer,
        channel=push,
        template_id="ten-minutes",
        eta_threshold=duration_pb2.Duration(seconds=600),
    )
    await world.rule(
        trigger=Rule.TRIGGER_ARRIVING,
        recipient=customer,
        channel=whatsapp,
        template_id="arriving",
        within_m=150,
    )
    await world.rule(
        trigger=Rule.TRIGGER_TASK_COMPLETED,
        recipient=customer,
        channel=sms,
        template_id="delivered",
    )
    await world.rule(
        trigger=Rule.TRIGGER_TASK_FAILED, recipient=customer, channel=sms, template_id="failed"
    )
    api = world.api
    task, rider = await api.on_the_way(pickup(), customer_drop_off())
    await world.settle()
    await world.settle()  # a second round finds nothing new
    assert by_trigger(await world.requested()) == {"task.started": 1}

    stream = Stream(grpc_channel, api.rider_md(rider))
    far, near, close, closer = (north_of(DROP, m) for m in (5000, 2000, 100, 50))
    await stream.send(ping(1, seconds=0, at=far))
    await api.arrive(task.name, "0")
    await api.complete(task.name, "0")
    await world.settle()
    assert by_trigger(await world.requested()) == {"task.started": 1}  # 5 km: ~16 min away

    await stream.send(ping(2, seconds=450, at=near))  # 2 km: under 10 minutes, not yet within 150 m
    # Two workers at once (a second adapter over the same stores): still once.
    await asyncio.gather(world.settle(), world.settle(world.twin()))
    assert by_trigger(await world.requested()) == {"task.started": 1, "task.eta": 1}

    await stream.send(ping(3, seconds=750, at=close))
    await world.settle()
    await stream.send(ping(4, seconds=760, at=closer))  # still close: nothing fires twice
    await world.settle()
    await api.arrive(task.name, "1")
    await api.complete(task.name, "1")
    await world.settle()
    await world.settle()
    await stream.close()

    # Another customer: the first had five already, the limit in ten minutes.
    failing, _ = await api.on_the_way(pickup(), customer_drop_off("+254700000002"))
    await api.fail(failing.name)
    await world.settle()
    await world.settle()

    requested = await world.requested()
    assert by_trigger(requested) == {
        "task.started": 2,  # one per task
        "task.eta": 1,
        "task.arriving": 1,
        "task.completed": 1,
        "task.failed": 1,
    }
    assert len({e["name"] for e in requested}) == len(requested)
    eta = next(e for e in requested if e["trigger"] == "task.eta")
    assert (eta["channel"], eta["template_id"], eta["to"]) == ("push", "ten-minutes", PHONE)
    assert await world.states() == {"requested": 6}
    assert 0 < eta["eta_seconds"] <= 600
    assert 1900 < eta["distance_m"] < 2100
    arriving = next(e for e in requested if e["trigger"] == "task.arriving")
    assert arriving["distance_m"] <= 150
    assert arriving["rider"] == rider
    for event in requested:
        assert event["recipient"] == "customer"
        assert event["recipient_name"] == "Achieng"
        link = event["tracking_link"]
        assert link.startswith(f"{TRACK}#token=")
        claims = jwt.decode(link.split("#token=")[1], JWT_SECRET, algorithms=["HS256"])
        assert claims["task_id"] == event["task"].rsplit("/", 1)[1]
        assert claims["scope"] == ""  # the task's page only
    # Nothing is watched once the tasks ended.
    assert not await world.owner.fetch(
        """SELECT 1 FROM notification_watches w JOIN tenants t ON t.id = w.tenant_id
           WHERE t.slug = $1""",
        api.tenant,
    )


async def test_a_predicted_delay_notifies_once_however_many_checks_find_it_late(
    world: World, grpc_channel: grpc.aio.Channel
) -> None:
    await world.rule(
        trigger=Rule.TRIGGER_TASK_DELAYED,
        recipient=Rule.RECIPIENT_CUSTOMER,
        channel=Rule.CHANNEL_SMS,
        template_id="running-late",
    )
    api = world.api
    now = datetime.now(UTC)  # the server's clock: its deadline checks are against it
    task = await api.create(
        pickup(), customer_drop_off(), pickup_deadline=ts(now + timedelta(minutes=10))
    )
    rider = await api.rider()
    await api.assign(task.name, rider)
    await api.start(task.name)
    # The real delay check, fired as the worker's timer runner fires the timer the
    # assignment armed, on a clock the test sets.
    clock = ManualClock(now)
    watch = DelayWatch(
        LiveIndex(world.redis), Estimator(StraightLine(), clock), clock, interval_s=30
    )
    due = DueTimer(0, DELAY_CHECK, uuid.UUID(last_id(task.name)), now)

    async def check() -> None:
        async with world.store.write(TenantSlug(api.tenant)) as uow:
            await watch.handle(uow, due)
        clock.set(clock.now() + timedelta(seconds=31))

    stream = Stream(grpc_channel, api.rider_md(rider))
    try:
        pickup_at = (task.steps[0].location.latitude, task.steps[0].location.longitude)
        await stream.send(ping(1, seconds=0, at=north_of(pickup_at, 1000)))  # ~3 min: on time
        await check()
        await world.settle()
        assert by_trigger(await world.requested()) == {}
        # Sent 4 km back, 10 minutes later (a believable ride, not a jump the ingest drops).
        await stream.send(ping(2, seconds=600, at=north_of(pickup_at, 5000)))  # ~16 min: late
        await check()
        await check()  # still late: no new crossing
        await asyncio.gather(world.settle(), world.settle(world.twin()))
        await world.settle()
    finally:
        await stream.close()
    delayed = [e for e in await api.events(task.name) if e.type == "delayed"]
    assert len(delayed) == 1
    (sent,) = await world.requested()
    assert (sent["trigger"], sent["channel"], sent["template_id"]) == (
        "task.delayed",
        "sms",
        "running-late",
    )
    assert (sent["recipient"], sent["to"], sent["task"]) == ("customer", PHONE, task.name)


async def test_quiet_hours_defer_a_request_to_their_end_or_suppress_it(world: World) -> None:
    quiet = Rule.QuietHours(start_minute=22 * 60, end_minute=7 * 60)
    await world.rule(
        trigger=Rule.TRIGGER_TASK_STARTED,
        recipient=Rule.RECIPIENT_CUSTOMER,
        channel=Rule.CHANNEL_SMS,
        template_id="started",
        quiet_hours=quiet,
        time_zone="Africa/Nairobi",
    )
    await world.rule(
        trigger=Rule.TRIGGER_TASK_STARTED,
        recipient=Rule.RECIPIENT_CUSTOMER,
        channel=Rule.CHANNEL_PUSH,
        template_id="started-push",
        quiet_hours=Rule.QuietHours(
            start_minute=22 * 60, end_minute=7 * 60, mode=Rule.QuietHours.MODE_SUPPRESS
        ),
        time_zone="Africa/Nairobi",
    )
    world.clock.set(datetime(2026, 12, 3, 20, 30, tzinfo=UTC))  # 23:30 in Nairobi
    await world.api.on_the_way(pickup(), customer_drop_off())
    await world.settle()
    assert await world.states() == {"deferred": 1, "suppressed": 1}
    assert await world.requested() == []

    world.clock.set(datetime(2026, 12, 4, 3, 59, tzinfo=UTC))  # 06:59: still quiet
    await world.settle()
    assert await world.requested() == []

    world.clock.set(datetime(2026, 12, 4, 4, 0, tzinfo=UTC))  # 07:00 in Nairobi
    world.adapter = world.twin()  # a restarted worker: what was deferred is in PostgreSQL
    await world.settle()
    await world.settle()
    (released,) = await world.requested()
    assert (released["channel"], released["trigger"]) == ("sms", "task.started")
    assert released["deferred_until"] == "2026-12-04T04:00:00+00:00"
    assert await world.states() == {"requested": 1, "suppressed": 1}


async def test_the_limit_per_recipient_holds(
    world: World, store: Store, database: Database, redis_client: aioredis.Redis
) -> None:
    world.adapter = make_adapter(store, database, redis_client, world.clock, rate_limit=2)
    for channel in (Rule.CHANNEL_SMS, Rule.CHANNEL_PUSH, Rule.CHANNEL_WHATSAPP):
        await world.rule(
            trigger=Rule.TRIGGER_TASK_STARTED,
            recipient=Rule.RECIPIENT_CUSTOMER,
            channel=channel,
            template_id="started",
        )
    await world.api.on_the_way(pickup(), customer_drop_off())
    await world.settle()
    assert len(await world.requested()) == 2  # the same phone: two of three
    assert await world.states() == {"requested": 2, "rate_limited": 1}

    world.clock.advance(timedelta(minutes=11))  # past the window: the next task's go out
    await world.api.on_the_way(pickup(), customer_drop_off())
    await world.settle()
    assert len(await world.requested()) == 4


BAD_RULES = [
    ({"template_id": ""}, {"notification_rule.template_id"}),
    ({"template_id": "has space"}, {"notification_rule.template_id"}),
    ({"trigger": Rule.TRIGGER_ETA}, {"notification_rule.eta_threshold"}),
    (
        {"trigger": Rule.TRIGGER_ETA, "eta_threshold": duration_pb2.Duration(seconds=20)},
        {"notification_rule.eta_threshold"},
    ),
    ({"trigger": Rule.TRIGGER_ARRIVING}, {"notification_rule.within_m"}),
    ({"trigger": Rule.TRIGGER_ARRIVING, "within_m": 1}, {"notification_rule.within_m"}),
    ({"within_m": 150}, {"notification_rule.within_m"}),
    ({"trigger": Rule.TRIGGER_UNSPECIFIED}, {"notification_rule.trigger"}),
    ({"recipient": Rule.RECIPIENT_UNSPECIFIED}, {"notification_rule.recipient"}),
    ({"channel": 99}, {"notification_rule.channel"}),
    (
        {"quiet_hours": Rule.QuietHours(start_minute=1320, end_minute=420)},
        {"notification_rule.time_zone"},
    ),
    (
        {
            "quiet_hours": Rule.QuietHours(start_minute=1320, end_minute=1320),
            "time_zone": "Africa/Nairobi",
        },
        {"notification_rule.quiet_hours.end_minute"},
    ),
    (
        {
            "quiet_hours": Rule.QuietHours(start_minute=1320, end_minute=1440),
            "time_zone": "Mars/Olympus",
        },
        {"notification_rule.quiet_hours.end_minute", "notification_rule.time_zone"},
    ),
]


def good_rule(**fields: Any) -> Rule:
    values: dict[str, Any] = {
        "trigger": Rule.TRIGGER_TASK_COMPLETED,
        "recipient": Rule.RECIPIENT_CUSTOMER,
        "channel": Rule.CHANNEL_SMS,
        "template_id": "delivered",
    }
    return Rule(**{**values, **fields})


@pytest.mark.parametrize(("fields", "bad"), BAD_RULES)
async def test_a_bad_rule_is_invalid_argument_naming_its_fields_and_changes_nothing(
    world: World, fields: dict[str, Any], bad: set[str]
) -> None:
    call = world.rules.CreateNotificationRule(
        notification_pb2.CreateNotificationRuleRequest(
            parent=world.api.parent, notification_rule=good_rule(**fields)
        ),
        metadata=world.api.md,
    )
    assert await fails(call, grpc.StatusCode.INVALID_ARGUMENT) == bad
    listed = await world.rules.ListNotificationRules(
        notification_pb2.ListNotificationRulesRequest(parent=world.api.parent),
        metadata=world.api.md,
    )
    assert list(listed.notification_rules) == []


async def test_rules_are_created_read_listed_updated_and_deleted(world: World) -> None:
    made = await world.rule(
        trigger=Rule.TRIGGER_ARRIVING,
        recipient=Rule.RECIPIENT_OUTLET,
        channel=Rule.CHANNEL_PUSH,
        template_id="rider-arriving",
        within_m=200,
    )
    assert made.name.startswith(f"{world.api.parent}/notificationRules/")
    md = world.api.md
    got = await world.rules.GetNotificationRule(
        notification_pb2.GetNotificationRuleRequest(name=made.name), metadata=md
    )
    assert got == made
    # One rule per (trigger, recipient, channel).
    await fails(
        world.rules.CreateNotificationRule(
            notification_pb2.CreateNotificationRuleRequest(
                parent=world.api.parent, notification_rule=made
            ),
            metadata=md,
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "NOTIFICATION_RULE_EXISTS",
    )
    changed = await world.rules.UpdateNotificationRule(
        notification_pb2.UpdateNotificationRuleRequest(
            notification_rule=Rule(
                name=made.name,
                trigger=Rule.TRIGGER_ETA,
                eta_threshold=duration_pb2.Duration(seconds=300),
                etag=made.etag,
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["trigger", "eta_threshold", "within_m"]),
        ),
        metadata=md,
    )
    assert (changed.trigger, changed.eta_threshold.seconds, changed.within_m) == (
        Rule.TRIGGER_ETA,
        300,
        0,
    )
    # The stale etag is refused; so is an update that leaves the rule invalid.
    await fails(
        world.rules.DeleteNotificationRule(
            notification_pb2.DeleteNotificationRuleRequest(name=made.name, etag=made.etag),
            metadata=md,
        ),
        grpc.StatusCode.ABORTED,
    )
    assert await fails(
        world.rules.UpdateNotificationRule(
            notification_pb2.UpdateNotificationRuleRequest(
                notification_rule=Rule(name=made.name),
                update_mask=field_mask_pb2.FieldMask(paths=["eta_threshold"]),
            ),
            metadata=md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ) == {"notification_rule.eta_threshold"}
    await world.rules.DeleteNotificationRule(
        notification_pb2.DeleteNotificationRuleRequest(name=made.name), metadata=md
    )
    await fails(
        world.rules.GetNotificationRule(
            notification_pb2.GetNotificationRuleRequest(name=made.name), metadata=md
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    # Reading needs the tenant; changing needs logistics:admin.
    await fails(
        world.rules.ListNotificationRules(
            notification_pb2.ListNotificationRulesRequest(parent=world.api.parent),
            metadata=auth(unique_tenant()),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await fails(
        world.rules.CreateNotificationRule(
            notification_pb2.CreateNotificationRuleRequest(
                parent=world.api.parent, notification_rule=good_rule()
            ),
            metadata=auth(world.api.tenant, ["logistics:read", "logistics:dispatch"]),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_the_same_rules_answer_over_connect(server: RunningServer) -> None:
    tenant = unique_tenant()
    client = notification_connect.NotificationRuleServiceClient(server.http_url)
    caller = headers(tenant)
    made = await client.create_notification_rule(
        notification_pb2.CreateNotificationRuleRequest(
            parent=f"tenants/{tenant}", notification_rule=good_rule()
        ),
        headers=caller,
    )
    listed = await client.list_notification_rules(
        notification_pb2.ListNotificationRulesRequest(parent=f"tenants/{tenant}"), headers=caller
    )
    assert [r.name for r in listed.notification_rules] == [made.name]
    with pytest.raises(ConnectError) as caught:
        await client.create_notification_rule(
            notification_pb2.CreateNotificationRuleRequest(
                parent=f"tenants/{tenant}",
                notification_rule=good_rule(trigger=Rule.TRIGGER_ETA, template_id="eta"),
            ),
            headers=caller,
        )
    assert caught.value.code == Code.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad_request) for d in caught.value.details)
    assert [v.field for v in bad_request.field_violations] == ["notification_rule.eta_threshold"]


async def test_a_request_reaches_a_subscribed_receiver_as_a_signed_webhook(
    world: World, server_urls: ServerUrls, database: Database, keyring: Keyring
) -> None:
    async with (
        server_in_process(server_urls, LOGISTICS_ALLOW_PRIVATE_TARGETS="true") as running,
        grpc.aio.insecure_channel(running.grpc_target) as channel,
        worker(database, dataclasses.replace(FAST, timeout_s=2), keyring),
    ):
        hooks = webhook_pb2_grpc.WebhookServiceStub(channel)
        with Receiver().running() as receiver:
            hook = await hooks.CreateWebhook(
                webhook_pb2.CreateWebhookRequest(
                    parent=world.api.parent,
                    webhook=webhook_pb2.Webhook(
                        url=receiver.url, event_types=["notification.requested"]
                    ),
                ),
                metadata=world.api.md,
            )
            receiver.secrets["current"] = hook.secret
            await world.rule(
                trigger=Rule.TRIGGER_TASK_ASSIGNED,
                recipient=Rule.RECIPIENT_RIDER,
                channel=Rule.CHANNEL_PUSH,
                template_id="new-task",
            )
            task = await world.api.create(pickup(), customer_drop_off())
            rider = await world.api.rider()
            await world.api.assign(task.name, rider)
            await world.settle()
            (got,) = await eventually(lambda: receiver.answered(200))
    event = got.event
    assert event["type"] == "notification.requested"
    data = event["data"]
    assert (data["trigger"], data["recipient"], data["to"]) == ("task.assigned", "rider", rider)
    assert data["task"] == task.name
    assert data["tracking_link"].startswith(TRACK)


async def test_the_workers_loop_requests_without_being_asked(
    world: World, store: Store, database: Database, redis_client: aioredis.Redis
) -> None:
    adapter = make_adapter(
        store, database, redis_client, world.clock, interval_s=0.05, watch_interval_s=0.05
    )
    await world.rule(
        trigger=Rule.TRIGGER_TASK_ASSIGNED,
        recipient=Rule.RECIPIENT_DISPATCHER,
        channel=Rule.CHANNEL_EMAIL,
        template_id="assigned",
    )
    stop = asyncio.Event()
    running = asyncio.create_task(adapter.run(stop))
    try:
        task = await world.api.create(pickup(), customer_drop_off())
        await world.api.assign(task.name, await world.api.rider())
        (event,) = await eventually(world.requested)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert (event["recipient"], event["to"], event["channel"]) == ("dispatcher", "", "email")


async def test_quiet_hours_are_read_in_the_outlets_zone_when_it_has_one(world: World) -> None:
    api = world.api
    await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(
                name=f"{api.parent}/outlets/tokyo-1",
                display_name="Tokyo kitchen",
                location=point(-1.2864, 36.8172),
                time_zone="Asia/Tokyo",  # UTC+9
            )
        ),
        metadata=api.md,
    )
    await world.rule(
        trigger=Rule.TRIGGER_TASK_STARTED,
        recipient=Rule.RECIPIENT_CUSTOMER,
        channel=Rule.CHANNEL_SMS,
        template_id="started",
        quiet_hours=Rule.QuietHours(start_minute=22 * 60, end_minute=7 * 60),
        time_zone="UTC",
    )
    world.clock.set(datetime(2026, 12, 3, 14, 0, tzinfo=UTC))  # 14:00 UTC, 23:00 in Tokyo
    task = await api.create(pickup(), customer_drop_off("+254700000003"), outlet_id="tokyo-1")
    await api.assign(task.name, await api.rider())
    await api.start(task.name)
    await api.on_the_way(pickup(), customer_drop_off("+254700000004"))  # no outlet: UTC
    await world.settle()
    (sent,) = await world.requested()
    assert sent["to"] == "+254700000004"
    rows = await world.owner.fetch(
        """SELECT n.due_time FROM notifications n JOIN tenants t ON t.id = n.tenant_id
           WHERE t.slug = $1 AND n.state = 'deferred'""",
        api.tenant,
    )
    assert [r["due_time"] for r in rows] == [datetime(2026, 12, 3, 22, 0, tzinfo=UTC)]
