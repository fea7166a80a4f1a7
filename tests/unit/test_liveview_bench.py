"""The live-view benchmark's own pieces: its hand-made ping bytes, its frame reader (fed what
the service's translation produces), its riders' motion and the viewers' boxes."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from bengobox.logistics.v1 import telemetry_pb2

from logistics.api.convert_live import frame_to_proto
from logistics.domain.fleet import VehicleType
from logistics.domain.live import ONLINE, Frame, RiderUpdate
from logistics.domain.telemetry import MAX_SPEED_MPS, haversine_m

BENCH = Path(__file__).resolve().parents[2] / "bench" / "liveview.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_liveview", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_hand_made_ping_parses_as_a_batch_of_one(bench: ModuleType) -> None:
    record_ms = 1_763_870_400_123
    data = bench.encode_ping(70_000, record_ms, -1.29, 36.82, 7.5, 9.0, 181.0)
    request = telemetry_pb2.StreamLocationsRequest.FromString(data)
    (ping,) = request.batch.pings
    assert ping.sequence == 70_000
    assert ping.record_time.ToMilliseconds() == record_ms
    assert (ping.position.latitude, ping.position.longitude) == (-1.29, 36.82)
    assert (ping.accuracy_m, ping.speed_mps, ping.heading_deg) == (7.5, 9.0, 181.0)
    on_the_second = bench.encode_ping(1, 1_763_870_400_000, -1.29, 36.82, 5.0, 3.0, 0.0)
    parsed = telemetry_pb2.StreamLocationsRequest.FromString(on_the_second)
    assert parsed.batch.pings[0].record_time.ToMilliseconds() == 1_763_870_400_000


def test_the_frame_reader_pairs_riders_with_record_times(bench: ModuleType) -> None:
    upserts = [
        RiderUpdate("r1", -1.28, 36.81, 90.0, 5.0, ONLINE, None, 1_763_870_400_123, 0, None),
        RiderUpdate("r2", -1.30, 36.83, 0.0, 0.0, ONLINE, None, 1_763_870_401_000, 0, "f1"),
    ]
    for snapshot in (False, True):
        frame = frame_to_proto("acme", Frame(7, snapshot, upserts))
        raw = telemetry_pb2.SubscribeFleetResponse(frame=frame).SerializeToString()
        assert bench.frame_upserts(raw) == (
            snapshot,
            [
                ("tenants/acme/riders/r1", 1_763_870_400_123),
                ("tenants/acme/riders/r2", 1_763_870_401_000),
            ],
        )


def test_riders_move_plausibly_inside_the_area(bench: ModuleType) -> None:
    rng = random.Random(3)
    limit = MAX_SPEED_MPS[VehicleType.MOTORBIKE]
    half_km = 10.0
    for i in range(200):
        rider = bench.Rider.create(str(i), f"r{i}", i % 2, "", 2 * half_km, rng)
        assert 3 <= rider.speed <= 14
        t = 1_763_870_400.0 + rng.uniform(0, 3600)
        before = rider.where(t)
        after = rider.where(t + 1.0)
        moved = haversine_m(before[0], before[1], after[0], after[1])
        assert moved == pytest.approx(rider.speed, rel=0.01)
        assert moved < limit
        south, west, north, east = bench.square(0, 0, 2 * half_km * 1000)
        assert south <= after[0] <= north
        assert west <= after[1] <= east


def test_viewer_boxes_are_the_size_asked_inside_the_area(bench: ModuleType) -> None:
    boxes = bench.viewer_boxes(50, 20.0, 5.0, random.Random(1))
    area = bench.square(0, 0, 20_000)
    overlapping = 0
    for i, (south, west, north, east) in enumerate(boxes):
        assert haversine_m(south, west, north, west) == pytest.approx(5000, rel=0.01)
        assert haversine_m(south, west, south, east) == pytest.approx(5000, rel=0.01)
        assert area[0] <= south
        assert north <= area[2]
        assert area[1] <= west
        assert east <= area[3]
        overlapping += any(bench.overlaps(boxes[i], b) for j, b in enumerate(boxes) if j != i)
    assert overlapping == len(boxes)
