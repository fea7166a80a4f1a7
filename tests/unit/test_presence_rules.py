"""The rules of verified completion: the distance and accuracy rule, which position is judged,
no position at all, and what a completion policy may say."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.errors import InvalidArgument
from logistics.domain.presence import (
    CompletionPolicy,
    Enforcement,
    Fix,
    Source,
    Verdict,
    check_presence,
    choose_fix,
    validate_completion_policy,
)
from logistics.domain.telemetry import EARTH_RADIUS_M

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
STEP = (-1.3000, 36.7800)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due north along the meridian (the haversine distance is exact)."""
    return point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1]


def fix_at(metres: float, accuracy_m: float, source: Source = Source.REQUEST) -> Fix:
    lat, lng = north_of(STEP, metres)
    return Fix(lat, lng, accuracy_m, NOW, source)


radii = st.floats(min_value=10, max_value=5000)
accuracies = st.floats(min_value=0, max_value=150)


@given(radius=radii, accuracy=accuracies, share=st.floats(min_value=0, max_value=1))
def test_a_fix_within_the_radius_plus_its_accuracy_is_never_flagged(
    radius: float, accuracy: float, share: float
) -> None:
    policy = CompletionPolicy(radius_m=radius)
    distance = share * (radius + accuracy) - 0.01  # a centimetre for the floating point
    found = check_presence(fix_at(max(distance, 0), accuracy), *STEP, policy)
    assert found.verdict is Verdict.INSIDE
    assert not found.flagged


@given(radius=radii, accuracy=st.floats(min_value=0, max_value=10), beyond=st.floats(0.01, 1e5))
def test_a_fix_beyond_the_radius_plus_a_small_accuracy_is_always_flagged(
    radius: float, accuracy: float, beyond: float
) -> None:
    policy = CompletionPolicy(radius_m=radius)
    found = check_presence(fix_at(radius + accuracy + beyond, accuracy), *STEP, policy)
    assert found.verdict is Verdict.OUTSIDE
    assert found.flagged
    assert found.distance_m == pytest.approx(radius + accuracy + beyond, abs=0.01)


def test_an_inaccurate_fix_near_enough_is_no_proof_of_being_elsewhere() -> None:
    policy = CompletionPolicy(radius_m=50)
    assert check_presence(fix_at(120, 80), *STEP, policy).verdict is Verdict.INSIDE
    assert check_presence(fix_at(120, 5), *STEP, policy).verdict is Verdict.OUTSIDE


@pytest.mark.parametrize("flag", [True, False])
def test_with_no_position_the_policy_says_whether_to_flag(flag: bool) -> None:
    policy = CompletionPolicy(flag_without_position=flag)
    found = check_presence(None, *STEP, policy)
    assert found.verdict is Verdict.NO_POSITION
    assert found.flagged is flag
    assert found.describe("completed", "drop_off") == (
        "completed with no usable position to check against the drop-off"
    )


def test_the_position_sent_with_the_action_is_judged_before_the_live_fix() -> None:
    policy = CompletionPolicy()
    sent, live = fix_at(10, 5), fix_at(3000, 5, Source.LIVE)
    assert choose_fix(sent, live, NOW, policy) is sent
    assert choose_fix(None, live, NOW, policy) is live


def test_a_live_fix_counts_only_near_the_actions_time() -> None:
    policy = CompletionPolicy(max_fix_age=timedelta(seconds=60))
    live = fix_at(10, 5, Source.LIVE)
    assert choose_fix(None, live, NOW + timedelta(seconds=60), policy) is live
    assert choose_fix(None, live, NOW + timedelta(seconds=61), policy) is None
    # An offline action replayed later is not judged by where the rider is now.
    assert choose_fix(None, live, NOW - timedelta(minutes=10), policy) is None


def test_a_fix_less_accurate_than_the_policy_allows_is_passed_over() -> None:
    policy = CompletionPolicy(max_accuracy_m=100)
    vague, live = fix_at(10, 500), fix_at(20, 8, Source.LIVE)
    assert choose_fix(vague, live, NOW, policy) is live
    assert choose_fix(vague, None, NOW, policy) is None


def test_the_reason_says_how_far_and_what_was_allowed() -> None:
    found = check_presence(fix_at(2100, 12), *STEP, CompletionPolicy(radius_m=100))
    assert found.describe("completed", "drop_off") == (
        "completed 2.1 km from the drop-off (allowed 100 m + accuracy 12 m; request position)"
    )


def test_a_policy_out_of_bounds_names_every_bad_field() -> None:
    bad = CompletionPolicy(
        Enforcement.REFUSE, radius_m=5, max_fix_age=timedelta(hours=1), max_accuracy_m=math.nan
    )
    with pytest.raises(InvalidArgument) as caught:
        validate_completion_policy(bad)
    assert {v.field for v in caught.value.violations} == {
        "policy.radius_m",
        "policy.max_fix_age",
        "policy.max_accuracy_m",
    }
    validate_completion_policy(CompletionPolicy())
