"""ETAs shown to people (``services.etas.Estimator``) over the OSRM provider and a real HTTP
server speaking OSRM's table API: road answers labelled as such, a bounded wait then the
straight line that says so (the road answer serving the next estimate), one question for
concurrent askers, and a road answer reused while the rider stays near where it was asked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from logistics.domain.batching import Courier, Job
from logistics.domain.clock import SystemClock
from logistics.domain.compliance import Capacity
from logistics.domain.eta import EtaSource
from logistics.domain.ids import TenantSlug
from logistics.domain.telemetry import haversine_m
from logistics.geo.distance import Point, StraightLine
from logistics.geo.osrm import Osrm
from logistics.services.dispatch.warm import warm_travel
from logistics.services.etas import Estimator
from logistics.services.notifications import EstimatedEtas
from tests.support.clocks import ManualClock
from tests.support.osrm import FakeOsrm

RIDER = (-1.2864, 36.8172)
STEP = (-1.2764, 36.8172)  # about 1.1 km north
NEARBY = (-1.2854, 36.8172)  # the rider 110 m on


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    server = FakeOsrm().start()
    yield server
    server.stop()


def estimator(server: FakeOsrm, **kwargs: float) -> Estimator:
    distances = Osrm(server.url, timeout_s=3.0, registry=CollectorRegistry())
    return Estimator(distances, SystemClock(), **kwargs)


async def test_a_road_answer_is_labelled_road_and_reused_scaled_near_where_it_was_asked(
    osrm: FakeOsrm,
) -> None:
    etas = estimator(osrm, refresh_s=60)
    first = await etas.eta(RIDER, STEP)
    assert first.source is EtaSource.ROAD
    assert first.travel_s == pytest.approx(osrm.road(RIDER, STEP)[1], abs=0.1)
    assert (first.arrival - first.computed).total_seconds() == pytest.approx(first.travel_s)
    assert (first.p50, first.p90) == (None, None)
    later = await etas.eta(NEARBY, STEP)
    assert len(osrm.requests) == 1  # reused, not asked again
    assert later.source is EtaSource.ROAD_CACHED
    ratio = haversine_m(*NEARBY, *STEP) / haversine_m(*RIDER, *STEP)
    assert later.travel_s == pytest.approx(first.travel_s * ratio)


async def test_a_slow_road_answer_gives_the_labelled_straight_line_then_serves_the_next(
    osrm: FakeOsrm,
) -> None:
    etas = estimator(osrm, budget_s=0.2, refresh_s=60)
    osrm.mode, osrm.delay_s = "slow", 0.6
    started = time.monotonic()
    now = await etas.eta(RIDER, STEP)
    assert time.monotonic() - started < 0.5  # the bounded wait, not the server's pace
    assert now.source is EtaSource.STRAIGHT_LINE_FALLBACK
    assert now.travel_s == pytest.approx(StraightLine().travel(*RIDER, *STEP, None)[1])
    await asyncio.sleep(0.8)  # the question went on in the background
    assert (await etas.eta(RIDER, STEP)).source is EtaSource.ROAD_CACHED
    assert len(osrm.requests) == 1


async def test_concurrent_estimates_of_one_trip_ask_once(osrm: FakeOsrm) -> None:
    etas = estimator(osrm, refresh_s=0.01)
    answers = await asyncio.gather(*(etas.eta(RIDER, STEP) for _ in range(20)))
    assert {a.source for a in answers} == {EtaSource.ROAD}
    assert len(osrm.requests) == 1


async def test_without_a_routing_engine_every_eta_is_the_straight_line() -> None:
    etas = Estimator(StraightLine(), SystemClock())
    eta = await etas.eta(RIDER, STEP)
    assert eta.source is EtaSource.STRAIGHT_LINE


async def test_a_batch_plan_finds_its_single_task_legs_by_road(osrm: FakeOsrm) -> None:
    distances = Osrm(osrm.url, timeout_s=3.0, registry=CollectorRegistry())
    drop = (-1.2664, 36.8172)
    job = Job("t1", (STEP, drop), STEP, drop, None, True, 0.0, 0.0, 1)
    couriers = [
        Courier(f"r{i}", (RIDER[0] - i * 0.001, RIDER[1]), None, Capacity(0, 0, 0), 1)
        for i in range(3)
    ]
    await warm_travel(distances, couriers, [job], riders_per_task=2)
    assert len(osrm.requests) == 2  # the two nearest riders to the pickup; the pickup to the drop
    for origin, to in ((couriers[0].position, STEP), (couriers[1].position, STEP), (STEP, drop)):
        # The planner's synchronous question now has the road's answer.
        assert distances.travel(*origin, *to, None)[1] == pytest.approx(
            osrm.road(origin, to)[1], abs=0.1
        )
    far = couriers[2].position  # not among the nearest: the line, as before
    assert distances.travel(*far, *STEP, None) == StraightLine().travel(*far, *STEP, None)
    await distances.aclose()


class _Learnt:
    """A tenant's calibration that has learnt its legs take 1.2x (p50) to 1.5x (p90) the
    provider's time; other tenants have none yet."""

    def spread(
        self, tenant: TenantSlug, raw_s: float, origin: Point, at: datetime
    ) -> tuple[float, float] | None:
        return (raw_s * 1.2, raw_s * 1.5) if tenant == "learnt" else None


async def test_a_calibrated_tenant_gets_a_p50_and_p90_and_the_expected_arrival_is_the_p50() -> None:
    etas = Estimator(StraightLine(), SystemClock(), spread=_Learnt())
    origin, destination = (-1.2864, 36.8172), (-1.3000, 36.7800)
    plain = await etas.eta(origin, destination, tenant=TenantSlug("new"))
    assert (plain.p50, plain.p90, plain.expected) == (None, None, plain.arrival)
    eta = await etas.eta(origin, destination, tenant=TenantSlug("learnt"))
    assert eta.p50 is not None
    assert eta.p90 is not None
    assert (eta.p50 - eta.computed).total_seconds() == pytest.approx(eta.travel_s * 1.2)
    assert (eta.p90 - eta.computed).total_seconds() == pytest.approx(eta.travel_s * 1.5)
    assert eta.expected == eta.p50


async def test_notifications_wait_for_the_expected_arrival_the_p50_once_calibrated() -> None:
    clock = ManualClock(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    etas = EstimatedEtas(Estimator(StraightLine(), clock, spread=_Learnt()))
    destination = (-1.3000, 36.7800)
    origins = [(-1.2864, 36.8172), (-1.2500, 36.8000), (-1.3100, 36.7700)]
    raw = [StraightLine().travel(*o, *destination, None)[1] for o in origins]
    assert await etas.seconds("new", origins, destination) == pytest.approx(raw)
    assert await etas.seconds("learnt", origins, destination) == pytest.approx(
        [s * 1.2 for s in raw]
    )
