"""The retry waits: full and equal jitter under an exponentially growing, capped ceiling."""

from __future__ import annotations

import pytest

from logistics.backoff import delay_before_retry, equal_jitter, full_jitter

CEILINGS = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]  # base 0.1 s, cap 1 s


def test_full_jitter_is_drawn_from_zero_to_the_ceiling() -> None:
    wait = full_jitter(0.1, 1.0)
    for attempt, ceiling in enumerate(CEILINGS, start=1):
        draws = [delay_before_retry(wait, attempt) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in draws)
        assert min(draws) < ceiling / 4  # spread over the range, not fixed
        assert max(draws) > ceiling * 3 / 4


def test_equal_jitter_keeps_at_least_half_the_ceiling() -> None:
    wait = equal_jitter(0.1, 1.0)
    for attempt, ceiling in enumerate(CEILINGS, start=1):
        draws = [delay_before_retry(wait, attempt) for _ in range(300)]
        assert all(ceiling / 2 - 1e-9 <= d <= ceiling + 1e-9 for d in draws)
        assert max(draws) - min(draws) > ceiling / 4


def test_a_long_outage_waits_the_cap_without_overflowing() -> None:
    assert 0.5 <= delay_before_retry(equal_jitter(0.2, 1.0), 100_000) <= 1.0
    assert 0.0 <= delay_before_retry(full_jitter(5.0, 3600.0), 10**9) <= 3600.0


def test_no_wait_is_asked_before_a_first_failure() -> None:
    with pytest.raises(ValueError, match="at least one failed attempt"):
        delay_before_retry(full_jitter(0.1, 1.0), 0)
