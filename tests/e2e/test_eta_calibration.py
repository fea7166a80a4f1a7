"""Calibrated ETAs learnt from riders' real actions over gRPC: every leg and stop recorded once
(replays included), the refresh predicting the legs with the distance provider, and the
calibrated ETA and service time read back from the tenant's model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2

from logistics.domain.clock import SystemClock
from logistics.domain.ids import TenantSlug
from logistics.geo.distance import StraightLine
from logistics.services.eta_calibration import EtaCalibration, EtaSettings, at_hour
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.tasks import Api, drop_off, last_id, pickup, point

pytestmark = pytest.mark.e2e

ORIGIN = (-1.2700, 36.8000)
OUTLET = (-1.2833, 36.8167)
HOME = (-1.3000, 36.7800)
SLOWER = 2.0  # riders take twice what the straight line says
PICKUP_S, DROP_OFF_S = 60.0, 30.0


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def stamp(when: datetime, action_id: str | None = None) -> dict[str, object]:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return {"action_id": action_id or str(uuid.uuid4()), "occurred_time": ts}


def raw_s(a: tuple[float, float], b: tuple[float, float]) -> float:
    return StraightLine().travel(*a, *b, None)[1]


async def deliver(api: Api, rider: str, began: datetime) -> str:
    """One delivery ridden at ``SLOWER`` times the straight line's time, with its stops; the
    arrival at the drop-off is sent twice (a replay after a lost answer)."""
    task = await api.create(pickup(), drop_off())
    await api.sql(
        "UPDATE tasks SET create_time = create_time - interval '2 hours' WHERE id = $1",
        uuid.UUID(last_id(task.name)),
    )
    md = api.rider_md(rider)
    await api.assign(task.name, rider)
    t = began
    await api.start(task.name, md=md, location=point(*ORIGIN), **stamp(t))
    t += timedelta(seconds=SLOWER * raw_s(ORIGIN, OUTLET))
    await api.arrive(task.name, "0", md=md, **stamp(t))
    t += timedelta(seconds=PICKUP_S)
    await api.complete(task.name, "0", md=md, **stamp(t))
    t += timedelta(seconds=SLOWER * raw_s(OUTLET, HOME))
    arrival = stamp(t)
    await api.arrive(task.name, "1", md=md, **arrival)
    await api.arrive(task.name, "1", md=md, **arrival)
    t += timedelta(seconds=DROP_OFF_S)
    await api.complete(task.name, "1", md=md, **stamp(t))
    return task.name


async def test_riders_arrivals_calibrate_the_tenants_etas(api: Api, store: Store) -> None:
    rider = await api.rider()
    began = datetime.now(UTC) - timedelta(minutes=90)
    tasks = [await deliver(api, rider, began + timedelta(minutes=4 * i)) for i in range(12)]
    tenant = TenantSlug(api.tenant)
    rows = await api.sql(
        "SELECT kind, step_kind, seconds, predicted_s FROM eta_observations ORDER BY kind"
    )
    assert len(rows) == 4 * len(tasks)  # two legs and two stops each, the replay not counted
    legs = [r for r in rows if r["kind"] == "travel"]
    assert {
        round(r["seconds"] / raw_s(ORIGIN, OUTLET), 3) for r in legs if r["step_kind"] == "pickup"
    } == {SLOWER}
    assert all(r["predicted_s"] is None for r in legs)  # predicted by the refresh, off the call

    calibration = EtaCalibration(store, StraightLine(), SystemClock(), EtaSettings(refresh_s=3600))
    before = calibration.calibrate(
        tenant, 600.0, ORIGIN, at_hour(began)
    )  # the prior, a refit started
    assert before == (600.0, 900.0)
    await calibration.refresh(tenant)
    predicted = await api.sql(
        "SELECT predicted_s FROM eta_observations WHERE kind = 'travel' AND step_kind = 'pickup'"
    )
    assert {round(r["predicted_s"], 3) for r in predicted} == {round(raw_s(ORIGIN, OUTLET), 3)}

    p50, p90 = calibration.calibrate(tenant, 600.0, ORIGIN, at_hour(began))
    assert 1.5 * 600 < p50 <= SLOWER * 600 + 1  # most of the way to what riders really take
    assert p90 >= p50
    service = calibration.service_time(tenant, "pickup", OUTLET, at_hour(began))
    assert service is not None
    assert PICKUP_S - 1 < service[0] < PICKUP_S + 1
    # Another tenant has learnt nothing.
    assert calibration.calibrate(TenantSlug(unique_tenant()), 600.0, ORIGIN, 0) == (600.0, 900.0)
    await calibration.aclose()
