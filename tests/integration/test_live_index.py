"""The live index on a real Redis: its Lua ingest against the pure sequence rule, positions
that never go back in time, cells, nearest riders, the offline sweep across replicas, and
recovery after Redis loses a tenant's keys. Each test works under its own tenant prefix."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
import redis.exceptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logistics.domain.errors import Unavailable
from logistics.domain.telemetry import EARTH_RADIUS_M, Ping, SequenceState, advance, epoch_us
from logistics.geo.live_index import LiveIndex
from tests.support.auth import unique_tenant
from tests.support.servers import ServerUrls

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NAIROBI = (-1.2864, 36.8172)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def offset(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def ping(sequence: int, seconds: float = 0.0, at: tuple[float, float] = NAIROBI) -> Ping:
    return Ping(sequence, epoch_us(T0 + timedelta(seconds=seconds)), at[0], at[1], accuracy_m=5.0)


async def drop_tenant_keys(client: aioredis.Redis, tenant: str) -> int:
    """What losing Redis looks like for one tenant: every key under its prefix gone."""
    deleted = 0
    async for key in client.scan_iter(match=f"{LiveIndex.prefix(tenant)}*", count=500):
        deleted += await client.delete(key)
    return deleted


@pytest.fixture
async def client(server_urls: ServerUrls) -> AsyncIterator[aioredis.Redis]:
    redis_client = aioredis.from_url(server_urls.redis_url)
    yield redis_client
    await redis_client.aclose()


@pytest.fixture
async def tenant(client: aioredis.Redis) -> AsyncIterator[str]:
    slug = unique_tenant()
    yield slug
    await drop_tenant_keys(client, slug)


async def ingest(
    index: LiveIndex,
    tenant: str,
    rider: str,
    pings: list[Ping],
    *,
    now: datetime = T0,
    seed: int = 0,
    invalid: set[int] = frozenset(),  # type: ignore[assignment]
) -> tuple[int, bool, list[int]]:
    ordered = sorted(pings, key=lambda p: p.sequence)
    valid = {p.sequence for p in ordered} - set(invalid)
    result = await index.ingest(tenant, rider, ordered, valid, now, seed)
    return result.contiguous, result.came_online, result.fresh


# --- the ingest script follows domain.telemetry.advance ----------------------------------------

batches = st.lists(
    st.lists(st.integers(1, 30), min_size=1, max_size=10, unique=True), min_size=1, max_size=12
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=batches)
async def test_the_ingest_script_acknowledges_exactly_as_the_domain_rule(
    client: aioredis.Redis, batches: list[list[int]]
) -> None:
    tenant, rider = unique_tenant(), str(uuid.uuid4())
    index = LiveIndex(client)
    state = SequenceState()
    try:
        for i, batch in enumerate(batches):
            state, expected_fresh = advance(state, batch)
            contiguous, _, fresh = await ingest(
                index, tenant, rider, [ping(s, i) for s in batch], now=T0 + timedelta(seconds=i)
            )
            assert (contiguous, fresh) == (state.contiguous, expected_fresh)
    finally:
        await drop_tenant_keys(client, tenant)


async def test_sequences_left_pending_by_a_lost_state_do_not_block_the_acknowledgement(
    client: aioredis.Redis, tenant: str
) -> None:
    """Redis lost the rider's hash but kept its pending set (a partial loss): the stale members
    are at or below the re-seeded position and are dropped, not waited for."""
    index, rider = LiveIndex(client), str(uuid.uuid4())
    assert (await ingest(index, tenant, rider, [ping(s) for s in (1, 2, 4, 6)]))[0] == 2
    await client.delete(f"{LiveIndex.prefix(tenant)}r:{rider}")  # pending {4, 6} survives
    # The app resends from its last ack + 1 (3), with the gap at 5 filled this time.
    contiguous, _, fresh = await ingest(index, tenant, rider, [ping(s, 10) for s in (7, 9)], seed=6)
    assert (contiguous, fresh) == (7, [7, 9])
    assert (await ingest(index, tenant, rider, [ping(8, 11)]))[0] == 9
    assert await client.zcard(f"{LiveIndex.prefix(tenant)}p:{rider}") == 0


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(riders=st.lists(batches, min_size=2, max_size=6))
async def test_riders_ingesting_in_the_same_turn_share_a_call_and_each_gets_its_own_answer(
    client: aioredis.Redis, riders: list[list[list[int]]]
) -> None:
    tenant = unique_tenant()
    index = LiveIndex(client)
    ids = [str(uuid.uuid4()) for _ in riders]
    states = [SequenceState() for _ in riders]
    try:
        for step in range(max(len(b) for b in riders)):
            moving = [i for i, b in enumerate(riders) if step < len(b)]
            expected = {}
            for i in moving:
                states[i], fresh = advance(states[i], riders[i][step])
                expected[i] = (states[i].contiguous, fresh)
            got = await asyncio.gather(
                *(
                    ingest(index, tenant, ids[i], [ping(s, step) for s in riders[i][step]])
                    for i in moving
                )
            )
            assert {i: (c, f) for i, (c, _, f) in zip(moving, got, strict=True)} == expected
    finally:
        await drop_tenant_keys(client, tenant)


async def test_a_replayed_batch_is_not_fresh_and_does_not_move_the_acknowledgement(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    assert await ingest(index, tenant, rider, [ping(1), ping(2), ping(4)]) == (2, True, [1, 2, 4])
    assert await ingest(index, tenant, rider, [ping(1), ping(2), ping(4)]) == (2, False, [])
    assert await ingest(index, tenant, rider, [ping(3), ping(4)]) == (4, False, [3])


# --- positions ---------------------------------------------------------------------------------


async def test_an_older_ping_never_moves_the_rider_back(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    newest = offset(500)
    await ingest(index, tenant, rider, [ping(2, 10, newest)])
    # A buffered ping from before arrives late, with a higher sequence in the same batch as an
    # even older one: neither replaces the newer position.
    await ingest(index, tenant, rider, [ping(1, 0, offset(0)), ping(3, 5, offset(900))])
    position = await index.rider(tenant, rider)
    assert position is not None
    assert (position.latitude, position.longitude) == pytest.approx(newest)
    assert position.record_time == T0 + timedelta(seconds=10)


async def test_the_newest_valid_ping_of_a_batch_sets_the_position(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    pings = [ping(1, 0, offset(0)), ping(2, 20, offset(200)), ping(3, 30, offset(5000))]
    await ingest(index, tenant, rider, pings, invalid={3})  # 3 failed the checks
    position = await index.rider(tenant, rider)
    assert position is not None
    assert (position.latitude, position.longitude) == pytest.approx(offset(200))
    assert position.online


async def test_a_rider_that_moves_cell_leaves_the_old_cell(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    here, there = NAIROBI, offset(3000)
    old_cell, new_cell = index.cell_of(*here), index.cell_of(*there)
    assert old_cell != new_cell
    await ingest(index, tenant, rider, [ping(1, 0, here)])
    assert [p.rider_id for p in await index.riders_in_cells(tenant, [old_cell], T0)] == [rider]
    await ingest(index, tenant, rider, [ping(2, 60, there)], now=T0 + timedelta(seconds=60))
    later = T0 + timedelta(seconds=60)
    assert await index.riders_in_cells(tenant, [old_cell], later) == []
    assert [p.rider_id for p in await index.riders_in_cells(tenant, [new_cell], later)] == [rider]
    assert await client.zscore(f"{index.prefix(tenant)}c:{old_cell}", rider) is None


async def test_riders_near_are_nearest_first_and_leave_out_stale_and_distant_riders(
    client: aioredis.Redis, tenant: str
) -> None:
    index = LiveIndex(client, stale_after_s=60)
    now = T0 + timedelta(minutes=10)
    placed = {"r300": offset(0, 300), "r50": offset(50), "r120": offset(-120), "far": offset(4000)}
    for name, at in placed.items():
        await ingest(index, tenant, name, [ping(1, 590, at)], now=now)
    # Last seen two minutes ago: stale, though nearest of all.
    await ingest(index, tenant, "stale", [ping(1, 470, offset(10))], now=now - timedelta(minutes=2))
    near = await index.riders_near(tenant, *NAIROBI, 1000, now)
    assert [p.rider_id for p, _ in near] == ["r50", "r120", "r300"]
    assert [d for _, d in near] == pytest.approx([50, 120, 300], abs=1)
    stale = await index.rider(tenant, "stale")
    assert stale is not None
    assert stale.last_seen == now - timedelta(minutes=2)


# --- presence ---------------------------------------------------------------------------------


async def test_two_replicas_sweeping_at_once_turn_each_rider_offline_once(
    server_urls: ServerUrls, client: aioredis.Redis, tenant: str
) -> None:
    riders = [f"rider-{i}" for i in range(30)]
    index = LiveIndex(client)
    for i, rider in enumerate(riders):
        await ingest(index, tenant, rider, [ping(1, 0, offset(i * 10))])
    fresh = "fresh-rider"
    await ingest(index, tenant, fresh, [ping(1, 0)], now=T0 + timedelta(minutes=5))
    other_client = aioredis.from_url(server_urls.redis_url)
    try:
        a, b = LiveIndex(client), LiveIndex(other_client)
        cutoff = T0 + timedelta(minutes=2)
        results = await asyncio.gather(
            *(replica.sweep_offline(tenant, cutoff) for replica in (a, b, a, b))
        )
    finally:
        await other_client.aclose()
    turned = [rider for result in results for rider, _ in result]
    assert sorted(turned) == sorted(riders)
    assert {seen for result in results for _, seen in result} == {T0}
    assert await index.sweep_offline(tenant, cutoff) == []
    gone = await index.rider(tenant, riders[0])
    assert gone is not None
    assert not gone.online
    still = await index.rider(tenant, fresh)
    assert still is not None
    assert still.online


async def test_a_rider_swept_offline_comes_back_online_with_its_next_ping(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    await ingest(index, tenant, rider, [ping(1)])
    assert [r for r, _ in await index.sweep_offline(tenant, T0)] == [rider]
    assert await index.riders_near(tenant, *NAIROBI, 100, T0) == []
    later = T0 + timedelta(minutes=3)
    assert await ingest(index, tenant, rider, [ping(2, 180)], now=later) == (2, True, [2])
    assert [p.rider_id for p, _ in await index.riders_near(tenant, *NAIROBI, 100, later)] == [rider]


# --- loss ------------------------------------------------------------------------------------


async def test_after_redis_loses_the_tenant_the_next_ingest_refills_it_from_the_seed(
    client: aioredis.Redis, tenant: str
) -> None:
    index, rider = LiveIndex(client), str(uuid.uuid4())
    await ingest(index, tenant, rider, [ping(s, s) for s in range(1, 6)])
    assert await drop_tenant_keys(client, tenant) > 0
    assert await index.rider(tenant, rider) is None
    # The stream still knows it acknowledged 5: replays stay old, new pings are fresh.
    later = T0 + timedelta(seconds=30)
    result = await ingest(
        index, tenant, rider, [ping(4, 4), ping(5, 5), ping(6, 6), ping(7, 7)], now=later, seed=5
    )
    assert result == (7, True, [6, 7])
    position = await index.rider(tenant, rider)
    assert position is not None
    assert position.record_time == T0 + timedelta(seconds=7)
    assert [p.rider_id for p, _ in await index.riders_near(tenant, *NAIROBI, 50, later)] == [rider]
    # Once refilled, the stored state wins over a stale seed.
    assert await ingest(index, tenant, rider, [ping(8, 8)], now=later, seed=2) == (8, False, [8])


async def test_an_outage_is_unavailable_but_a_script_bug_stays_what_it_is(
    client: aioredis.Redis,
) -> None:
    index = LiveIndex(client)
    broken = index.script("return redis.call('NO_SUCH_COMMAND')")
    with pytest.raises(redis.exceptions.ResponseError):
        await broken(keys=["lg:{t}:x"], args=[])

    gone = LiveIndex(aioredis.Redis(port=1, socket_connect_timeout=0.5))
    with pytest.raises(Unavailable) as raised:
        await gone.register_tenant("t")
    assert raised.value.reason == "REDIS_UNAVAILABLE"
