"""Riders who stay online and move, as a rider app does: a vehicle, a shift covering now, and
one open StreamLocations call pinging the current position."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

from logistics.domain.telemetry import EARTH_RADIUS_M
from tests.support.auth import auth, rider_auth
from tests.support.protos import ts

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def moved(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


class LiveRider:
    """One rider on shift with its stream open; ``ping`` sends where it is now."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        tenant: str,
        name: str,
        lat: float,
        lng: float,
        display_name: str = "",
    ):
        self.tenant, self.name, self.display_name = tenant, name, display_name
        self.id = name.rsplit("/", 1)[1]
        self.lat, self.lng = lat, lng
        self.sequence = 0
        self.call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
            metadata=rider_auth(tenant, self.id)
        )

    @classmethod
    async def create(
        cls,
        channel: grpc.aio.Channel,
        tenant: str,
        lat: float,
        lng: float,
        plate: str,
        on_shift: bool = True,
        display_name: str = "Amani",
    ) -> LiveRider:
        """With ``on_shift`` False the rider has no shift, so dispatch leaves it out."""
        fleet = fleet_pb2_grpc.FleetServiceStub(channel)
        car = await fleet.CreateVehicle(
            fleet_pb2.CreateVehicleRequest(
                parent=f"tenants/{tenant}",
                vehicle=fleet_pb2.Vehicle(
                    type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                    plate=plate,
                    capacity=common_pb2.Capacity(weight_kg=30),
                ),
            ),
            metadata=auth(tenant),
        )
        rider = await fleet.CreateRider(
            fleet_pb2.CreateRiderRequest(
                parent=f"tenants/{tenant}",
                rider=fleet_pb2.Rider(
                    display_name=display_name,
                    vehicle=car.name,
                    vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                ),
            ),
            metadata=auth(tenant),
        )
        now = datetime.now(UTC)
        if not on_shift:
            live = cls(channel, tenant, rider.name, lat, lng, rider.display_name)
            await live.ping()
            return live
        await fleet.CreateShift(
            fleet_pb2.CreateShiftRequest(
                parent=rider.name,
                shift=fleet_pb2.Shift(
                    planned=common_pb2.TimeWindow(
                        start_time=ts(now - timedelta(hours=1)),
                        end_time=ts(now + timedelta(hours=4)),
                    )
                ),
            ),
            metadata=auth(tenant),
        )
        live = cls(channel, tenant, rider.name, lat, lng, rider.display_name)
        await live.ping()
        return live

    async def ping(self, heading: float = 90.0) -> None:
        self.sequence += 1
        await self.call.write(
            telemetry_pb2.StreamLocationsRequest(
                batch=telemetry_pb2.PingBatch(
                    pings=[
                        telemetry_pb2.LocationPing(
                            sequence=self.sequence,
                            record_time=ts(datetime.now(UTC)),
                            position=common_pb2.GeoPoint(latitude=self.lat, longitude=self.lng),
                            accuracy_m=5.0,
                            speed_mps=8.0,
                            heading_deg=heading,
                        )
                    ]
                )
            )
        )
        while True:  # the ack (keep-alives and offers are skipped)
            answer = await self.call.read()
            if answer is grpc.aio.EOF:
                raise AssertionError("the location stream ended")
            if answer.HasField("ack"):
                return

    async def accept_offer(self) -> str:
        """Waits for an offer on the stream and accepts it, as the rider app's button does;
        returns the offered task's name."""
        while True:
            answer = await self.call.read()
            if answer is grpc.aio.EOF:
                raise AssertionError("the location stream ended")
            if answer.HasField("offer"):
                response = telemetry_pb2.OfferResponse(offer_id=answer.offer.offer_id, accept=True)
                await self.call.write(telemetry_pb2.StreamLocationsRequest(offer_response=response))
                return str(answer.offer.task)

    async def step(self, east_m: float) -> None:
        self.lat, self.lng = moved(self.lat, self.lng, 0.0, east_m)
        await self.ping()

    async def close(self) -> None:
        await self.call.done_writing()
        self.call.cancel()


@contextlib.asynccontextmanager
async def driving(
    riders: Sequence[LiveRider], east_m: float = 15.0, every_s: float = 0.4
) -> AsyncIterator[None]:
    """Moves every rider ``east_m`` each ``every_s`` while the block runs. It stops between
    steps, never inside one: cancelling a stream's pending read would cancel the stream."""
    stop = asyncio.Event()

    async def drive() -> None:
        while not stop.is_set():
            for rider in riders:
                await rider.step(east_m)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)

    task = asyncio.create_task(drive())
    try:
        yield
    finally:
        stop.set()
        await task
