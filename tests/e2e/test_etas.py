"""Road ETAs end to end, with an OSRM-shaped HTTP server standing in for the routing engine: a
rider followed by TrackTask (its ETA says its source: road, then the fallback while OSRM is
down), every state of a task sent in order however fast they follow each other, and
``task.delayed`` before the breach, exactly once per crossing, in the task's events, in a live
view and, with the SLA policy's delay action, handing the task back to the dispatchers; the
tracking page and the console saying where an ETA came from, and the console the warning."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import field_mask_pb2
from playwright.async_api import Browser, expect

from logistics.api.auth import mint_token
from tests.support.auth import JWT_SECRET, auth, token, unique_tenant
from tests.support.browser import open_console
from tests.support.live_riders import LiveRider, moved
from tests.support.osrm import FakeOsrm
from tests.support.protos import ts
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

HOME = (-1.2864, 36.8172)
Task = task_pb2.Task
Source = common_pb2.ArrivalEstimate.Source
PICKUP = task_pb2.TaskStep.KIND_PICKUP
DROP_OFF = task_pb2.TaskStep.KIND_DROP_OFF


@pytest.fixture(scope="module")
def osrm() -> Iterator[FakeOsrm]:
    server = FakeOsrm().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def eta_server(server_urls: ServerUrls, osrm: FakeOsrm) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls,
        run_timers=True,
        LOGISTICS_TIMER_INTERVAL_SECONDS="0.1",
        LOGISTICS_DELAY_CHECK_SECONDS="0.3",
        LOGISTICS_LIVE_INTERVAL_SECONDS="0.2",
        LOGISTICS_OSRM_URL=osrm.url,
        LOGISTICS_OSRM_TIMEOUT_SECONDS="3",
        LOGISTICS_ETA_WAIT_SECONDS="0.3",
        LOGISTICS_ETA_REFRESH_SECONDS="0.5",
    ) as running:
        yield running


@pytest.fixture
async def channel(eta_server: Listeners, osrm: FakeOsrm) -> AsyncIterator[grpc.aio.Channel]:
    osrm.mode = "ok"
    async with grpc.aio.insecure_channel(eta_server.grpc_target) as channel:
        yield channel
    osrm.mode = "ok"


def point(at: tuple[float, float]) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(latitude=at[0], longitude=at[1])


async def create_task(
    channel: grpc.aio.Channel,
    tenant: str,
    pickup: tuple[float, float],
    drop: tuple[float, float],
    **deadlines: datetime,
) -> Task:
    return await task_pb2_grpc.TaskServiceStub(channel).CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}",
            task=Task(
                kind=Task.KIND_DELIVERY,
                steps=[
                    task_pb2.TaskStep(kind=PICKUP, location=point(pickup)),
                    task_pb2.TaskStep(kind=DROP_OFF, location=point(drop)),
                ],
                **{k: ts(v) for k, v in deadlines.items()},
            ),
        ),
        metadata=auth(tenant),
    )


async def assign(channel: grpc.aio.Channel, tenant: str, task: str, rider: str) -> None:
    await dispatch_pb2_grpc.DispatchServiceStub(channel).AssignTask(
        dispatch_pb2.AssignTaskRequest(task=task, rider=rider, reason="test"),
        metadata=auth(tenant),
    )


class Reader:
    """Keeps what a server stream sends, read in the background."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.got: list[Any] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.call:
            self.got.append(message)

    async def until(self, check: Any, within: float = 15.0) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.got:
                if check(message):
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"nothing such in {within} s; got {self.got}")

    def cancel(self) -> None:
        self.call.cancel()
        self.task.cancel()


def track(channel: grpc.aio.Channel, tenant: str, task: str) -> Reader:
    return Reader(
        telemetry_pb2_grpc.TelemetryServiceStub(channel).TrackTask(
            telemetry_pb2.TrackTaskRequest(task=task), metadata=auth(tenant, ["logistics:read"])
        )
    )


# --- TrackTask --------------------------------------------------------------------------------


async def test_track_task_shows_the_road_eta_and_says_when_the_straight_line_stands_in(
    channel: grpc.aio.Channel, osrm: FakeOsrm
) -> None:
    tenant = unique_tenant()
    rider = await LiveRider.create(channel, tenant, *HOME, "KDA 101E")
    pickup = moved(*HOME, 1500, 0)
    task = await create_task(channel, tenant, pickup, moved(*HOME, 3000, 0))
    tracker = track(channel, tenant, task.name)
    try:
        await assign(channel, tenant, task.name, rider.name)
        await rider.ping()
        road = await tracker.until(lambda u: u.arrival.source == Source.SOURCE_ROAD)
        assert road.state == Task.STATE_ASSIGNED
        expected_s = osrm.road(HOME, pickup)[1]  # 1.2 x the line at 10 m/s: 180 s
        assert road.arrival.travel.ToTimedelta().total_seconds() == pytest.approx(expected_s, 0.01)
        assert road.eta == road.arrival.travel
        arrival = road.arrival.arrival_time.ToDatetime(UTC)
        estimated = road.arrival.estimate_time.ToDatetime(UTC)
        assert arrival - estimated == road.arrival.travel.ToTimedelta()
        assert not road.arrival.HasField("p50_arrival_time")  # until calibration
        # OSRM slows down past the ETA's wait (0.3 s): the next estimate (the rider has moved
        # on, past the reuse interval) is the straight line, and says so; the road answer,
        # when it comes, serves the estimates after it.
        osrm.mode, osrm.delay_s = "slow", 1.0
        await asyncio.sleep(1.0)
        rider.lat, rider.lng = moved(*HOME, 40, 0)  # a believable speed since the last ping
        await rider.ping()
        line = await tracker.until(
            lambda u: u.arrival.source == Source.SOURCE_STRAIGHT_LINE_FALLBACK
        )
        assert line.rider_position.latitude == pytest.approx(rider.lat)
        osrm.mode = "ok"
        rider.lat, rider.lng = moved(*HOME, 45, 0)
        await rider.ping()
        count = len(tracker.got)
        later = await tracker.until(
            lambda u: (
                tracker.got.index(u) >= count and u.arrival.source != Source.SOURCE_UNSPECIFIED
            )
        )
        assert later.arrival.source in (Source.SOURCE_ROAD, Source.SOURCE_ROAD_CACHED)
    finally:
        tracker.cancel()
        await rider.close()


async def test_track_task_sends_every_state_in_order_however_fast_they_follow(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    rider = await LiveRider.create(channel, tenant, *HOME, "KDA 102E")
    task = await create_task(channel, tenant, moved(*HOME, 200, 0), moved(*HOME, 900, 0))
    tracker = track(channel, tenant, task.name)
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    admin = auth(tenant)
    try:
        await tracker.until(lambda u: u.state == Task.STATE_CREATED)
        # Seven transitions back to back, well within one frame interval (0.2 s) each.
        await assign(channel, tenant, task.name, rider.name)
        await tasks.StartTask(task_pb2.StartTaskRequest(name=task.name), metadata=admin)
        for step in ("0", "1"):
            await tasks.ArriveAtStep(
                task_pb2.ArriveAtStepRequest(name=task.name, step_id=step), metadata=admin
            )
            await tasks.CompleteStep(
                task_pb2.CompleteStepRequest(name=task.name, step_id=step), metadata=admin
            )
        await asyncio.wait_for(tracker.task, 15)  # the stream ends with the task
    finally:
        tracker.cancel()
        await rider.close()
    states = [u.state for u in tracker.got]
    folded = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert folded == [
        Task.STATE_CREATED,
        Task.STATE_ASSIGNED,
        Task.STATE_EN_ROUTE,
        Task.STATE_ARRIVED,
        Task.STATE_EN_ROUTE,
        Task.STATE_ARRIVED,
        Task.STATE_COMPLETED,
    ]


# --- delay before breach ----------------------------------------------------------------------


async def delays_of(channel: grpc.aio.Channel, tenant: str, task: str) -> list[task_pb2.TaskEvent]:
    answer = await task_pb2_grpc.TaskServiceStub(channel).ListTaskEvents(
        task_pb2.ListTaskEventsRequest(parent=task, page_size=500), metadata=auth(tenant)
    )
    return [e for e in answer.events if e.type == "delayed"]


async def reschedule(channel: grpc.aio.Channel, tenant: str, task: str, minutes: float) -> None:
    await task_pb2_grpc.TaskServiceStub(channel).UpdateTask(
        task_pb2.UpdateTaskRequest(
            task=Task(
                name=task, pickup_deadline=ts(datetime.now(UTC) + timedelta(minutes=minutes))
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["pickup_deadline"]),
        ),
        metadata=auth(tenant),
    )


async def until_events(
    channel: grpc.aio.Channel, tenant: str, task: str, count: int, within: float = 15.0
) -> list[task_pb2.TaskEvent]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await delays_of(channel, tenant, task)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} task.delayed expected; got {found}")


async def test_a_predicted_late_arrival_warns_once_per_crossing_before_the_breach(
    channel: grpc.aio.Channel, osrm: FakeOsrm
) -> None:
    tenant = unique_tenant()
    rider = await LiveRider.create(channel, tenant, *HOME, "KDA 103E")
    pickup = moved(*HOME, 3000, 0)  # 360 s by road
    task = await create_task(
        channel,
        tenant,
        pickup,
        moved(*HOME, 4000, 0),
        pickup_deadline=datetime.now(UTC) + timedelta(minutes=20),
    )
    area = telemetry_pb2.BoundingBox(
        south_west=point(moved(*HOME, -1000, -1000)), north_east=point(moved(*HOME, 3500, 1000))
    )
    viewer = Reader(
        telemetry_pb2_grpc.TelemetryServiceStub(channel).SubscribeFleet(
            telemetry_pb2.SubscribeFleetRequest(
                parent=f"tenants/{tenant}",
                subscription=telemetry_pb2.FleetSubscription(bounding_box=area),
            ),
            metadata=auth(tenant, ["logistics:read"]),
        )
    )
    try:
        await viewer.until(lambda r: r.frame.snapshot)
        await assign(channel, tenant, task.name, rider.name)
        await rider.ping()
        await asyncio.sleep(1.0)  # several checks, each on time
        assert await delays_of(channel, tenant, task.name) == []
        await reschedule(channel, tenant, task.name, 4)  # the ETA (6 min) is now late
        [first] = await until_events(channel, tenant, task.name, 1)
        assert "pickup predicted 2 min late (road" in first.reason
        await asyncio.sleep(1.2)  # more checks, still late: no second warning
        assert len(await delays_of(channel, tenant, task.name)) == 1
        alert = await viewer.until(
            lambda r: any(a.type == telemetry_pb2.Alert.TYPE_TASK_DELAYED for a in r.frame.alerts)
        )
        [shown] = [a for a in alert.frame.alerts if a.type == telemetry_pb2.Alert.TYPE_TASK_DELAYED]
        assert (shown.task, shown.rider) == (task.name, rider.name)
        await reschedule(channel, tenant, task.name, 30)  # recovered
        await asyncio.sleep(1.0)
        await reschedule(channel, tenant, task.name, 3)  # and late again: a second crossing
        await until_events(channel, tenant, task.name, 2)
        await asyncio.sleep(1.0)
        assert len(await delays_of(channel, tenant, task.name)) == 2
        current = await task_pb2_grpc.TaskServiceStub(channel).GetTask(
            task_pb2.GetTaskRequest(name=task.name), metadata=auth(tenant)
        )
        assert current.sla_state != Task.SLA_STATE_BREACHED  # warned before any breach
        assert current.state == Task.STATE_ASSIGNED  # no delay action: the rider keeps it
    finally:
        viewer.cancel()
        await rider.close()


async def test_the_delay_action_hands_a_late_task_to_the_dispatchers_before_the_breach(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    await tasks.UpdateSlaPolicy(
        task_pb2.UpdateSlaPolicyRequest(
            policy=task_pb2.SlaPolicy(
                name=f"tenants/{tenant}/slaPolicy",
                delay_action=task_pb2.SlaPolicy.BREACH_ACTION_MANUAL_DISPATCH,
            )
        ),
        metadata=auth(tenant),
    )
    rider = await LiveRider.create(channel, tenant, *HOME, "KDA 104E")
    task = await create_task(
        channel,
        tenant,
        moved(*HOME, 3000, 0),
        moved(*HOME, 4000, 0),
        pickup_deadline=datetime.now(UTC) + timedelta(minutes=4),
    )
    await assign(channel, tenant, task.name, rider.name)
    await rider.ping()
    await until_events(channel, tenant, task.name, 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        current = await tasks.GetTask(
            task_pb2.GetTaskRequest(name=task.name), metadata=auth(tenant)
        )
        if current.state == Task.STATE_CREATED:
            break
        await asyncio.sleep(0.1)
    assert (current.state, current.manual_dispatch, current.rider) == (Task.STATE_CREATED, True, "")
    assert current.sla_state != Task.SLA_STATE_BREACHED
    await rider.close()


# --- the pages --------------------------------------------------------------------------------


async def test_the_tracking_page_and_the_console_say_where_the_eta_came_from(
    eta_server: Listeners, channel: grpc.aio.Channel, browser: Browser
) -> None:
    tenant = unique_tenant()
    rider = await LiveRider.create(channel, tenant, *HOME, "KDA 105E")
    task = await create_task(
        channel,
        tenant,
        moved(*HOME, 1500, 0),
        moved(*HOME, 2500, 0),
        pickup_deadline=datetime.now(UTC) + timedelta(minutes=20),
    )
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        phone = await context.new_page()
        tracking = mint_token(JWT_SECRET, tenant=tenant, scopes=[], task_id=task.name[-36:])
        await phone.goto(f"{eta_server.http_url}/track/#token={tracking}")
        console = await context.new_page()
        at = f"{HOME[0]},{HOME[1]},13"
        await open_console(console, f"{eta_server.http_url}/console/#token={token(tenant)}&at={at}")
        await assign(channel, tenant, task.name, rider.name)
        await rider.ping()
        await expect(phone.get_by_test_id("eta")).to_contain_text("Arriving in about 3 min")
        await expect(phone.get_by_test_id("eta-source")).to_have_text("(by road)")
        card_eta = console.get_by_test_id("task-eta")
        await expect(card_eta).to_contain_text("(by road)")
        # The deadline moves inside the predicted arrival: the dispatcher sees the warning.
        await reschedule(channel, tenant, task.name, 2)
        alert = console.locator('[data-testid="alert"][data-type="task.delayed"]')
        await expect(alert).to_contain_text("pickup predicted 1 min late (road")
    finally:
        await context.close()
        await rider.close()
