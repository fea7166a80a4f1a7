"""Tasks that wait for an address, in the console in a real headless Chromium, against a real
server whose worker geocodes through a real HTTP server speaking Nominatim's search API: the
board marks and counts them and filters to them; the task panel shows the address as given and
the geocoder's candidates (listed and pinned on the map); a dispatcher picks one, places a pin
or types coordinates, after which the task is dispatchable, and an edit made meanwhile by
someone else is refused by its etag, said in words and read again. The first takes
``console-address.png`` (``make screenshots``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from bengobox.logistics.v1 import task_pb2
from google.protobuf import field_mask_pb2
from playwright.async_api import Page, expect

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.browser import open_console
from tests.support.live_riders import LiveRider, moved
from tests.support.nominatim import FakeNominatim
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import DROP_OFF, Api, Step, drop_off, pickup

pytestmark = pytest.mark.e2e

A = task_pb2
PICKUP_AT = (-1.2833, 36.8167)  # where tests.support.tasks.pickup() is
STREET = ("Moi Avenue, Nairobi, Kenya", -1.2830, 36.8250, 26)
TOWN = ("Moi Avenue, Mombasa, Kenya", -4.0600, 39.6700, 26)


@pytest.fixture(scope="module")
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim({"moi avenue": [STREET, TOWN]}).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def geocoding(server_urls: ServerUrls, nominatim: FakeNominatim) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls, run_timers=True, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2", **nominatim.settings()
    ) as running:
        yield running


@pytest.fixture
async def channel(geocoding: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(geocoding.grpc_target) as opened:
        yield opened


@pytest.fixture
def api(channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(channel, unique_tenant(), store, database)


def console_url(server: Listeners, tenant: str, zoom: int = 15) -> str:
    at = f"{PICKUP_AT[0]},{PICKUP_AT[1]},{zoom}"
    return f"{server.http_url}/console/#token={token(tenant)}&at={at}"


async def test_a_dispatcher_picks_a_candidate_for_an_ambiguous_address(
    geocoding: Listeners, channel: grpc.aio.Channel, api: Api, page: Page, screenshots: Path
) -> None:
    """Takes docs/images/console-address.png (``make screenshots``)."""
    rider = await LiveRider.create(
        channel, api.tenant, *moved(*PICKUP_AT, -200.0, -200.0), plate="KADR1", display_name="Amani"
    )
    try:
        located = await api.create(pickup(), drop_off(), order_id="ORD-501")
        created = await api.create(
            pickup(), Step(kind=DROP_OFF, address="Moi Avenue"), order_id="ORD-502"
        )
        waiting = await api.geocoded(created.name)
        assert waiting.steps[1].address_state == A.ADDRESS_STATE_NEEDS_ADDRESS

        # The board: a badge on the task that waits, a count, and a filter to it.
        await open_console(page, console_url(geocoding, api.tenant), tasks=2)
        card = page.locator(f'[data-testid="task-card"][data-task="{created.name}"]')
        other = page.locator(f'[data-testid="task-card"][data-task="{located.name}"]')
        await expect(card.get_by_test_id("needs-address")).to_have_text("needs address")
        await expect(other.get_by_test_id("needs-address")).to_be_hidden()
        await expect(page.get_by_test_id("address-count")).to_have_text("1")
        await page.get_by_label("needs address").check()
        await expect(page.get_by_test_id("task-card")).to_have_count(1)
        await expect(card).to_contain_text("ORD-502")

        # The panel: the address as given, the candidates with their confidence, on the map.
        await card.click()
        panel = page.get_by_test_id("task-panel")
        await expect(panel.get_by_test_id("task-needs-address")).to_be_visible()
        await expect(panel.get_by_test_id("given-address")).to_have_text("Moi Avenue")
        candidates = panel.get_by_test_id("address-candidate")
        await expect(candidates).to_have_count(2)
        await expect(candidates.nth(0)).to_contain_text(f"{STREET[0]} 87%")
        await expect(candidates.nth(1)).to_contain_text(f"{TOWN[0]} 87%")
        await expect(page.get_by_test_id("candidate-pin")).to_have_count(2)
        for label in (STREET[0], TOWN[0]):
            pin = page.locator(f'[data-testid="candidate-pin"][title="{label}"]')
            await expect(pin).to_be_in_viewport()  # the map was fitted to show both
        # Never dispatched to a guess: the console does not offer it.
        await expect(panel.get_by_test_id("auto-dispatch")).to_be_disabled()
        await expect(panel).to_contain_text("(dispatch waits for the address)")
        await page.screenshot(path=str(screenshots / "console-address.png"))

        # Someone else edits the task meanwhile: the pick is refused by its etag, said so, and
        # the task read again; nothing changed.
        await api.tasks.UpdateTask(
            A.UpdateTaskRequest(
                task=A.Task(name=created.name, notes="gate code 4411"),
                update_mask=field_mask_pb2.FieldMask(paths=["notes"]),
            ),
            metadata=api.md,
        )
        await candidates.nth(0).get_by_test_id("use-candidate").click()
        notice = panel.get_by_test_id("notice")
        await expect(notice).to_contain_text("this task changed since it was read (ETAG_MISMATCH)")
        still = await api.get(created.name)
        assert still.needs_address
        assert still.notes == "gate code 4411"

        # Picked again on the task as it is now: resolved, off the filtered board.
        await (
            panel.get_by_test_id("address-candidate").nth(0).get_by_test_id("use-candidate").click()
        )
        await expect(panel.get_by_test_id("task-needs-address")).to_have_count(0)
        await expect(notice).to_be_empty()
        await expect(page.get_by_test_id("candidate-pin")).to_have_count(0)
        await expect(panel.get_by_test_id("addresses")).to_contain_text(
            "drop-off: Moi Avenue — location given"
        )
        await expect(page.get_by_test_id("address-count")).to_have_text("0")
        await expect(page.get_by_test_id("task-card")).to_have_count(0)
        await page.get_by_label("needs address").uncheck()
        await expect(card.get_by_test_id("needs-address")).to_be_hidden()

        # Through the API: the step is where the candidate is, and the task is dispatchable.
        fixed = await api.get(created.name)
        assert not fixed.needs_address
        assert fixed.steps[1].address_state == A.ADDRESS_STATE_GIVEN
        assert fixed.steps[1].address == "Moi Avenue"
        location = fixed.steps[1].location
        assert (location.latitude, location.longitude) == pytest.approx(STREET[1:3])
        assert created.name not in await api.listed(needs_address=True)
        nearest = panel.get_by_test_id("candidate").first
        await expect(nearest).to_have_attribute("data-rider", rider.name)
        await nearest.get_by_test_id("assign").click()
        await expect(panel.get_by_test_id("task-state")).to_have_text("state assigned")
        assert (await api.get(created.name)).state == A.Task.STATE_ASSIGNED
        await expect(page.get_by_test_id("errors")).to_be_empty()
    finally:
        await rider.close()


async def test_an_address_nobody_knows_is_placed_by_a_pin_or_typed(
    geocoding: Listeners, api: Api, page: Page
) -> None:
    created = await api.create(
        pickup(), Step(kind=DROP_OFF, address="Nowhere Street 0"), order_id="ORD-503"
    )
    assert (await api.geocoded(created.name)).needs_address
    await open_console(page, console_url(geocoding, api.tenant), tasks=1)
    await page.get_by_test_id("task-card").click()
    panel = page.get_by_test_id("task-panel")
    await expect(panel.get_by_test_id("waiting-step")).to_contain_text("the geocoder found nothing")
    await expect(panel.get_by_test_id("address-candidate")).to_have_count(0)

    # A pin placed in the middle of the map (opened at the pickup) fills the coordinates.
    await panel.get_by_test_id("place-pin").click()
    box = await page.get_by_test_id("map").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await expect(page.get_by_test_id("placed-pin")).to_be_visible()
    coordinates = panel.get_by_test_id("coordinates")
    lat, lng = (float(n) for n in (await coordinates.input_value()).split(","))
    assert (lat, lng) == pytest.approx(PICKUP_AT, abs=2e-4)

    # Bad input says what it wants and changes nothing.
    await coordinates.fill("near the market")
    await panel.get_by_test_id("set-location").click()
    await expect(page.get_by_test_id("error").first).to_contain_text("Set location: type the")
    assert (await api.get(created.name)).needs_address

    await coordinates.fill("-1.29000, 36.82000")
    await panel.get_by_test_id("set-location").click()
    await expect(panel.get_by_test_id("task-needs-address")).to_have_count(0)
    fixed = await api.get(created.name)
    assert not fixed.needs_address
    location = fixed.steps[1].location
    assert (location.latitude, location.longitude) == pytest.approx((-1.29, 36.82))
