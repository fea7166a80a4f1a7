"""The simulator's pure parts: movement, GPS noise, the day curve and the orders under it,
the offer policy, the ping buffer's resend rules and the demo city."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.sim import city
from logistics.sim.demand import SimClock, day_curve, next_order_in, rate_per_hour
from logistics.sim.motion import SPEEDS_MPS, PathWalker, Point, distance_m, offset, straight_path
from logistics.sim.noise import GpsModel
from logistics.sim.orders import orders
from logistics.sim.outbox import PingBuffer
from logistics.sim.policy import OfferPolicy

NAIROBI = Point(-1.2864, 36.8172)
points = st.builds(
    lambda n, e: offset(NAIROBI, n, e),
    st.floats(-20_000, 20_000, allow_nan=False),
    st.floats(-20_000, 20_000, allow_nan=False),
)


@given(points, points, st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=60))
def test_a_rider_moves_along_its_path_never_further_than_told(
    a: Point, b: Point, steps: list[float]
) -> None:
    walker = PathWalker(straight_path(a, b))
    here, travelled = a, 0.0
    for metres in steps:
        where = walker.advance(metres)
        # A step along the path is never longer as the crow flies than along the path.
        assert distance_m(here, where.point) <= metres + 0.01
        here, travelled = where.point, travelled + metres
        if where.arrived:
            assert where.point == b
            assert travelled >= walker.length_m - 0.01
            break
    else:
        assert travelled < walker.length_m + 0.01


def test_a_straight_path_turns_once_and_is_about_as_long_as_the_grid_distance() -> None:
    a, b = NAIROBI, offset(NAIROBI, 3000, 4000)
    path = straight_path(a, b)
    length = sum(distance_m(p, q) for p, q in itertools.pairwise(path))
    assert (path[0], path[-1]) == (a, b)
    assert length == pytest.approx(7000, rel=0.01)
    assert max(distance_m(p, q) for p, q in itertools.pairwise(path)) <= 150.0 + 1


def test_vehicle_speeds_are_those_of_a_city() -> None:
    assert SPEEDS_MPS["on_foot"] < SPEEDS_MPS["bicycle"] < SPEEDS_MPS["motorbike"]
    assert all(1 <= v <= 14 for v in SPEEDS_MPS.values())  # nobody beats 50 km/h in town


def test_gps_fixes_scatter_within_their_claimed_accuracy_mostly() -> None:
    rng, gps = random.Random(3), GpsModel()
    fixes = [gps.fix(rng, NAIROBI) for _ in range(4000)]
    within = sum(distance_m(f.point, NAIROBI) <= f.accuracy_m for f in fixes) / len(fixes)
    assert 0.6 <= within <= 0.8  # the accuracy radius is a 68 % radius
    assert all(gps.best_m <= f.accuracy_m <= gps.worst_m for f in fixes)


def test_the_day_has_a_lunch_and_a_dinner_peak_and_quiet_nights() -> None:
    hours = [h / 4 for h in range(96)]
    levels = [day_curve(h) for h in hours]
    peaks = [
        h
        for i, h in enumerate(hours)
        if levels[i] > levels[i - 1] and levels[i] >= levels[(i + 1) % 96]
    ]
    assert peaks == [pytest.approx(12.75, abs=0.5), pytest.approx(19.5, abs=0.5)]
    assert day_curve(3) < day_curve(10) < day_curve(12.75)
    assert day_curve(19.5) > day_curve(12.75)
    # The mean hour places the given rate.
    assert sum(rate_per_hour(60, h / 60) for h in range(1440)) / 1440 == pytest.approx(60)


def test_orders_follow_the_day_curve_and_time_compression() -> None:
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    clock = SimClock(start, scale=60.0)  # a simulated day in 24 wall minutes
    rng = random.Random(5)
    times, t = [], 0.0
    while t < 24 * 60:
        t += next_order_in(rng, clock, t, per_hour=100)
        times.append(clock.hour(t))
    by_hour = [sum(int(h) == hour for h in times) for hour in range(24)]
    assert sum(by_hour) == pytest.approx(2400, rel=0.1)
    assert by_hour[12] > 3 * by_hour[9] > 0
    assert by_hour[19] > 3 * by_hour[16] > 0
    assert by_hour[3] < by_hour[13] / 10


def test_the_same_seed_places_the_same_orders_and_another_seed_others() -> None:
    clock = SimClock(datetime(2026, 3, 2, 12, tzinfo=UTC), scale=6.0)

    def first(seed: int) -> list[tuple[float, str, Point, str]]:
        return [
            (o.at_s, o.outlet.id, o.drop_off, o.code)
            for o in itertools.islice(orders(seed, 40, clock), 20)
        ]

    assert first(7) == first(7)
    assert first(7) != first(8)
    for order in itertools.islice(orders(7, 40, clock), 200):
        assert distance_m(order.drop_off, NAIROBI) < 15_000  # in the city
        assert order.pickup_within_min < order.deliver_within_min


def test_riders_are_the_same_in_every_run_and_a_larger_city_keeps_the_smaller() -> None:
    assert city.riders(10) == city.riders(30)[:10]
    riders = city.riders(60)
    assert len({r.external_id for r in riders}) == 60
    plates = [r.plate for r in riders if r.plate]
    assert len(set(plates)) == len(plates)
    assert {r.vehicle_type for r in riders} == {"motorbike", "bicycle", "car"}
    assert 0 < sum(r.licence_expired for r in riders) < 10
    for r in riders:
        assert (r.plate == "") == (r.vehicle_type == "bicycle")
        assert r.zone is None or r.zone in {z.name for z in city.ZONES}


def test_outlets_in_a_zone_lie_inside_it_and_zones_do_not_overlap() -> None:
    zones = {z.name: z for z in city.ZONES}
    for outlet in city.OUTLETS:
        inside = [z.name for z in city.ZONES if distance_m(outlet.location, z.centre) < z.radius_m]
        assert inside == ([outlet.zone] if outlet.zone else [])
    for a, b in itertools.combinations(zones.values(), 2):
        assert distance_m(a.centre, b.centre) > a.radius_m + b.radius_m


@pytest.mark.parametrize(
    ("distance", "chance"), [(0, 0.85), (1500, 0.85), (4500, 0.49), (50_000, 0.2)]
)
def test_riders_decline_far_offers_more_often(distance: float, chance: float) -> None:
    policy = OfferPolicy()
    assert policy.accept_chance(distance) == pytest.approx(chance)
    rng = random.Random(1)
    answers = [policy.answer(rng, distance) for _ in range(3000)]
    assert sum(a.accept for a in answers) / len(answers) == pytest.approx(chance, abs=0.04)
    assert all(policy.min_delay_s <= a.after_s <= policy.max_delay_s for a in answers)
    assert all(a.reason for a in answers if not a.accept)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["fix", "send", "ack", "drop"]), max_size=80), st.randoms())
def test_every_fix_reaches_the_server_once_in_order_whatever_the_connection_does(
    actions: list[str], rng: random.Random
) -> None:
    """A model server stores the contiguous prefix it received; the app resends after drops."""
    buffer: PingBuffer[int] = PingBuffer()
    server: list[int] = []  # values stored, in sequence order
    in_flight: list[tuple[int, int]] = []
    made = 0
    for action in [*actions, "send", "ack"]:
        if action == "fix":
            buffer.add(made)
            made += 1
        elif action == "send":
            in_flight.extend((p.sequence, p.value) for p in buffer.unsent())
        elif action == "ack":
            for sequence, value in in_flight:
                if sequence == len(server) + 1:
                    server.append(value)
            in_flight.clear()
            buffer.acked(len(server))
        elif action == "drop":
            in_flight = in_flight[: rng.randrange(len(in_flight) + 1)]  # some never arrive
            buffer.reconnected()
    assert server == list(range(made))
    assert len(buffer) == 0


def test_an_app_that_lost_its_counter_continues_after_the_servers_sequence() -> None:
    buffer: PingBuffer[str] = PingBuffer()
    for value in "abc":
        buffer.add(value)
    assert [p.sequence for p in buffer.unsent()] == [1, 2, 3]
    buffer.acked(1041)  # the server had this rider's pings up to 1041 from an earlier run
    assert [(p.sequence, p.value) for p in buffer.unsent()] == [
        (1042, "a"),
        (1043, "b"),
        (1044, "c"),
    ]
    assert buffer.add("d") == 1045
    buffer.acked(1044)
    assert len(buffer) == 1
