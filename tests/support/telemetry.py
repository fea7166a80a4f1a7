"""A rider's side of the location stream: pings, a new rider with its tokens, one stream
call, and the events the stream leaves in the outbox."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

from logistics.domain.geofence import TelemetryPolicy
from logistics.domain.ids import TenantSlug
from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.store.unit_of_work import Store
from tests.support.auth import bearer, token, unique_tenant
from tests.support.protos import ts

NAIROBI = (-1.2864, 36.8172)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
# Pings are recorded in the recent past: every one is well inside the future-skew limit.
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


def offset(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def ping(
    sequence: int,
    seconds: float | None = None,
    at: tuple[float, float] | None = None,
    accuracy: float = 5.0,
) -> telemetry_pb2.LocationPing:
    """Ping ``sequence``, by default recorded ``sequence`` seconds after BASE, 10 m further
    north per sequence (a believable walk)."""
    seconds = float(sequence) if seconds is None else seconds
    lat, lng = at if at is not None else offset(10.0 * sequence)
    return telemetry_pb2.LocationPing(
        sequence=sequence,
        record_time=ts(BASE + timedelta(seconds=seconds)),
        position=common_pb2.GeoPoint(latitude=lat, longitude=lng),
        accuracy_m=accuracy,
    )


def pings(*sequences: int) -> list[telemetry_pb2.LocationPing]:
    return [ping(s) for s in sequences]


@dataclasses.dataclass(frozen=True)
class Rider:
    tenant: str
    name: str

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[1]

    @property
    def admin(self) -> tuple[tuple[str, str], ...]:
        return bearer(token(self.tenant))

    @property
    def app(self) -> tuple[tuple[str, str], ...]:
        return bearer(token(self.tenant, ["logistics:telemetry"], rider_id=self.id))


async def new_rider(
    channel: grpc.aio.Channel,
    store: Store | None = None,
    vehicle: int = common_pb2.VEHICLE_TYPE_MOTORBIKE,
    *,
    tenant: str | None = None,
) -> Rider:
    """A new rider of a new tenant; with ``store``, the tenant keeps every ping in its tracks."""
    tenant = tenant or unique_tenant()
    created = await fleet_pb2_grpc.FleetServiceStub(channel).CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}",
            rider=fleet_pb2.Rider(display_name="Wanjiru", vehicle_type=vehicle),  # type: ignore[arg-type]
        ),
        metadata=bearer(token(tenant)),
    )
    if store is not None:
        # Written directly: UpdateTelemetryPolicy fails (see
        # test_an_admin_can_change_the_telemetry_policy).
        async with store.write(TenantSlug(tenant)) as uow:
            await uow.telemetry_policy.put(TelemetryPolicy(sample_interval=timedelta(0)))
    return Rider(tenant, created.name)


class Stream:
    """One StreamLocations call: send a batch, get its ack (keep-alives skipped)."""

    def __init__(
        self, channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...] | None
    ) -> None:
        self.call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
            metadata=metadata
        )

    async def send(self, *batch: telemetry_pb2.LocationPing) -> telemetry_pb2.PingAck:
        await self.call.write(
            telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=batch))
        )
        return await self.next_ack()

    async def next_ack(self) -> telemetry_pb2.PingAck:
        while True:
            reply = await asyncio.wait_for(self.call.read(), 15)
            if reply is grpc.aio.EOF:
                raise AssertionError("the stream ended before the ack")
            if reply.HasField("ack"):
                return reply.ack

    async def close(self) -> None:
        await self.call.done_writing()
        while await asyncio.wait_for(self.call.read(), 15) is not grpc.aio.EOF:
            pass
        assert await self.call.code() == grpc.StatusCode.OK


async def events(owner: asyncpg.Connection, tenant: str, event: str) -> list[dict[str, Any]]:
    """The outbox rows of ``logistics.<event>`` for the tenant, oldest first."""
    rows = await owner.fetch(
        """SELECT o.data FROM outbox o JOIN tenants t ON t.id = o.tenant_id
           WHERE t.slug = $1 AND o.subject = $2 ORDER BY o.seq""",
        tenant,
        f"logistics.{event}",
    )
    return [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
