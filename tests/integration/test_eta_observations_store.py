"""The ETA observations on the real database: one row per step and kind, each tenant its own,
legs predicted by a refresh (and left for the next one while the routing engine is down, the
last model kept), and retention."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from logistics.domain.clock import Clock
from logistics.domain.eta_observations import Leg, LegStart, StopTime
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantSlug
from logistics.geo.distance import Point, StraightLine
from logistics.services.eta_calibration import EtaCalibration, EtaSettings, at_hour
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.waiting import eventually

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORIGIN, DESTINATION = (-1.27, 36.80), (-1.29, 36.82)


class Fixed:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Faulty(StraightLine):
    """A routing engine that does not answer (``down``), or answers too few legs (a fault no
    refresh gets past)."""

    def __init__(self, *, down: bool) -> None:
        super().__init__()
        self.down = down

    async def travel_to(
        self,
        origins: Sequence[Point],
        destination: Point,
        vehicles: Sequence[VehicleType | None],
    ) -> list[tuple[float, float]]:
        if self.down:
            raise ConnectionError("routing engine down")
        return []


def raw() -> float:
    return StraightLine().travel(*ORIGIN, *DESTINATION, VehicleType.MOTORBIKE)[1]


async def ride(store: Store, tenant: TenantSlug, at: datetime, ratio: float, n: int = 20) -> None:
    async with store.write(tenant) as uow:
        for _ in range(n):
            task = uuid.uuid4()
            leg = Leg("1", "drop_off", LegStart(at, ORIGIN), DESTINATION, raw() * ratio)
            await uow.eta_observations.add_leg(task, leg, "motorbike")
            await uow.eta_observations.add_leg(task, leg, "motorbike")  # a replay: kept once
            stop = StopTime("1", "drop_off", DESTINATION, at, 45.0)
            await uow.eta_observations.add_stop(task, stop)


def calibration(store: Store, clock: Clock, distances: StraightLine) -> EtaCalibration:
    return EtaCalibration(store, distances, clock, EtaSettings(refresh_s=3600))


async def test_each_step_is_recorded_once_and_each_tenant_learns_alone(store: Store) -> None:
    slow, other = TenantSlug(unique_tenant()), TenantSlug(unique_tenant())
    await ride(store, slow, NOW - timedelta(hours=1), ratio=3.0)
    await ride(store, other, NOW - timedelta(hours=1), ratio=1.0)
    async with store.read(slow) as uow:
        window = await uow.eta_observations.window("service", NOW - timedelta(days=1), 1000)
    assert len(window) == 20
    etas = calibration(store, Fixed(NOW), StraightLine())
    await etas.refresh(slow)
    await etas.refresh(other)
    how = at_hour(NOW - timedelta(hours=1))
    slow_p50, _ = etas.calibrate(slow, 100.0, ORIGIN, how)
    other_p50, _ = etas.calibrate(other, 100.0, ORIGIN, how)
    assert slow_p50 > 200
    assert 90 < other_p50 < 110
    await etas.aclose()


async def test_legs_wait_for_the_routing_engine_while_it_is_down(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    clock = Fixed(NOW)
    await ride(store, tenant, NOW - timedelta(hours=2), ratio=2.0)
    working = calibration(store, clock, StraightLine())
    await working.refresh(tenant)
    await ride(store, tenant, NOW - timedelta(hours=1), ratio=2.0)

    down = calibration(store, clock, Faulty(down=True))
    partial = await down.refresh(tenant)  # from the legs predicted before the outage
    assert partial.travel.count == 20
    assert partial.service["drop_off"].count == 40
    async with store.read(tenant) as uow:
        assert len(await uow.eta_observations.unpredicted(100)) == 20

    again = await working.refresh(tenant)
    assert again.travel.count == 40
    async with store.read(tenant) as uow:
        assert await uow.eta_observations.unpredicted(100) == []
    await working.aclose()
    await down.aclose()


async def test_a_tenant_without_observations_is_not_registered(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    etas = calibration(store, Fixed(NOW), StraightLine())
    assert (await etas.refresh(tenant)).travel.count == 0
    assert await store.tenants.find(tenant) is None
    await etas.aclose()


async def test_a_failed_background_refit_leaves_the_calls_answering(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    await ride(store, tenant, NOW - timedelta(hours=1), ratio=2.0)
    broken = calibration(store, Fixed(NOW), Faulty(down=False))
    assert broken.calibrate(tenant, 100.0, ORIGIN, 0) == (100.0, 150.0)  # starts a refit
    await eventually(lambda: not broken.refitting(tenant))
    assert broken.calibrate(tenant, 100.0, ORIGIN, 0) == (100.0, 150.0)  # no second refit yet
    assert not broken.refitting(tenant)
    assert broken.service_time(tenant, "drop_off", DESTINATION, 0) is None  # nothing was fitted
    await broken.aclose()


async def test_observations_past_retention_are_deleted(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    await ride(store, tenant, NOW - timedelta(days=60), ratio=1.0, n=3)
    await ride(store, tenant, NOW - timedelta(days=1), ratio=1.0, n=2)
    etas = calibration(store, Fixed(NOW), StraightLine())
    await etas.refresh(tenant)
    async with store.read(tenant) as uow:
        kept = await uow.eta_observations.window("service", NOW - timedelta(days=365), 100)
    assert [o.start for o in kept] == [NOW - timedelta(days=1)] * 2
    await etas.aclose()
