"""The simulator's hidden speed field and its replayed days (sim/traffic.py, sim/replay.py):
slower in the centre and at rush hour, calmer at weekends, and the same seed the same days."""

from __future__ import annotations

from datetime import datetime

from logistics.sim import replay, traffic
from logistics.sim.motion import Point

CBD = Point(-1.2864, 36.8200)
OUTSKIRTS = Point(-1.2300, 36.7300)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=replay.NAIROBI)  # 2 Nov: a Monday


def test_the_centre_at_rush_hour_is_slowest() -> None:
    rush, noon_lull, night = local(2, 7, 36), local(2, 10), local(2, 23)
    assert traffic.speed_factor(CBD, rush) < traffic.speed_factor(CBD, noon_lull)
    assert traffic.speed_factor(CBD, noon_lull) < traffic.speed_factor(OUTSKIRTS, noon_lull)
    assert traffic.speed_factor(OUTSKIRTS, night) > 1.0
    # Rush hour costs the congested centre more than the open road.
    centre_loss = traffic.speed_factor(CBD, rush) / traffic.speed_factor(CBD, noon_lull)
    open_loss = traffic.speed_factor(OUTSKIRTS, rush) / traffic.speed_factor(OUTSKIRTS, noon_lull)
    assert centre_loss < open_loss


def test_weekend_rushes_are_milder() -> None:
    monday, saturday = local(2, 17, 54), local(7, 17, 54)
    assert traffic.speed_factor(CBD, saturday) > traffic.speed_factor(CBD, monday)


def test_kitchens_are_slowest_at_meal_peaks() -> None:
    at = Point(-1.2833, 36.8235)
    assert traffic.service_factor("pickup", at, local(2, 19, 30)) > 2.0
    assert traffic.service_factor("pickup", at, local(2, 4)) < 1.05


def test_the_same_seed_replays_the_same_day() -> None:
    first = replay.day(3, local(2, 0), 10.0)
    again = replay.day(3, local(2, 0), 10.0)
    other = replay.day(4, local(2, 0), 10.0)
    assert first == again
    assert first != other
    assert len(first.legs) == len(first.stops) > 50
    assert all(leg.actual_s > 0 for leg in first.legs)
    # Each order: to the outlet, then on to the drop-off after the pickup.
    pairs = zip(first.legs[::2], first.legs[1::2], strict=True)
    assert all(to_outlet.start < onward.start for to_outlet, onward in pairs)
