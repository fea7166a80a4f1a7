"""Address-only steps end to end, over gRPC and Connect, with the worker's timers running and a
real HTTP server speaking Nominatim's search API: an address resolves in the background; a
weak answer or none leaves the task ``needs_address`` with its candidates, listed for the
dispatchers and refused by every dispatch; a dispatcher resolves it by UpdateTask; an outage
leaves the task waiting, never failing its create, and is retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import grpc
import pytest
from bengobox.logistics.v1 import dispatch_pb2, task_connect, task_pb2
from google.protobuf import field_mask_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import token, unique_tenant
from tests.support.errors import fails
from tests.support.nominatim import FakeNominatim
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import DROP_OFF, Api, Step, pickup

pytestmark = pytest.mark.e2e

A = task_pb2
HOUSE = ("12 Kenyatta Avenue, Nairobi, Kenya", -1.2841, 36.8233, 30)
STREET = ("Moi Avenue, Nairobi, Kenya", -1.2830, 36.8250, 26)
TOWN = ("Moi Avenue, Mombasa, Kenya", -4.0600, 39.6700, 26)
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


@pytest.fixture(scope="module")
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim(
        {
            "12 kenyatta avenue": [HOUSE],
            "moi avenue": [STREET, TOWN],
            "7 outage lane": [HOUSE],
            "3 connect close": [HOUSE],
            "9 slow street": [HOUSE],
        }
    ).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def geocoding(server_urls: ServerUrls, nominatim: FakeNominatim) -> AsyncIterator[Listeners]:
    async with server_in_process(server_urls, run_timers=True, **nominatim.settings()) as running:
        yield running


@pytest.fixture
async def api(
    geocoding: Listeners, store: Store, database: Database, nominatim: FakeNominatim
) -> AsyncIterator[Api]:
    nominatim.mode = "ok"
    async with grpc.aio.insecure_channel(geocoding.grpc_target) as channel:
        yield Api(channel, unique_tenant(), store, database)


def by_address(address: str) -> task_pb2.TaskStep:
    return Step(kind=DROP_OFF, address=address)


async def test_an_address_resolves_in_the_background(api: Api, nominatim: FakeNominatim) -> None:
    created = await api.create(pickup(), by_address("12 Kenyatta Avenue"))
    assert created.needs_address
    assert created.steps[1].address_state == A.ADDRESS_STATE_PENDING
    assert created.steps[0].address_state == A.ADDRESS_STATE_GIVEN
    task = await api.geocoded(created.name)
    assert task.steps[1].address_state == A.ADDRESS_STATE_RESOLVED
    assert not task.needs_address
    location = task.steps[1].location
    assert (location.latitude, location.longitude) == pytest.approx(HOUSE[1:3])
    assert [c.label for c in task.steps[1].address_candidates] == [HOUSE[0]]
    asked = next(r for r in nominatim.requests if r["q"] == "12 Kenyatta Avenue")
    assert asked["countrycodes"] == "ke"
    assert "viewbox" in asked  # near the pickup
    trail = await api.events(created.name)
    assert (trail[-1].type, trail[-1].actor) == ("updated", "system")
    subject, data = (await api.outbox(created.name))[-1]
    assert subject == "logistics.task.updated"
    assert data["changed"] == ["steps[1].location", "steps[1].address_state"]


async def test_a_weak_answer_waits_for_a_dispatcher_who_picks_a_candidate(api: Api) -> None:
    created = await api.create(pickup(), by_address("Moi Avenue"))
    task = await api.geocoded(created.name)
    assert task.needs_address
    assert task.steps[1].address_state == A.ADDRESS_STATE_NEEDS_ADDRESS
    candidates = task.steps[1].address_candidates
    assert [c.label for c in candidates] == [STREET[0], TOWN[0]]
    assert candidates[0].confidence == pytest.approx(26 / 30, abs=1e-3)
    assert created.name in await api.listed(needs_address=True)
    # Never dispatched to a guess: every way to a rider refuses it, and says why.
    rider = await api.rider()
    await fails(api.assign(created.name, rider), FAILED_PRECONDITION, "NEEDS_ADDRESS")
    await fails(
        api.dispatch.AutoDispatch(
            dispatch_pb2.AutoDispatchRequest(task=created.name), metadata=api.md
        ),
        FAILED_PRECONDITION,
        "NEEDS_ADDRESS",
    )
    await fails(
        api.dispatch.FindNearestRiders(
            dispatch_pb2.FindNearestRidersRequest(parent=api.parent, task=created.name),
            metadata=api.md,
        ),
        FAILED_PRECONDITION,
        "NEEDS_ADDRESS",
    )
    task.steps[1].location.CopyFrom(candidates[0].location)
    picked = await api.tasks.UpdateTask(
        A.UpdateTaskRequest(task=task, update_mask=field_mask_pb2.FieldMask(paths=["steps"])),
        metadata=api.md,
    )
    assert not picked.needs_address
    assert picked.steps[1].address_state == A.ADDRESS_STATE_GIVEN
    assert list(picked.steps[1].address_candidates) == []
    assert created.name not in await api.listed(needs_address=True)
    assert created.name in await api.listed()
    await api.assign(created.name, rider)
    assert (await api.get(created.name)).state == A.Task.STATE_ASSIGNED


async def test_an_address_nobody_knows_waits_with_no_candidates(api: Api) -> None:
    created = await api.create(pickup(), by_address("Nowhere Street 0"))
    task = await api.geocoded(created.name)
    assert task.needs_address
    assert task.steps[1].address_state == A.ADDRESS_STATE_NEEDS_ADDRESS
    assert list(task.steps[1].address_candidates) == []


async def test_an_outage_leaves_the_task_waiting_and_is_retried(
    api: Api, nominatim: FakeNominatim
) -> None:
    nominatim.mode = "error"
    created = await api.create(pickup(), by_address("7 Outage Lane"))  # the create succeeds
    # The retry after an outage (30 s), not the lease of a try under way (2 min).
    timer = (
        "SELECT due_time BETWEEN now() + interval '10 seconds' AND now() + interval '60 seconds'"
        " AS later FROM timers"
        " WHERE subject_id = $1 AND kind = 'task.geocode' AND fire_time IS NULL"
    )
    task_id = created.name.rsplit("/", 1)[1]
    deadline = time.monotonic() + 15
    while not any(r["later"] for r in await api.sql(timer, task_id)):
        assert time.monotonic() < deadline, "the failed try set no later retry"
        await asyncio.sleep(0.1)
    waiting = await api.get(created.name)
    assert waiting.needs_address
    assert waiting.steps[1].address_state == A.ADDRESS_STATE_PENDING
    nominatim.mode = "ok"
    await api.sql(
        "UPDATE timers SET due_time = now() WHERE subject_id = $1 AND kind = 'task.geocode'"
        " AND fire_time IS NULL",
        task_id,
    )
    task = await api.geocoded(created.name)
    assert task.steps[1].address_state == A.ADDRESS_STATE_RESOLVED
    assert not task.needs_address


async def test_a_slow_geocoder_holds_no_transaction_open(
    api: Api, nominatim: FakeNominatim, server_urls: ServerUrls
) -> None:
    nominatim.mode, nominatim.delay_s = "slow", 2.0  # under the 3 s timeout
    asked = len(nominatim.requests)
    created = await api.create(pickup(), by_address("9 Slow Street"))  # not in the cache
    deadline = time.monotonic() + 10
    while not any(r["q"] == "9 Slow Street" for r in nominatim.requests[asked:]):
        assert time.monotonic() < deadline, "the geocoder was not asked"
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.2)  # well into the geocoder's answer
    # As the database's owner: another role's sessions show no state.
    owner = await asyncpg.connect(server_urls.database_url)
    try:
        open_transactions = await owner.fetch(
            """SELECT pid, query FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND state LIKE 'idle in transaction%'
                 AND now() - xact_start > interval '1 second'"""
        )
    finally:
        await owner.close()
    assert open_transactions == []
    task = await api.geocoded(created.name, within=15)
    assert task.steps[1].address_state == A.ADDRESS_STATE_RESOLVED
    leftover = await api.sql(
        "SELECT 1 FROM timers WHERE subject_id = $1 AND fire_time IS NULL",
        created.name.rsplit("/", 1)[1],
    )
    assert [r for r in leftover] == []  # the lease is gone once the answer is applied


async def test_a_step_needs_a_location_or_an_address(api: Api) -> None:
    fields = await fails(
        api.create(pickup(), Step(kind=DROP_OFF)), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert fields == {"task.steps[1].location"}
    assert await api.listed() == []


async def test_an_address_only_task_over_connect(geocoding: Listeners, api: Api) -> None:
    client = task_connect.TaskServiceClient(geocoding.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject='dispatcher-wanjiru')}"}
    created = await client.create_task(
        api.create_request(pickup(), by_address("3 Connect Close")),
        headers=headers,
    )
    assert created.needs_address
    task = await api.geocoded(created.name)
    listed = await client.list_tasks(
        A.ListTasksRequest(parent=api.parent, needs_address=False), headers=headers
    )
    assert [t.name for t in listed.tasks] == [created.name]
    assert task.steps[1].address_state == A.ADDRESS_STATE_RESOLVED
