"""The cold chain in the console, in a real headless Chromium against a real server: a task
whose goods are out of their range shows the excursion and the newest reading in its panel,
and the excursion's trail entry in red."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from bengobox.logistics.v1 import task_pb2, temperature_pb2
from playwright.async_api import Page, expect

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.browser import open_console
from tests.support.protos import ts
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, drop_off, pickup

pytestmark = pytest.mark.e2e

PICKUP_AT = (-1.2833, 36.8167)  # where tests.support.tasks.pickup() is


@pytest.fixture(scope="module")
async def console_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(server_urls, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2") as running:
        yield running


async def test_an_excursion_shows_in_the_task_panel_and_its_trail(
    console_server: Listeners, store: Store, database: Database, page: Page
) -> None:
    async with grpc.aio.insecure_channel(console_server.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        task = await api.create(
            pickup(),
            drop_off(),
            order_id="ORD-COLD",
            items=[
                task_pb2.TaskItem(sku="ice-cream", min_temperature_c=-25, max_temperature_c=-18)
            ],
        )
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
        readings = [
            temperature_pb2.TemperatureReading(
                probe_id="freezer-2", record_time=ts(start + timedelta(minutes=m)), celsius=-9.5
            )
            for m in range(7)
        ]
        await api.tasks.RecordTemperatures(
            task_pb2.RecordTemperaturesRequest(name=task.name, readings=readings), metadata=api.md
        )
        assert (await api.get(task.name)).temperature_excursion_active

    at = f"{PICKUP_AT[0]},{PICKUP_AT[1]},13"
    url = f"{console_server.http_url}/console/#token={token(api.tenant)}&at={at}"
    await open_console(page, url, tasks=1)
    await page.locator(f'[data-testid="task-card"][data-task="{task.name}"]').click()
    panel = page.get_by_test_id("task-panel")
    line = panel.get_by_test_id("temperature-excursion")
    await expect(line).to_have_count(1)
    await expect(line).to_contain_text("🌡 temperature excursion now; last -9.5 °C on freezer-2")
    trail = panel.get_by_test_id("trail-flag")
    await expect(trail).to_have_count(1)
    await expect(trail).to_contain_text("temperature_excursion by dispatcher-wanjiru")
    await expect(trail).to_contain_text("-9.5 °C on probe freezer-2, outside -25 to -18 °C")
