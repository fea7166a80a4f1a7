"""The cold chain's rules: a task's range from its items, a reading's checks, and excursion
episodes (a run out of range beyond the tolerance for the minimum duration starts one, once;
readings back inside the range end it), whatever the batches the readings came in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.coldchain import (
    MIN_DURATION,
    TOLERANCE_C,
    ColdChain,
    Problem,
    Range,
    Reading,
    Recovered,
    Started,
    check_reading,
    observe,
    task_range,
)
from logistics.domain.tasks import Item

T0 = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
CHILLED = Range(2.0, 8.0)


def at(minutes: float, celsius: float, probe: str = "p1") -> Reading:
    return Reading(probe, T0 + timedelta(minutes=minutes), celsius)


def test_the_range_is_the_tightest_of_the_items_and_ambient_items_have_none() -> None:
    items = [Item("milk", min_temperature_c=2, max_temperature_c=8), Item("bread")]
    assert task_range(items) == Range(2, 8)
    items.append(Item("fish", min_temperature_c=0, max_temperature_c=4))
    assert task_range(items) == Range(2, 4)
    assert task_range([Item("bread")]) is None


def test_a_reading_is_refused_for_a_bad_probe_a_bad_number_or_a_time_out_of_bounds() -> None:
    now = T0
    assert check_reading(at(0, 5), now, T0) is None
    assert check_reading(Reading("", T0, 5), now, T0) is not None
    assert check_reading(Reading("=cmd|x", T0, 5), now, T0) is not None  # never a formula
    assert check_reading(Reading("p" * 65, T0, 5), now, T0) is not None
    for bad in (float("nan"), float("inf"), -100.5, 200.5):
        found = check_reading(at(0, bad), now, T0)
        assert found is not None
        assert found[:2] == (Problem.INVALID, "celsius")
    ahead = check_reading(at(6, 5), now, T0)
    assert ahead is not None
    assert ahead[:2] == (Problem.OUT_OF_TIME, "record_time")
    assert check_reading(at(-24 * 60 - 1, 5), now, T0) is not None
    assert check_reading(at(-23 * 60, 5), now, T0) is None  # chilled before the task


def test_one_noisy_reading_raises_nothing() -> None:
    _, changes = observe(ColdChain(), CHILLED, [at(0, 5), at(1, 15), at(2, 5), at(10, 5)])
    assert changes == []


def test_a_reading_within_the_tolerance_is_not_out_of_range() -> None:
    readings = [at(m, 8 + TOLERANCE_C) for m in range(0, 30)]
    state, changes = observe(ColdChain(), CHILLED, readings)
    assert changes == []
    assert not state.active


def test_an_excursion_starts_once_after_the_minimum_duration_and_recovers_inside() -> None:
    readings = [at(0, 5), *(at(m, 10) for m in range(1, 12)), at(12, 8.3), at(13, 7.5)]
    state, changes = observe(ColdChain(), CHILLED, readings)
    assert changes == [
        Started(at(1 + MIN_DURATION.total_seconds() / 60, 10), T0 + timedelta(minutes=1)),
        # 8.3 is within the tolerance but not inside the range: not yet recovered.
        Recovered(at(13, 7.5), T0 + timedelta(minutes=1), 10),
    ]
    assert not state.active
    assert state.excursions == 1
    assert state.last == at(13, 7.5)


def test_an_episode_lasts_until_every_probe_is_back_and_a_late_reading_changes_nothing() -> None:
    readings = [at(0, 12, "a"), at(6, 12, "a"), at(7, 12, "b"), at(13, 12, "b"), at(14, 5, "a")]
    state, changes = observe(ColdChain(), CHILLED, readings)
    assert [type(c) for c in changes] == [Started]
    assert state.active
    late = at(3, 5, "b")  # older than probe b's newest
    assert observe(state, CHILLED, [late]) == (state, [])
    state, changes = observe(state, CHILLED, [at(15, 6, "b")])
    assert changes == [Recovered(at(15, 6, "b"), T0, 12)]


def test_ambient_goods_have_readings_but_no_episodes() -> None:
    state, changes = observe(ColdChain(), None, [at(0, 40), at(30, 40)])
    assert changes == []
    assert state.last == at(30, 40)


# Readings of up to two probes, a minute or more apart per probe, around a 2-8 °C range.
probe_series = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.integers(1, 4),
        st.sampled_from([-3.0, 1.7, 2.0, 5.0, 8.0, 8.4, 8.6, 12.0, 30.0]),
    ),
    max_size=60,
)


def _readings(series: list[tuple[str, int, float]]) -> list[Reading]:
    clock = {"a": 0, "b": 0}
    out = []
    for probe, step, celsius in series:
        clock[probe] += step
        out.append(at(clock[probe] + (0.5 if probe == "b" else 0), celsius, probe))
    return out


@given(probe_series, st.lists(st.integers(0, 60), max_size=5))
def test_the_batches_readings_come_in_do_not_change_the_outcome(
    series: list[tuple[str, int, float]], cuts: list[int]
) -> None:
    """Readings sent in time order, however they are cut into batches."""
    readings = sorted(_readings(series), key=lambda r: r.record_time)
    whole, whole_changes = observe(ColdChain(), CHILLED, readings)
    state, changes = ColdChain(), []
    bounds = sorted({0, len(readings), *(c for c in cuts if c <= len(readings))})
    for lo, hi in itertools.pairwise(bounds):
        state, more = observe(state, CHILLED, readings[lo:hi])
        changes.extend(more)
    assert (state, changes) == (whole, whole_changes)


@given(probe_series)
def test_episodes_alternate_and_each_change_is_where_the_rules_say(
    series: list[tuple[str, int, float]],
) -> None:
    readings = _readings(series)
    state, changes = observe(ColdChain(), CHILLED, readings)
    kinds = [type(c) for c in changes]
    assert kinds == [Started, Recovered] * (len(kinds) // 2) + [Started] * (len(kinds) % 2)
    assert state.excursions == kinds.count(Started)
    assert state.active == (kinds[-1:] == [Started])
    for c in changes:
        if isinstance(c, Started):
            # Out beyond the tolerance, for at least the minimum duration of its own run.
            assert CHILLED.beyond(c.reading.celsius, TOLERANCE_C)
            assert c.reading.record_time - c.since >= MIN_DURATION
            run = [
                r
                for r in readings
                if r.probe_id == c.reading.probe_id and c.since <= r.record_time
                if r.record_time <= c.reading.record_time
            ]
            assert all(CHILLED.beyond(r.celsius, TOLERANCE_C) for r in run)
        else:
            assert CHILLED.holds(c.reading.celsius)


@given(probe_series)
def test_readings_inside_the_range_never_alarm(series: list[tuple[str, int, float]]) -> None:
    inside = [r for r in _readings(series) if CHILLED.holds(r.celsius)]
    assert observe(ColdChain(), CHILLED, inside)[1] == []


def test_the_peak_counts_the_run_before_it_became_an_excursion() -> None:
    readings = [at(0, 4.0), at(1, 15.0), *(at(m, 10.0) for m in range(2, 8)), at(8, 5.0)]
    _, changes = observe(ColdChain(), CHILLED, readings)
    assert changes[-1] == Recovered(at(8, 5.0), T0 + timedelta(minutes=1), 15.0)
