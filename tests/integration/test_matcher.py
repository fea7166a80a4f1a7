"""Nearest available riders on a real Redis: ``Matcher.nearest`` returns exactly what a brute
force over every rider returns (the nearest ``count`` within the radius that are fresh,
eligible, free and fit the need, nearest first, ties by id), one filter at a time and on random
rider sets. Riders are written through ``LiveIndex.ingest`` and ``set_profile``; each test (and
each generated example) uses its own tenant."""

from __future__ import annotations

import asyncio
import math
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import EARTH_RADIUS_M, Ping, epoch_ms, epoch_us, haversine_m
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import DispatchProfile, Need
from logistics.geo.matcher import Matcher

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NAIROBI = (-1.2864, 36.8172)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
STALE_AFTER_S = 60.0


def offset(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[aioredis.Redis]:
    """``LOGISTICS_TEST_REDIS_URL``, else an embedded Redis (these tests need nothing else)."""
    url = os.environ.get("LOGISTICS_TEST_REDIS_URL")
    embedded = None
    if not url:
        from logistics.embedded import EmbeddedServers

        embedded = EmbeddedServers(
            tmp_path_factory.mktemp("redis"),
            need_postgres=False,
            need_redis=True,
            need_nats=False,
        )
        url = (await embedded.start()).redis_url
    redis_client = aioredis.from_url(str(url))
    yield redis_client
    await redis_client.aclose()
    if embedded is not None:
        await embedded.stop()


async def drop_tenant(client: aioredis.Redis, tenant: str) -> None:
    keys = [k async for k in client.scan_iter(match=f"{LiveIndex.prefix(tenant)}*", count=1000)]
    for start in range(0, len(keys), 1000):
        await client.unlink(*keys[start : start + 1000])


@pytest.fixture
async def tenant(client: aioredis.Redis) -> AsyncIterator[str]:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    yield slug
    await drop_tenant(client, slug)


# --- the riders and the truth ------------------------------------------------------------------


@dataclass(frozen=True)
class Rider:
    rider_id: str
    at: tuple[float, float]
    vehicle: VehicleType | None = VehicleType.MOTORBIKE
    weight_kg: float = 0.0
    volume_l: float = 0.0
    item_count: int = 0
    fleet: str | None = None
    zone: str | None = None
    eligible_until: datetime | None = T0 + timedelta(hours=1)
    busy: bool = False
    offer: str | None = None  # the offer the rider holds ('' once it is withdrawn)
    offer_expire: datetime = T0 + timedelta(minutes=1)
    seen: datetime = T0
    profiled: bool = True

    def available(self, need: Need, now: datetime) -> bool:
        """The contract, stated independently of the script."""
        fresh = (now - self.seen).total_seconds() <= STALE_AFTER_S
        eligible = self.eligible_until is not None and self.eligible_until > now
        free = not self.busy and not (self.offer and self.offer_expire > now)
        if not (self.profiled and fresh and eligible and free):
            return False
        if need.vehicle_types and self.vehicle not in need.vehicle_types:
            return False
        for has, wanted in (
            (self.weight_kg, need.weight_kg),
            (self.volume_l, need.volume_l),
            (self.item_count, need.item_count),
        ):
            if wanted > 0 and has != 0 and has < wanted:
                return False
        if need.fleet_id is not None and self.fleet != need.fleet_id:
            return False
        return need.zone is None or self.zone == need.zone


def brute_force(
    riders: Iterable[Rider],
    at: tuple[float, float],
    *,
    count: int,
    radius_m: float,
    need: Need,
    now: datetime = T0,
) -> list[tuple[str, float]]:
    near = []
    for r in riders:
        distance = haversine_m(at[0], at[1], r.at[0], r.at[1])
        if distance <= radius_m and r.available(need, now):
            near.append((distance, r.rider_id))
    return [(rider, d) for d, rider in sorted(near)[:count]]


async def place(client: aioredis.Redis, tenant: str, riders: Iterable[Rider]) -> None:
    """Each rider through the service's own calls: one ping ingested when it was last seen,
    its dispatch profile, and (there is no call for it here) the offer fields it holds."""
    index = LiveIndex(client, stale_after_s=STALE_AFTER_S)
    gate = asyncio.Semaphore(16)

    async def one(r: Rider) -> None:
        async with gate:
            ping = Ping(
                1, epoch_us(r.seen - timedelta(seconds=1)), r.at[0], r.at[1], accuracy_m=5.0
            )
            await index.ingest(tenant, r.rider_id, [ping], {1}, r.seen, 0)
            if r.profiled:
                profile = DispatchProfile(
                    r.vehicle.value if r.vehicle else None,
                    r.weight_kg,
                    r.volume_l,
                    r.item_count,
                    r.fleet,
                    r.zone,
                    r.eligible_until,
                    r.busy,
                    1 if r.busy else 0,
                )
                await index.set_profile(tenant, r.rider_id, profile)
            if r.offer is not None:
                await client.hset(
                    f"{index.prefix(tenant)}r:{r.rider_id}",
                    mapping={"offer": r.offer, "offer_exp": epoch_ms(r.offer_expire)},
                )

    await asyncio.gather(*(one(r) for r in riders))


async def nearest(
    client: aioredis.Redis,
    tenant: str,
    at: tuple[float, float],
    *,
    count: int = 10,
    radius_m: float = 3000.0,
    need: Need | None = None,
    now: datetime = T0,
) -> list[tuple[str, float]]:
    matcher = Matcher(LiveIndex(client, stale_after_s=STALE_AFTER_S))
    found = await matcher.nearest(
        tenant, at[0], at[1], count=count, radius_m=radius_m, need=need or Need(), now=now
    )
    return [(c.rider_id, c.distance_m) for c in found]


def ids(pairs: list[tuple[str, float]]) -> list[str]:
    return [rider for rider, _ in pairs]


# --- random rider sets -------------------------------------------------------------------------

VEHICLES = list(VehicleType)


def random_rider(rnd: random.Random, i: int, spread_m: float) -> Rider:
    roll = rnd.random()
    return Rider(
        rider_id=f"r{i:03d}",
        at=offset(rnd.uniform(-spread_m, spread_m), rnd.uniform(-spread_m, spread_m)),
        vehicle=None if rnd.random() < 0.1 else rnd.choice(VEHICLES),
        weight_kg=rnd.choice([0.0, 0.0, 5.0, 20.0, 100.0]),
        volume_l=rnd.choice([0.0, 0.0, 10.0, 60.0]),
        item_count=rnd.choice([0, 0, 2, 10]),
        fleet=rnd.choice([None, "f1", "f2"]),
        zone=rnd.choice([None, "z1", "z2"]),
        eligible_until=(
            None
            if roll < 0.08
            else T0 - timedelta(minutes=5)
            if roll < 0.16
            else T0 + timedelta(hours=1)
        ),
        busy=rnd.random() < 0.2,
        offer=rnd.choice([None] * 8 + ["offer-1", ""]),
        seen=T0 - timedelta(seconds=rnd.choice([0] * 9 + [120])),
        profiled=rnd.random() > 0.04,
    )


def random_need(rnd: random.Random) -> Need:
    if rnd.random() < 0.4:
        return Need()
    return Need(
        vehicle_types=frozenset(rnd.sample(VEHICLES, rnd.choice([0, 0, 1, 2, 3]))),
        weight_kg=rnd.choice([0.0, 0.0, 3.0, 50.0]),
        volume_l=rnd.choice([0.0, 0.0, 20.0]),
        item_count=rnd.choice([0, 0, 5]),
        fleet_id=rnd.choice([None, None, "f1"]),
        zone=rnd.choice([None, None, "z2"]),
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.integers(50, 300),
    spread_m=st.sampled_from([300.0, 1000.0, 2500.0, 5000.0]),
    seed=st.integers(0, 2**32 - 1),
)
async def test_nearest_is_the_brute_force_answer_on_random_riders(
    client: aioredis.Redis, size: int, spread_m: float, seed: int
) -> None:
    rnd = random.Random(seed)  # the rider attributes, drawn from one seed to stay small
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    riders = [random_rider(rnd, i, spread_m) for i in range(size)]
    try:
        await place(client, tenant, riders)
        for _ in range(8):
            at = offset(rnd.uniform(-spread_m, spread_m) * 1.2, rnd.uniform(-spread_m, spread_m))
            count = rnd.choice([1, 3, 10, 25])
            radius_m = rnd.choice([150.0, 600.0, 1500.0, 3000.0, 5000.0])
            need = random_need(rnd)
            got = await nearest(client, tenant, at, count=count, radius_m=radius_m, need=need)
            want = brute_force(riders, at, count=count, radius_m=radius_m, need=need)
            assert ids(got) == ids(want), (at, count, radius_m, need)
            assert [d for _, d in got] == pytest.approx([d for _, d in want], abs=1e-6)
    finally:
        await drop_tenant(client, tenant)


async def test_dense_riders_over_many_rings_are_exact(client: aioredis.Redis, tenant: str) -> None:
    """Many riders per cell and answers that end in a far ring: where a nearer rider sits in
    a later ring than a farther one, the walk must not stop early."""
    rnd = random.Random(7)
    riders = [random_rider(rnd, i, 1200.0) for i in range(300)]
    await place(client, tenant, riders)
    for _ in range(30):
        at = offset(rnd.uniform(-1500, 1500), rnd.uniform(-1500, 1500))
        for count in (1, 10, 40):
            got = await nearest(client, tenant, at, count=count, radius_m=3000.0)
            assert got == brute_force(riders, at, count=count, radius_m=3000.0, need=Need())


# --- one filter at a time ----------------------------------------------------------------------

NEAR, FAR = offset(40), offset(-400, 300)
FILTERS = {
    "vehicle type": (
        {"vehicle": VehicleType.MOTORBIKE},
        Need(vehicle_types=frozenset({VehicleType.CAR, VehicleType.VAN})),
    ),
    "no vehicle type when one is needed": (
        {"vehicle": None},
        Need(vehicle_types=frozenset({VehicleType.CAR})),
    ),
    "weight capacity": ({"weight_kg": 5.0}, Need(weight_kg=10.0)),
    "volume capacity": ({"volume_l": 30.0}, Need(volume_l=30.5)),
    "item capacity": ({"item_count": 2}, Need(item_count=3)),
    "fleet": ({"fleet": "f2"}, Need(fleet_id="f1")),
    "no fleet when one is needed": ({"fleet": None}, Need(fleet_id="f1")),
    "zone": ({"zone": "z2"}, Need(zone="z1")),
    "busy": ({"busy": True}, Need()),
    "holding an offer": ({"offer": "offer-123"}, Need()),
    "not eligible": ({"eligible_until": None}, Need()),
    "eligibility ended": ({"eligible_until": T0 - timedelta(seconds=1)}, Need()),
    "eligibility ends now": ({"eligible_until": T0}, Need()),
    "no dispatch profile": ({"profiled": False}, Need()),
    "stale": ({"seen": T0 - timedelta(seconds=STALE_AFTER_S + 1)}, Need()),
}


@pytest.mark.parametrize("name", list(FILTERS))
async def test_a_nearer_rider_that_fails_one_filter_is_passed_over(
    client: aioredis.Redis, tenant: str, name: str
) -> None:
    changes, need = FILTERS[name]
    base = Rider("near", NEAR, vehicle=VehicleType.CAR, fleet="f1", zone="z1")
    near = replace(base, **changes)  # type: ignore[arg-type]
    far = Rider("far", FAR, vehicle=VehicleType.CAR, fleet="f1", zone="z1")
    await place(client, tenant, [near, far])
    assert ids(await nearest(client, tenant, NAIROBI, count=2, need=need)) == ["far"]
    # The same two riders, the near one without the failing attribute, are both found.
    other = f"{tenant}-control"
    try:
        await place(client, other, [replace(base, rider_id="near"), far])
        assert ids(await nearest(client, other, NAIROBI, count=2, need=need)) == ["near", "far"]
    finally:
        await drop_tenant(client, other)


@pytest.mark.parametrize(
    "need",
    [Need(weight_kg=500.0), Need(volume_l=900.0), Need(item_count=99)],
    ids=["weight", "volume", "items"],
)
async def test_zero_capacity_is_unlimited_and_enough_capacity_fits(
    client: aioredis.Redis, tenant: str, need: Need
) -> None:
    unlimited = Rider("unlimited", offset(10))
    enough = Rider("enough", offset(20), weight_kg=500.0, volume_l=900.0, item_count=99)
    short = Rider("short", offset(5), weight_kg=499.0, volume_l=899.0, item_count=98)
    await place(client, tenant, [unlimited, enough, short])
    assert ids(await nearest(client, tenant, NAIROBI, need=need)) == ["unlimited", "enough"]


async def test_an_offer_field_left_empty_does_not_hold_the_rider(
    client: aioredis.Redis, tenant: str
) -> None:
    await place(
        client,
        tenant,
        [Rider("cleared", offset(30), offer=""), Rider("held", offset(10), offer="o")],
    )
    assert ids(await nearest(client, tenant, NAIROBI)) == ["cleared"]


async def test_an_offer_past_its_expiry_does_not_hold_the_rider(
    client: aioredis.Redis, tenant: str
) -> None:
    """As the offer claim decides: a rider whose offer expired unanswered (its dispatcher
    gone before resolving it) may be offered work again."""
    lapsed = Rider("lapsed", offset(30), offer="o1", offer_expire=T0)
    await place(client, tenant, [lapsed, Rider("held", offset(10), offer="o2")])
    assert ids(await nearest(client, tenant, NAIROBI)) == ["lapsed"]


async def test_a_rider_seen_within_stale_after_is_fresh(
    client: aioredis.Redis, tenant: str
) -> None:
    seen = T0 - timedelta(seconds=STALE_AFTER_S - 1)
    await place(client, tenant, [Rider("recent", offset(30), seen=seen)])
    assert ids(await nearest(client, tenant, NAIROBI)) == ["recent"]


# --- radius and emptiness ----------------------------------------------------------------------


async def test_riders_beyond_the_radius_are_left_out_even_when_too_few_are_inside(
    client: aioredis.Redis, tenant: str
) -> None:
    riders = [
        Rider("in-990", offset(990)),
        Rider("in-500", offset(0, -500)),
        Rider("out-1010", offset(-1010)),
        Rider("out-1500", offset(0, 1500)),
    ]
    await place(client, tenant, riders)
    got = await nearest(client, tenant, NAIROBI, count=10, radius_m=1000.0)
    assert ids(got) == ["in-500", "in-990"]
    assert [d for _, d in got] == pytest.approx([500, 990], abs=0.5)
    assert ids(await nearest(client, tenant, NAIROBI, count=10, radius_m=2000.0)) == [
        "in-500",
        "in-990",
        "out-1010",
        "out-1500",
    ]


async def test_nobody_near_gives_an_empty_answer(client: aioredis.Redis, tenant: str) -> None:
    assert await nearest(client, tenant, NAIROBI) == []
    await place(
        client, tenant, [Rider("far-away", offset(5000)), Rider("busy", offset(50), busy=True)]
    )
    assert await nearest(client, tenant, NAIROBI, radius_m=3000.0) == []
    assert ids(await nearest(client, tenant, NAIROBI, radius_m=6000.0)) == ["far-away"]


async def test_count_limits_the_answer_to_the_nearest(client: aioredis.Redis, tenant: str) -> None:
    riders = [Rider(f"r{i}", offset(100 * i + 7, 30 * (i % 3))) for i in range(12)]
    await place(client, tenant, riders)
    got = await nearest(client, tenant, NAIROBI, count=4)
    assert got == brute_force(riders, NAIROBI, count=4, radius_m=3000.0, need=Need())
    assert ids(got) == ["r0", "r1", "r2", "r3"]
