"""The event-id de-duplicator: each id once within the window, memory bounded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.dedupe import Deduplicator


def test_a_copy_within_the_window_is_dropped_and_other_ids_pass() -> None:
    recent = Deduplicator(window_s=60)

    assert recent.first_time("e1", now=0.0)
    assert recent.first_time("e2", now=1.0)
    assert not recent.first_time("e1", now=30.0)
    assert not recent.first_time("e2", now=60.0)


def test_an_id_is_forgotten_once_the_window_since_it_was_first_seen_has_passed() -> None:
    recent = Deduplicator(window_s=60)
    recent.first_time("e1", now=0.0)
    assert not recent.first_time("e1", now=59.0)  # a copy does not extend the window

    assert recent.first_time("e1", now=60.0)
    assert len(recent) == 1


def test_expired_ids_free_their_memory() -> None:
    recent = Deduplicator(window_s=10)
    for i in range(1000):
        recent.first_time(f"e{i}", now=float(i))

    assert len(recent) == 10


def test_beyond_its_capacity_the_oldest_ids_go_first() -> None:
    recent = Deduplicator(window_s=3600, capacity=3)
    for event_id in ("a", "b", "c", "d"):
        assert recent.first_time(event_id, now=0.0)

    assert len(recent) == 3
    assert not recent.first_time("d", now=1.0)
    assert not recent.first_time("b", now=1.0)
    assert recent.first_time("a", now=1.0)  # evicted: a copy this late passes again


@given(st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=2), max_size=300))
def test_memory_never_exceeds_the_capacity_and_each_id_passes_once(ids: list[str]) -> None:
    recent = Deduplicator(window_s=1e9, capacity=1000)
    passed = [event_id for t, event_id in enumerate(ids) if recent.first_time(event_id, t)]

    assert sorted(passed) == sorted(set(ids))
    assert len(recent) <= 1000


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=300))
def test_with_a_small_capacity_memory_stays_bounded(ids: list[int]) -> None:
    recent = Deduplicator(window_s=1e9, capacity=8)
    for t, event_id in enumerate(ids):
        recent.first_time(str(event_id), float(t))
        assert len(recent) <= 8


@pytest.mark.parametrize(("window_s", "capacity"), [(0, 10), (-1, 10), (10, 0)])
def test_a_window_or_capacity_that_is_not_positive_is_refused(
    window_s: float, capacity: int
) -> None:
    with pytest.raises(ValueError, match="positive"):
        Deduplicator(window_s, capacity)
