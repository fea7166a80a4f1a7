"""The console and the tracking page in a real headless Chromium, against a real server:
riders streamed over gRPC move on the map, a dispatcher's click assigns a task, an SLA breach
shows as an alert, a read-only token cannot assign, and a customer follows a delivery. Riders
and tasks show by display name and order id, not by UUID. Screenshots go to a scratch
directory unless ``LOGISTICS_SCREENSHOT_DIR`` says otherwise (``make screenshots``)."""

from __future__ import annotations

import asyncio
import re
from asyncio import FIRST_COMPLETED
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from playwright.async_api import Browser, Page, expect

from logistics.api.auth import mint_token
from logistics.sim.rider import RiderOptions
from logistics.sim.runner import SimConfig, Simulation
from tests.support.auth import JWT_SECRET, auth, bearer, sim_minter, token, unique_tenant
from tests.support.browser import open_console
from tests.support.live_riders import LiveRider, driving, moved
from tests.support.protos import ts
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

CENTRE = (-1.2864, 36.8172)
# Between the simulated city's outlets, Westlands to the Junction.
CITY_VIEW = (-1.2800, 36.7950)
NAMES = ("Amani", "Baraka", "Chebet", "Dalmas", "Eshe")
Step = task_pb2.TaskStep


@pytest.fixture(scope="module")
async def console_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    # Timers and the outbox relay run in the process (as in `logistics dev`): SLA alerts.
    async with server_in_process(
        server_urls, run_timers=True, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2"
    ) as running:
        yield running


@pytest.fixture
async def channel(console_server: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(console_server.grpc_target) as opened:
        yield opened


def console_url(
    server: Listeners, bearer: str, zoom: int = 14, at: tuple[float, float] = CENTRE
) -> str:
    return f"{server.http_url}/console/#token={bearer}&at={at[0]},{at[1]},{zoom}"


async def map_changes(page: Page, wait_ms: int) -> bool:
    """Whether the map's canvas looks different ``wait_ms`` later: the riders on it moved."""
    box = await page.locator("#map canvas").bounding_box()
    assert box is not None
    before = await page.screenshot(clip=box, scale="css", type="jpeg")
    await page.wait_for_timeout(wait_ms)
    return before != await page.screenshot(clip=box, scale="css", type="jpeg")


async def riders_near_centre(channel: grpc.aio.Channel, tenant: str, n: int) -> list[LiveRider]:
    """``n`` riders named ``NAMES[i]``, 150 m apart south to north, west of the centre."""
    return [
        await LiveRider.create(
            channel,
            tenant,
            *moved(*CENTRE, 150.0 * i - 300, -200.0),
            plate=f"KC{i}{tenant[-5:]}",
            display_name=NAMES[i],
        )
        for i in range(n)
    ]


async def new_task(
    channel: grpc.aio.Channel,
    tenant: str,
    deadline: datetime | None = None,
    proofs: tuple[int, ...] = (),
    order_id: str = "",
) -> task_pb2.Task:
    pickup = common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1])
    drop_lat, drop_lng = moved(*CENTRE, 600.0, 400.0)
    task = task_pb2.Task(
        kind=task_pb2.Task.KIND_DELIVERY,
        order_id=order_id,
        steps=[
            Step(kind=Step.KIND_PICKUP, location=pickup),
            Step(
                kind=Step.KIND_DROP_OFF,
                location=common_pb2.GeoPoint(latitude=drop_lat, longitude=drop_lng),
                required_proofs=list(proofs),  # type: ignore[arg-type]
            ),
        ],
    )
    if deadline is not None:
        task.delivery_deadline.CopyFrom(ts(deadline))
    return await task_pb2_grpc.TaskServiceStub(channel).CreateTask(
        task_pb2.CreateTaskRequest(parent=f"tenants/{tenant}", task=task), metadata=auth(tenant)
    )


async def first_to_accept(riders: list[LiveRider], within: float = 20.0) -> LiveRider:
    """The rider who got an offer first and accepted it (the others stop waiting)."""
    waiting = {asyncio.create_task(rider.accept_offer()): rider for rider in riders}
    done, pending = await asyncio.wait(waiting, timeout=within, return_when=FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    assert done, f"no rider was offered the task within {within} s"
    first = done.pop()
    await first
    return waiting[first]


async def close_all(riders: list[LiveRider]) -> None:
    for rider in riders:
        await rider.close()


async def test_the_console_shows_streamed_riders_moving(
    console_server: Listeners, channel: grpc.aio.Channel, page: Page
) -> None:
    tenant = unique_tenant()
    riders = await riders_near_centre(channel, tenant, 5)
    try:
        await new_task(
            channel, tenant, deadline=datetime.now(UTC) + timedelta(minutes=25), order_id="ORD-101"
        )
        # A zone beside the pickup: one around it would match only riders of that zone.
        corners = [
            moved(*CENTRE, n, e) for n, e in ((200, 300), (200, 1100), (900, 1100), (900, 300))
        ]
        await telemetry_pb2_grpc.TelemetryServiceStub(channel).CreateGeofence(
            telemetry_pb2.CreateGeofenceRequest(
                parent=f"tenants/{tenant}",
                geofence=telemetry_pb2.Geofence(
                    display_name="CBD",
                    kind=telemetry_pb2.Geofence.KIND_ZONE,
                    polygon=telemetry_pb2.Polygon(
                        vertices=[common_pb2.GeoPoint(latitude=a, longitude=b) for a, b in corners]
                    ),
                ),
            ),
            metadata=auth(tenant),
        )
        await open_console(page, console_url(console_server, token(tenant)), riders=5, tasks=1)
        await expect(page.get_by_test_id("who")).to_contain_text(f"tenant {tenant}")
        card = page.get_by_test_id("task-card")
        await expect(card).to_contain_text("ORD-101")  # its order id, not its UUID
        await expect(page.get_by_label("Zone").get_by_role("option", name="CBD")).to_be_attached()
        await page.get_by_role("button", name="H3 cells").click()
        await expect(page.get_by_role("button", name="H3 cells")).to_have_class("on")
        async with driving(riders, east_m=8.0, every_s=0.25):
            assert await map_changes(page, 1200), "the riders did not move on the map"
            # Drawn where they were since the page opened: what bench/demo_start.py waits for.
            await expect(page.get_by_test_id("map")).to_have_attribute("data-riders-moving", "5")
            await card.click()
            await expect(page.get_by_test_id("candidate").first).to_be_visible()
        # AutoDispatch offers the task; the rider who accepts is named in its answer and on
        # the card.
        await page.get_by_test_id("auto-dispatch").click()
        taker = await first_to_accept(riders)
        await expect(page.get_by_test_id("outcome")).to_have_text(
            f"auto-dispatch: assigned to {taker.display_name}"
        )
        await expect(card).to_contain_text(f"rider {taker.display_name}")
        await expect(page.get_by_test_id("errors")).to_be_empty()
    finally:
        await close_all(riders)


async def test_the_console_shows_the_simulated_city(
    console_server: Listeners, page: Page, screenshots: Path
) -> None:
    """What `logistics dev --demo` shows: the demo tenant seeded and run by the simulator, its
    riders drawn and moving on the map and its orders on the board. Takes the README's
    picture (``make screenshots``)."""
    tenant = unique_tenant()
    config = SimConfig(
        tenant=tenant,
        riders=8,
        orders_per_hour=60,
        seed=5,
        time_scale=10,
        start_hour=12.5,
        rider=RiderOptions(drops_per_hour=0, service_scale=0.01),
    )
    simulation = Simulation(console_server.grpc_target, sim_minter(tenant), config)
    stop = asyncio.Event()
    running = asyncio.create_task(simulation.run(stop))
    try:
        await asyncio.wait_for(simulation.streaming.wait(), 20)
        await open_console(
            page, console_url(console_server, token(tenant), zoom=13, at=CITY_VIEW), riders=8
        )
        # Orders go by the ordering service's order ids.
        await expect(page.get_by_test_id("task-card").first).to_contain_text("ORD-", timeout=10_000)
        assert await map_changes(page, 1000), "the simulated riders did not move on the map"
        await expect(page.get_by_test_id("map")).to_have_attribute(
            "data-riders-moving", re.compile("^[1-8]$")
        )
        await page.get_by_test_id("task-card").first.click()
        await expect(page.get_by_test_id("trail")).to_be_visible()
        # Riders go by their display names, read from the API.
        rider = simulation.riders[0]
        named = page.get_by_test_id("task-panel").locator(f'a[data-rider="{rider.name}"]').first
        await expect(named).to_have_text(rider.seeded.spec.display_name)
        await expect(page.get_by_test_id("errors")).to_be_empty()
        await page.screenshot(path=str(screenshots / "console.png"))
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)


async def test_an_assignment_made_by_clicking_is_the_tasks_state(
    console_server: Listeners, channel: grpc.aio.Channel, page: Page
) -> None:
    tenant = unique_tenant()
    riders = await riders_near_centre(channel, tenant, 2)
    off_shift = await LiveRider.create(
        channel, tenant, *CENTRE, plate="KOFF1", on_shift=False, display_name="Zawadi"
    )
    riders.append(off_shift)
    names = {r.name: NAMES[i] for i, r in enumerate(riders[:2])}
    try:
        task = await new_task(channel, tenant, order_id="ORD-202")
        await open_console(page, console_url(console_server, token(tenant)), tasks=1)
        await page.get_by_test_id("task-card").first.click()
        await expect(
            page.get_by_test_id("task-panel").get_by_role("heading", level=2)
        ).to_have_text("Task ORD-202")
        # The rider left out of the ranking says why.
        left_out = page.locator(f'li[data-rider="{off_shift.name}"]')
        await expect(left_out.get_by_role("link")).to_have_text("Zawadi")
        await expect(left_out.get_by_test_id("why-not")).to_contain_text("no shift")
        candidate = page.get_by_test_id("candidate").first
        await expect(candidate).to_be_visible()
        chosen = await candidate.get_attribute("data-rider")
        assert chosen in names
        await page.get_by_test_id("reason").fill("closest rider, customer asked")
        await candidate.get_by_test_id("assign").click()
        await expect(page.get_by_test_id("task-state")).to_have_text("state assigned")
        stored = await task_pb2_grpc.TaskServiceStub(channel).GetTask(
            task_pb2.GetTaskRequest(name=task.name), metadata=auth(tenant)
        )
        assert stored.state == task_pb2.Task.STATE_ASSIGNED
        assert stored.rider == chosen
        events = await task_pb2_grpc.TaskServiceStub(channel).ListTaskEvents(
            task_pb2.ListTaskEventsRequest(parent=task.name), metadata=auth(tenant)
        )
        assert "closest rider, customer asked" in [e.reason for e in events.events]
        # The card names the task and its rider.
        card = page.locator(f'[data-testid="task-card"][data-task="{task.name}"]')
        await expect(card).to_contain_text("ORD-202")
        await expect(card).to_contain_text(f"rider {names[chosen]}")
        # The rider panel: eligibility, the current task by order id, the last hour's track.
        rider_link = page.get_by_test_id("task-panel").locator(f'a[data-rider="{chosen}"]').first
        await expect(rider_link).to_have_text(names[chosen])
        await rider_link.click()
        panel = page.get_by_test_id("rider-panel")
        await expect(panel.get_by_role("heading", name=f"Rider {names[chosen]}")).to_be_visible()
        await expect(page.get_by_test_id("eligibility")).to_have_text("eligible")
        await expect(panel).to_contain_text("track, last hour")
        await expect(panel.locator(f'a[data-task="{task.name}"]')).to_have_text("ORD-202")
        await expect(page.get_by_test_id("errors")).to_be_empty()
    finally:
        await close_all(riders)


async def test_a_route_plan_is_drawn_and_applied_from_the_console(
    console_server: Listeners, channel: grpc.aio.Channel, page: Page
) -> None:
    tenant = unique_tenant()
    riders = await riders_near_centre(channel, tenant, 2)
    try:
        planned = [
            await new_task(channel, tenant, order_id="ORD-301"),
            await new_task(channel, tenant, order_id="ORD-302"),
        ]
        await open_console(page, console_url(console_server, token(tenant)), riders=2, tasks=2)
        await page.get_by_role("button", name="Optimize routes").click()
        await page.get_by_role("button", name="Apply plan").click(timeout=20_000)
        # Applying solves again (2 s of solver time, longer on a loaded machine).
        await expect(page.get_by_role("button", name="Applied")).to_be_disabled(timeout=20_000)
        # Vehicles by their riders' names, stops by order id.
        plan = page.get_by_test_id("routes")
        await expect(plan).to_contain_text(re.compile("Amani|Baraka"))
        await expect(plan).to_contain_text("ORD-301")
        await expect(plan).to_contain_text("ORD-302")
        for task in planned:
            stored = await task_pb2_grpc.TaskServiceStub(channel).GetTask(
                task_pb2.GetTaskRequest(name=task.name), metadata=auth(tenant)
            )
            assert stored.state == task_pb2.Task.STATE_ASSIGNED
            assert stored.rider in {r.name for r in riders}
        await expect(page.get_by_test_id("errors")).to_be_empty()
    finally:
        await close_all(riders)


async def test_an_sla_breach_appears_as_an_alert(
    console_server: Listeners, channel: grpc.aio.Channel, page: Page
) -> None:
    tenant = unique_tenant()
    [rider] = await riders_near_centre(channel, tenant, 1)
    try:
        await open_console(page, console_url(console_server, token(tenant)), riders=1)
        task = await new_task(
            channel, tenant, deadline=datetime.now(UTC) + timedelta(seconds=2), order_id="ORD-404"
        )
        await dispatch_pb2_grpc.DispatchServiceStub(channel).AssignTask(
            dispatch_pb2.AssignTaskRequest(task=task.name, rider=rider.name, reason="test"),
            metadata=auth(tenant),
        )
        alert = page.locator('[data-testid="alert"][data-type="task.sla_breached"]')
        await expect(alert).to_be_visible(timeout=20_000)
        # It names its rider and its task, each a link.
        await expect(alert.get_by_role("link", name="rider Amani")).to_be_visible()
        await alert.get_by_role("link", name="task ORD-404").click()
        panel = page.get_by_test_id("task-panel")
        await expect(panel.get_by_role("heading", level=2)).to_have_text("Task ORD-404")
        await expect(panel).to_contain_text(task.name.rsplit("/", 1)[1])
    finally:
        await rider.close()


async def test_a_read_only_token_cannot_assign(
    console_server: Listeners, channel: grpc.aio.Channel, page: Page
) -> None:
    tenant = unique_tenant()
    riders = await riders_near_centre(channel, tenant, 1)
    try:
        task = await new_task(channel, tenant)
        read_only = console_url(console_server, token(tenant, ["logistics:read"]))
        await open_console(page, read_only, riders=1, tasks=1)
        await expect(page.get_by_test_id("mode")).to_have_text("read-only")
        await page.get_by_test_id("task-card").first.click()
        override = page.locator(f'li[data-rider="{riders[0].name}"]')
        await expect(override.get_by_test_id("assign")).to_be_disabled()
        await expect(page.get_by_test_id("reason")).to_be_disabled()
        await expect(page.get_by_test_id("auto-dispatch")).to_be_disabled()
        await expect(page.get_by_test_id("cancel")).to_be_disabled()
        stored = await task_pb2_grpc.TaskServiceStub(channel).GetTask(
            task_pb2.GetTaskRequest(name=task.name), metadata=auth(tenant)
        )
        assert stored.state == task_pb2.Task.STATE_CREATED
    finally:
        await close_all(riders)


async def test_the_tracking_page_follows_a_task_to_completion(
    console_server: Listeners, channel: grpc.aio.Channel, browser: Browser, screenshots: Path
) -> None:
    tenant = unique_tenant()
    [rider] = await riders_near_centre(channel, tenant, 1)
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    try:
        task = await new_task(channel, tenant, proofs=(Step.PROOF_KIND_RECIPIENT_NAME,))
        await dispatch_pb2_grpc.DispatchServiceStub(channel).AssignTask(
            dispatch_pb2.AssignTaskRequest(task=task.name, rider=rider.name, reason="test"),
            metadata=auth(tenant),
        )
        phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = await phone.new_page()
        # A tracking token as `logistics token --task` mints it: no scope at all.
        tracking = mint_token(JWT_SECRET, tenant=tenant, scopes=[], task_id=task.name[-36:])
        await page.goto(f"{console_server.http_url}/track/#token={tracking}")
        await expect(page.get_by_test_id("timeline")).to_contain_text("Rider assigned")
        async with driving([rider], east_m=20.0, every_s=0.3):
            await expect(page.get_by_test_id("seen")).to_contain_text("Your rider was here at")
            await expect(page.get_by_test_id("eta")).to_contain_text("Arriving in about")
            # No routing engine here: the page says the ETA is a straight-line estimate.
            await expect(page.get_by_test_id("eta-source")).to_have_text("(straight-line estimate)")
            await tasks.StartTask(task_pb2.StartTaskRequest(name=task.name), metadata=auth(tenant))
            await expect(page.get_by_test_id("timeline")).to_contain_text("On the way")
            await tasks.ArriveAtStep(
                task_pb2.ArriveAtStepRequest(name=task.name, step_id="0"), metadata=auth(tenant)
            )
            await tasks.CompleteStep(
                task_pb2.CompleteStepRequest(name=task.name, step_id="0"), metadata=auth(tenant)
            )
            await tasks.ArriveAtStep(
                task_pb2.ArriveAtStepRequest(name=task.name, step_id="1"), metadata=auth(tenant)
            )
            await expect(page.get_by_test_id("timeline")).to_contain_text("Rider has arrived")
            proof = task_pb2.Proof(kind=Step.PROOF_KIND_RECIPIENT_NAME, text="Njeri")
            await tasks.CompleteStep(
                task_pb2.CompleteStepRequest(name=task.name, step_id="1", proofs=[proof]),
                metadata=auth(tenant),
            )
        await expect(page.get_by_test_id("eta")).to_have_text("Delivered")
        await expect(page.get_by_test_id("proof")).to_contain_text("received by Njeri")
        await expect(page.get_by_test_id("error")).to_be_hidden()
        await page.screenshot(path=str(screenshots / "tracking.png"))
        await phone.close()
        # The tracking token reads the proofs of its own task only.
        other = await new_task(channel, tenant)
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await tasks.ListProofs(
                task_pb2.ListProofsRequest(parent=other.name), metadata=bearer(tracking)
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        await rider.close()
