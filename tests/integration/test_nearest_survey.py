"""FindNearestRiders' explain pass on a real Redis: ``Matcher.survey`` judges every rider near
the point by the rules ``nearest`` applies (the brute-force contract of test_matcher), and
names the reasons a rider fails."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import AreaSurvey, Need
from logistics.geo.matcher import Matcher
from tests.integration.test_matcher import (  # noqa: F401  (client, tenant: fixtures)
    NAIROBI,
    STALE_AFTER_S,
    T0,
    Rider,
    client,
    drop_tenant,
    offset,
    place,
    random_need,
    random_rider,
    tenant,
)


async def survey(
    redis_client: aioredis.Redis, slug: str, radius_m: float, need: Need
) -> AreaSurvey:
    matcher = Matcher(LiveIndex(redis_client, stale_after_s=STALE_AFTER_S))
    return await matcher.survey(slug, NAIROBI[0], NAIROBI[1], radius_m=radius_m, need=need, now=T0)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_survey_passes_exactly_the_riders_nearest_would_admit(
    client: aioredis.Redis,  # noqa: F811
    seed: int,
) -> None:
    rnd = random.Random(seed)
    slug = f"t-{uuid.uuid4().hex[:10]}"
    riders = [random_rider(rnd, i, 2000.0) for i in range(200)]
    try:
        await place(client, slug, riders)
        for _ in range(4):
            radius_m, need = rnd.choice([300.0, 1000.0, 2500.0]), random_need(rnd)
            got = await survey(client, slug, radius_m, need)
            within = [r for r in riders if haversine_m(*NAIROBI, *r.at) <= radius_m]
            fresh = [r for r in within if (T0 - r.seen).total_seconds() <= STALE_AFTER_S]
            assert got.examined == len(within)
            assert got.stale == len(within) - len(fresh)
            assert got.outside == sum(
                (T0 - r.seen).total_seconds() <= STALE_AFTER_S for r in riders
            ) - len(fresh)
            passed = {s.rider_id for s in got.riders if not (s.unavailable or s.misfit)}
            assert passed == {r.rider_id for r in fresh if r.available(need, T0)}
            distances = [s.distance_m for s in got.riders]
            assert distances == sorted(distances)
    finally:
        await drop_tenant(client, slug)


async def test_each_rule_a_rider_fails_is_named(
    client: aioredis.Redis,  # noqa: F811
    tenant: str,  # noqa: F811
) -> None:
    base = Rider("x", offset(50), vehicle=VehicleType.CAR, weight_kg=5.0, fleet="f1", zone="z1")
    riders = [
        replace(base, rider_id="ok"),
        replace(base, rider_id="ineligible", eligible_until=None),
        replace(base, rider_id="busy", busy=True),
        replace(base, rider_id="offered", offer="offer-1"),
        replace(base, rider_id="motorbike", vehicle=VehicleType.MOTORBIKE),
        replace(base, rider_id="small", weight_kg=2.0),
        replace(base, rider_id="other-fleet", fleet="f2"),
        replace(base, rider_id="other-zone", zone="z2"),
        replace(base, rider_id="busy-motorbike", busy=True, vehicle=VehicleType.MOTORBIKE),
        replace(base, rider_id="stale", seen=T0 - timedelta(seconds=STALE_AFTER_S + 5)),
        replace(base, rider_id="far", at=offset(5000)),
    ]
    await place(client, tenant, riders)
    need = Need(frozenset({VehicleType.CAR}), weight_kg=3.0, fleet_id="f1", zone="z1")

    got = await survey(client, tenant, 1000.0, need)

    assert (got.examined, got.stale, got.outside) == (10, 1, 1)
    assert {s.rider_id: (s.unavailable, s.misfit) for s in got.riders} == {
        "ok": (None, None),
        "ineligible": ("not eligible", None),
        "busy": ("busy", None),
        "offered": ("holds an open offer", None),
        "motorbike": (None, "vehicle type"),
        "small": (None, "capacity"),
        "other-fleet": (None, "fleet"),
        "other-zone": (None, "zone"),
        "busy-motorbike": ("busy", "vehicle type"),
    }
