"""The rider stream's messages to domain values and back (api.convert_telemetry)."""

from __future__ import annotations

from datetime import UTC, datetime

from bengobox.logistics.v1 import common_pb2, telemetry_pb2
from google.protobuf import timestamp_pb2

from logistics.api.convert_telemetry import ack_to_proto, pings_from_proto
from logistics.domain.telemetry import Ping, Rejection, RejectReason, epoch_us
from logistics.services.telemetry.session import Ack


def test_every_field_of_a_ping_reaches_the_domain_value() -> None:
    at = datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(at)
    batch = telemetry_pb2.PingBatch(
        pings=[
            telemetry_pb2.LocationPing(
                sequence=7,
                record_time=stamp,
                position=common_pb2.GeoPoint(latitude=-1.28, longitude=36.82),
                accuracy_m=4.5,
                speed_mps=8.25,
                heading_deg=270.5,
                altitude_m=1650.0,
                battery_percent=81.0,
                task="tenants/acme/tasks/42",
            ),
            telemetry_pb2.LocationPing(sequence=8),
        ]
    )
    first, second = pings_from_proto(batch)
    assert first == Ping(
        7, epoch_us(at), -1.28, 36.82, 4.5, 8.25, 270.5, 1650.0, 81.0, "tenants/acme/tasks/42"
    )
    assert first.record_time == at
    assert isinstance(first, Ping)
    assert second == Ping(8, 0, 0.0, 0.0)  # an unset time is the epoch; no task is None


def test_an_ack_carries_the_contiguous_sequence_and_each_rejection() -> None:
    ack = Ack(12, [Rejection(14, RejectReason.INACCURATE, "accuracy 900 m")])
    response = ack_to_proto(ack)
    assert response.ack.contiguous_sequence == 12
    (rejected,) = response.ack.rejected
    assert rejected.sequence == 14
    assert rejected.reason == telemetry_pb2.PING_REJECT_REASON_INACCURATE
    assert rejected.detail == "accuracy 900 m"
