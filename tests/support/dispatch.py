"""Riders ready to be dispatched to: with a vehicle, on shift, their position streamed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

from tests.support.auth import auth, rider_auth
from tests.support.protos import ts

CENTRE = (-1.2864, 36.8172)


async def rider_online(
    channel: grpc.aio.Channel,
    tenant: str,
    lat: float,
    lng: float,
    vehicle: int,
    weight: float,
    rating: float = 0.0,
    *,
    with_vehicle: bool = True,
    on_shift: bool = True,
) -> str:
    """A rider with a vehicle (and a rating, 0: none), on shift now, whose stream has sent one
    position; ``with_vehicle`` and ``on_shift`` False leave out the vehicle or the shift."""
    fleet = fleet_pb2_grpc.FleetServiceStub(channel)
    car = fleet_pb2.Vehicle()
    if with_vehicle:
        car = await fleet.CreateVehicle(
            fleet_pb2.CreateVehicleRequest(
                parent=f"tenants/{tenant}",
                vehicle=fleet_pb2.Vehicle(
                    type=vehicle,
                    plate=f"K{abs(hash((lat, lng))) % 10**6:06d}",
                    capacity=common_pb2.Capacity(weight_kg=weight),
                ),
            ),
            metadata=auth(tenant),
        )
    rider = await fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}",
            rider=fleet_pb2.Rider(
                display_name="R", vehicle=car.name, vehicle_type=vehicle, rating=rating
            ),
        ),
        metadata=auth(tenant),
    )
    now = datetime.now(UTC)
    if on_shift:
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
    rider_id = rider.name.rsplit("/", 1)[1]
    stream = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
        metadata=rider_auth(tenant, rider_id)
    )
    ping = telemetry_pb2.LocationPing(
        sequence=1,
        record_time=ts(now),
        position=common_pb2.GeoPoint(latitude=lat, longitude=lng),
        accuracy_m=5,
    )
    await stream.write(
        telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=[ping]))
    )
    assert (await stream.read()).ack.contiguous_sequence == 1
    await stream.done_writing()
    return rider.name
