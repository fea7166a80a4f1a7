"""The simulator's side of the public contract: the generated gRPC stubs of one channel, the
bearer token each caller sends, and the conversions of the simulator's values to messages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2_grpc,
    fleet_pb2_grpc,
    task_pb2_grpc,
    telemetry_pb2_grpc,
)
from google.protobuf.timestamp_pb2 import Timestamp

from logistics.sim.motion import Point

Metadata = tuple[tuple[str, str], ...]
# Mints a token for the tenant: with a rider id, a rider app's; without, the ordering
# service's (admin and dispatch). The simulator stands in for the platform's auth service.
Minter = Callable[[str | None], str]
M = TypeVar("M")

VEHICLE_TYPES = {
    "bicycle": common_pb2.VEHICLE_TYPE_BICYCLE,
    "motorbike": common_pb2.VEHICLE_TYPE_MOTORBIKE,
    "car": common_pb2.VEHICLE_TYPE_CAR,
    "van": common_pb2.VEHICLE_TYPE_VAN,
    "truck": common_pb2.VEHICLE_TYPE_TRUCK,
    "on_foot": common_pb2.VEHICLE_TYPE_ON_FOOT,
}


def geo(point: Point) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(latitude=point.lat, longitude=point.lng)


def point(msg: common_pb2.GeoPoint) -> Point:
    return Point(msg.latitude, msg.longitude)


def ts(when: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(when)
    return out


def window(start: datetime, end: datetime) -> common_pb2.TimeWindow:
    return common_pb2.TimeWindow(start_time=ts(start), end_time=ts(end))


def bearer(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


@dataclass(frozen=True)
class Api:
    """The four services on one channel, called with ``metadata`` (a token's header)."""

    channel: grpc.aio.Channel
    tenant: str
    metadata: Metadata

    @property
    def parent(self) -> str:
        return f"tenants/{self.tenant}"

    @property
    def fleet(self) -> fleet_pb2_grpc.FleetServiceStub:
        return fleet_pb2_grpc.FleetServiceStub(self.channel)  # type: ignore[no-untyped-call]

    @property
    def tasks(self) -> task_pb2_grpc.TaskServiceStub:
        return task_pb2_grpc.TaskServiceStub(self.channel)  # type: ignore[no-untyped-call]

    @property
    def dispatch(self) -> dispatch_pb2_grpc.DispatchServiceStub:
        return dispatch_pb2_grpc.DispatchServiceStub(self.channel)  # type: ignore[no-untyped-call]

    @property
    def telemetry(self) -> telemetry_pb2_grpc.TelemetryServiceStub:
        return telemetry_pb2_grpc.TelemetryServiceStub(self.channel)  # type: ignore[no-untyped-call]

    def as_token(self, token: str) -> Api:
        return Api(self.channel, self.tenant, bearer(token))


async def every_page(
    call: Callable[..., Any], request: Any, items: str, metadata: Metadata
) -> AsyncIterator[Any]:
    """Each item of a paged List call (``items`` names the repeated field)."""
    while True:
        page = await call(request, metadata=metadata)
        for item in getattr(page, items):
            yield item
        if not page.next_page_token:
            return
        request.page_token = page.next_page_token


async def listed(
    call: Callable[..., Any], request: Any, items: str, metadata: Metadata
) -> Sequence[Any]:
    return [item async for item in every_page(call, request, items, metadata)]
