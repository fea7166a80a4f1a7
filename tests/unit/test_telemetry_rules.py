"""The pure telemetry rules: which pings are rejected and why, how sequence numbers advance the
acknowledged position, the stream's token bucket and the distance formula."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.fleet import VehicleType
from logistics.domain.ratelimit import TokenBucket
from logistics.domain.telemetry import (
    EARTH_RADIUS_M,
    MAX_SPEED_MPS,
    Fix,
    Ping,
    PingLimits,
    Rejection,
    RejectReason,
    SequenceState,
    _flat_m,
    advance,
    check_pings,
    epoch_us,
    haversine_m,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LIMITS = PingLimits(max_accuracy_m=150.0, max_future_skew=timedelta(seconds=60))
# Metres per degree of latitude on the sphere the module uses.
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


def ping(
    sequence: int = 1,
    *,
    at: datetime = NOW,
    lat: float = 0.0,
    lng: float = 36.8,
    accuracy: float = 5.0,
) -> Ping:
    return Ping(sequence, epoch_us(at), lat, lng, accuracy_m=accuracy)


def check_ping(
    ping: Ping,
    now_us: int,
    limits: PingLimits,
    previous: Fix | Ping | None,
    vehicle: VehicleType | None,
) -> Rejection | None:
    """The rules for one ping: ``check_pings`` of a batch of one."""
    _, rejected, _ = check_pings([ping], now_us, limits, previous, vehicle)
    return rejected[0] if rejected else None


def reason(p: Ping, previous: Fix | None = None, vehicle: VehicleType | None = None) -> str | None:
    problem = check_ping(p, epoch_us(NOW), LIMITS, previous, vehicle)
    if problem is not None:
        assert problem.sequence == p.sequence
        assert problem.detail
    return problem.reason if problem else None


# --- check_ping ---------------------------------------------------------------------------


def test_an_ordinary_ping_is_accepted() -> None:
    assert reason(ping()) is None
    assert reason(ping(lat=90.0, lng=-180.0)) is None


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        (math.nan, 36.8),
        (-1.28, math.nan),
        (math.inf, 36.8),
        (-1.28, -math.inf),
        (90.0001, 36.8),
        (-90.5, 36.8),
        (-1.28, 180.01),
        (-1.28, -181.0),
    ],
)
def test_a_position_that_is_not_a_number_or_off_the_globe_is_out_of_range(
    lat: float, lng: float
) -> None:
    assert reason(ping(lat=lat, lng=lng)) == RejectReason.OUT_OF_RANGE


@pytest.mark.parametrize("accuracy", [150.01, 1000.0, -1.0, math.nan, math.inf])
def test_a_fix_worse_than_the_accuracy_limit_or_meaningless_is_inaccurate(
    accuracy: float,
) -> None:
    assert reason(ping(accuracy=accuracy)) == RejectReason.INACCURATE


def test_a_fix_exactly_at_the_accuracy_limit_is_accepted() -> None:
    assert reason(ping(accuracy=150.0)) is None


def test_a_ping_recorded_beyond_the_allowed_clock_skew_is_in_the_future() -> None:
    assert reason(ping(at=NOW + timedelta(seconds=61))) == RejectReason.FUTURE_TIME
    assert reason(ping(at=NOW + timedelta(hours=5))) == RejectReason.FUTURE_TIME


def test_a_ping_slightly_ahead_of_the_server_clock_is_accepted() -> None:
    assert reason(ping(at=NOW + timedelta(seconds=59))) is None


def test_a_ping_without_a_record_time_is_out_of_range() -> None:
    # An unset protobuf Timestamp arrives as the epoch.
    assert reason(ping(at=datetime(1970, 1, 1, tzinfo=UTC))) == RejectReason.OUT_OF_RANGE


def test_a_ping_from_long_ago_is_still_accepted() -> None:
    # Buffered offline pings may be hours or days old.
    assert reason(ping(at=NOW - timedelta(days=3))) is None


def _fix_at(seconds_before: float, lat: float = 0.0, accuracy: float = 0.0) -> Fix:
    return Fix(lat, 36.8, accuracy, epoch_us(NOW - timedelta(seconds=seconds_before)))


@pytest.mark.parametrize(
    "vehicle",
    [
        VehicleType.ON_FOOT,
        VehicleType.BICYCLE,
        VehicleType.MOTORBIKE,
        VehicleType.CAR,
        VehicleType.VAN,
        VehicleType.TRUCK,
        None,
    ],
)
def test_a_jump_faster_than_the_vehicle_can_move_is_suspected_spoofing(
    vehicle: VehicleType | None,
) -> None:
    limit = MAX_SPEED_MPS[vehicle]
    previous = _fix_at(10)
    just_possible = ping(lat=limit * 10 * 0.98 / M_PER_DEG, accuracy=0.0)
    too_fast = ping(lat=limit * 10 * 1.02 / M_PER_DEG, accuracy=0.0)
    assert reason(just_possible, previous, vehicle) is None
    assert reason(too_fast, previous, vehicle) == RejectReason.SPOOFING_SUSPECTED


def test_the_speed_limit_depends_on_the_vehicle_type() -> None:
    # 200 m in 10 s (20 m/s): fine on a motorbike, impossible on foot.
    previous = _fix_at(10)
    fast = ping(lat=200 / M_PER_DEG, accuracy=0.0)
    assert reason(fast, previous, VehicleType.MOTORBIKE) is None
    assert reason(fast, previous, VehicleType.ON_FOOT) == RejectReason.SPOOFING_SUSPECTED


def test_both_fixes_accuracy_is_allowed_as_slack_before_suspecting_spoofing() -> None:
    # On foot for 1 s (12 m allowed) a 100 m jump is believable only with the fixes' accuracy.
    moved = 100 / M_PER_DEG
    assert (
        reason(ping(lat=moved, accuracy=0.0), _fix_at(1, accuracy=0.0), VehicleType.ON_FOOT)
        == RejectReason.SPOOFING_SUSPECTED
    )
    assert (
        reason(ping(lat=moved, accuracy=45.0), _fix_at(1, accuracy=45.0), VehicleType.ON_FOOT)
        is None
    )
    assert (
        reason(ping(lat=moved, accuracy=40.0), _fix_at(1, accuracy=40.0), VehicleType.ON_FOOT)
        == RejectReason.SPOOFING_SUSPECTED
    )


def test_an_older_ping_is_judged_by_the_absolute_time_between_fixes() -> None:
    # The previous fix is newer than the ping: a 1 km gap over 100 s is fine on a motorbike,
    # over 1 s it is not, whichever of the two fixes came first.
    previous = Fix(0.0, 36.8, 0.0, epoch_us(NOW))
    far = 1000 / M_PER_DEG
    slow = ping(at=NOW - timedelta(seconds=100), lat=far, accuracy=0.0)
    quick = ping(at=NOW - timedelta(seconds=1), lat=far, accuracy=0.0)
    assert reason(slow, previous, VehicleType.MOTORBIKE) is None
    assert reason(quick, previous, VehicleType.MOTORBIKE) == RejectReason.SPOOFING_SUSPECTED


def test_fixes_at_the_same_instant_are_judged_over_at_least_one_second() -> None:
    previous = Fix(0.0, 36.8, 0.0, epoch_us(NOW))
    assert reason(ping(lat=10 / M_PER_DEG, accuracy=0.0), previous, VehicleType.ON_FOOT) is None
    assert (
        reason(ping(lat=20 / M_PER_DEG, accuracy=0.0), previous, VehicleType.ON_FOOT)
        == RejectReason.SPOOFING_SUSPECTED
    )


def test_checks_run_in_order_so_a_bad_position_is_reported_before_a_bad_time() -> None:
    bad = ping(lat=math.nan, accuracy=1000.0, at=NOW + timedelta(hours=1))
    assert reason(bad) == RejectReason.OUT_OF_RANGE


# --- advance ----------------------------------------------------------------------------------


def test_contiguous_moves_up_only_while_the_next_number_has_arrived() -> None:
    state, fresh = advance(SequenceState(), [1, 2, 4, 5])
    assert (state.contiguous, sorted(state.pending), fresh) == (2, [4, 5], [1, 2, 4, 5])
    state, fresh = advance(state, [3])
    assert (state.contiguous, state.pending, fresh) == (5, frozenset(), [3])


def test_a_replayed_or_duplicated_sequence_is_not_fresh_again() -> None:
    state, fresh = advance(SequenceState(), [3, 3, 1, 1])
    assert fresh == [1, 3]
    state, fresh = advance(state, [1, 3, 2, 2])
    assert fresh == [2]
    assert state == SequenceState(3)


def test_zero_and_negative_sequences_are_never_fresh() -> None:
    state, fresh = advance(SequenceState(), [0, -4, 1])
    assert (state, fresh) == (SequenceState(1), [1])


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[int, list[list[int]]]:
    """A permutation of 1..n cut into batches, with replays of earlier numbers mixed in."""
    n = draw(st.integers(1, 40))
    order = draw(st.permutations(range(1, n + 1)))
    batches: list[list[int]] = []
    sent: list[int] = []
    i = 0
    while i < n:
        size = draw(st.integers(1, 8))
        batch = list(order[i : i + size])
        i += size
        sent.extend(batch)
        batch += draw(st.lists(st.sampled_from(sent), max_size=4))
        batches.append(draw(st.permutations(batch)))
    # Whole batches are sometimes delivered twice, as after a reconnect.
    replays = draw(st.lists(st.sampled_from(range(len(batches))), max_size=3))
    for index in replays:
        batches.insert(draw(st.integers(index + 1, len(batches))), list(batches[index]))
    return n, batches


@settings(deadline=None)
@given(deliveries())
def test_any_interleaving_and_replay_ends_contiguous_with_each_sequence_fresh_once(
    case: tuple[int, list[list[int]]],
) -> None:
    n, batches = case
    state = SequenceState()
    returned: list[int] = []
    for batch in batches:
        before = state.contiguous
        state, fresh = advance(state, batch)
        assert state.contiguous >= before
        assert fresh == sorted(fresh)
        returned.extend(fresh)
        seen = set(returned)
        # contiguous is exactly the longest run 1..k seen so far.
        k = 0
        while k + 1 in seen:
            k += 1
        assert state.contiguous == k
    assert state == SequenceState(n)
    assert sorted(returned) == list(range(1, n + 1))


# --- TokenBucket ------------------------------------------------------------------------------


def test_a_full_bucket_allows_a_burst_then_asks_to_wait() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == pytest.approx(0.5)


def test_tokens_come_back_at_the_rate_and_a_refused_take_costs_nothing() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0)
    for _ in range(3):
        bucket.take(0.0)
    assert bucket.take(0.25) == pytest.approx(0.25)  # half a token so far
    assert bucket.take(0.5) == 0.0  # the refused take above did not spend the half
    assert bucket.take(0.5) == pytest.approx(0.5)


def test_an_idle_bucket_refills_only_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2.0)
    bucket.take(0.0)
    taken = [bucket.take(3600.0) for _ in range(3)]
    assert taken[:2] == [0.0, 0.0]
    assert taken[2] > 0


# --- check_pings: a batch -------------------------------------------------------------------


def test_a_batch_judges_each_ping_against_the_newest_fix_accepted_before_it() -> None:
    start = _fix_at(30)
    near = ping(1, at=NOW - timedelta(seconds=20), lat=100 / M_PER_DEG, accuracy=0.0)
    jump = ping(2, at=NOW - timedelta(seconds=19), lat=5000 / M_PER_DEG, accuracy=0.0)
    after = ping(3, at=NOW - timedelta(seconds=10), lat=200 / M_PER_DEG, accuracy=0.0)
    valid, rejected, last = check_pings(
        [near, jump, after], epoch_us(NOW), LIMITS, start, VehicleType.MOTORBIKE
    )
    # The jump is not a fix: the ping after it is judged from ``near`` and accepted.
    assert valid == [near, after]
    assert [(r.sequence, r.reason) for r in rejected] == [(2, RejectReason.SPOOFING_SUSPECTED)]
    assert last == after


def test_an_older_ping_accepted_in_a_batch_does_not_become_the_newest_fix() -> None:
    newest = _fix_at(0)
    old = ping(1, at=NOW - timedelta(seconds=60), lat=10 / M_PER_DEG)
    valid, rejected, last = check_pings([old], epoch_us(NOW), LIMITS, newest, None)
    assert (valid, rejected, last) == ([old], [], newest)


@given(
    st.lists(
        st.tuples(
            st.integers(-100, 100),  # seconds from NOW
            st.floats(-0.05, 0.05),  # degrees north of the equator
            st.sampled_from([0.0, 5.0, 200.0, math.nan, math.inf]),  # accuracy
        ),
        max_size=12,
    ),
    st.sampled_from([None, VehicleType.ON_FOOT, VehicleType.CAR]),
)
def test_a_batch_gives_what_checking_its_pings_one_by_one_gives(
    spec: list[tuple[int, float, float]], vehicle: VehicleType | None
) -> None:
    batch = sorted(
        (
            ping(i + 1, at=NOW + timedelta(seconds=dt), lat=lat, accuracy=acc)
            for i, (dt, lat, acc) in enumerate(spec)
        ),
        key=lambda p: p.record_us,
    )
    valid, rejected, last = check_pings(batch, epoch_us(NOW), LIMITS, None, vehicle)
    expected_valid, expected_rejected, fix = [], [], None
    for p in batch:
        problem = check_ping(p, epoch_us(NOW), LIMITS, fix, vehicle)
        if problem is not None:
            expected_rejected.append(problem)
            continue
        expected_valid.append(p)
        if fix is None or p.record_us > fix.record_us:
            fix = p
    assert (valid, rejected, last) == (expected_valid, expected_rejected, fix)


# --- haversine --------------------------------------------------------------------------------


def test_haversine_gives_known_distances() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)
    assert haversine_m(0, 0, 0, 90) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 4, rel=1e-9)
    # Paris (Notre-Dame) to London (Trafalgar Square), about 343.5 km.
    assert haversine_m(48.8530, 2.3499, 51.5080, -0.1281) == pytest.approx(343_500, rel=0.005)
    assert haversine_m(-1.28, 36.82, -1.28, 36.82) == 0.0
    assert haversine_m(10, 179.9, 10, -179.9) == pytest.approx(haversine_m(10, 0, 10, 0.2))


@given(
    st.floats(-69.9, 69.9),
    st.floats(-179.0, 179.0),
    st.floats(0, 2 * math.pi),
    st.floats(0, 20_000),
)
def test_the_flat_estimate_used_to_skip_the_speed_check_is_within_a_percent(
    lat: float, lng: float, bearing: float, metres: float
) -> None:
    """check_pings trusts the flat estimate only where it is this close to the great circle."""
    dlat = math.degrees(metres * math.cos(bearing) / EARTH_RADIUS_M)
    dlng = math.degrees(metres * math.sin(bearing) / EARTH_RADIUS_M) / math.cos(math.radians(lat))
    lat2 = max(-69.9, min(69.9, lat + dlat))
    lng2 = lng + dlng
    flat = _flat_m(lat, lng, lat2, lng2)
    if flat < 20_000:
        assert haversine_m(lat, lng, lat2, lng2) <= flat * 1.01 + 1.0


def test_a_ping_whose_task_holds_a_nul_is_out_of_range_and_the_rest_of_the_batch_is_kept() -> None:
    bad = ping()._replace(sequence=2, task="tenants/t/tasks/\x00")
    good = ping()._replace(sequence=3, task="tenants/t/tasks/abc")

    valid, rejected, _ = check_pings([bad, good], epoch_us(NOW), LIMITS, None, None)

    assert [p.sequence for p in valid] == [3]
    assert [(r.sequence, r.reason) for r in rejected] == [(2, "out_of_range")]
