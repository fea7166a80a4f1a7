"""Verified completion in the console, in a real headless Chromium against a real server: a
drop-off completed far from its place shows as a flag in the task panel and in its event
trail, and a step completed where it should be shows nothing."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import grpc
import pytest
from playwright.async_api import Page, expect

from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.browser import open_console
from tests.support.live_riders import LiveRider, moved
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, drop_off, pickup, point

pytestmark = pytest.mark.e2e

PICKUP_AT = (-1.2833, 36.8167)  # where tests.support.tasks.pickup() is
FIRST_DROP, SECOND_DROP = (-1.2900, 36.8100), (-1.3000, 36.7800)


@pytest.fixture(scope="module")
async def console_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(server_urls, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2") as running:
        yield running


@pytest.fixture
async def channel(console_server: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(console_server.grpc_target) as opened:
        yield opened


async def test_a_far_completion_is_flagged_in_the_task_panel_and_its_trail(
    console_server: Listeners,
    channel: grpc.aio.Channel,
    store: Store,
    database: Database,
    page: Page,
) -> None:
    api = Api(channel, unique_tenant(), store, database)
    rider = await LiveRider.create(
        channel, api.tenant, *moved(*PICKUP_AT, -50.0, 0.0), plate="KFLG1", display_name="Baraka"
    )
    try:
        task = await api.create(
            pickup(),
            drop_off(location=point(*FIRST_DROP)),
            drop_off(location=point(*SECOND_DROP)),
            order_id="ORD-719",
        )
        await api.assign(task.name, rider.name)
        md = api.rider_md(rider.name)
        await api.start(task.name, md=md)
        here = {"location": point(*PICKUP_AT), "location_accuracy_m": 6}
        await api.arrive(task.name, "0", md=md, **here)
        await api.complete(task.name, "0", md=md, **here)
        await api.arrive(task.name, "1", md=md, location=point(*FIRST_DROP))
        far = point(FIRST_DROP[0] + math.degrees(1500 / EARTH_RADIUS_M), FIRST_DROP[1])
        await api.complete(task.name, "1", md=md, location=far, location_accuracy_m=6)

        at = f"{PICKUP_AT[0]},{PICKUP_AT[1]},13"
        url = f"{console_server.http_url}/console/#token={token(api.tenant)}&at={at}"
        await open_console(page, url, tasks=1)
        await page.locator(f'[data-testid="task-card"][data-task="{task.name}"]').click()
        panel = page.get_by_test_id("task-panel")
        flags = panel.get_by_test_id("completion-flag")
        await expect(flags).to_have_count(1)
        await expect(flags).to_have_text(
            "⚑ step 1 completed 1.5 km away (allowed 100 m + accuracy 6 m)"
        )
        trail = panel.get_by_test_id("trail-flag")
        await expect(trail).to_have_count(1)
        await expect(trail).to_contain_text("completion_flagged by rider-")
        await expect(trail).to_contain_text("completed 1.5 km from the drop-off")
    finally:
        await rider.close()
