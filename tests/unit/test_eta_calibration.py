"""The calibration model (domain/eta_calibration.py): quantiles, shrinkage toward coarser
buckets, and what a fitted model answers for seen, sparse and unseen buckets."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.eta_calibration import (
    Calibration,
    Sample,
    fit,
    hour_of_week,
    quantile,
    service_sample,
    shrunk,
    travel_sample,
)

finite = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
cells = st.sampled_from(["a1", "a2", "b1", "b2"])
samples = st.lists(
    st.builds(
        lambda cell, how, value: Sample(cell, cell[0], how, value),
        cells,
        st.integers(min_value=0, max_value=167),
        finite,
    ),
    max_size=60,
)


@given(st.lists(finite, min_size=1, max_size=50), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_quantiles_lie_within_the_values_and_grow_with_q(
    values: list[float], q1: float, q2: float
) -> None:
    ordered = sorted(values)
    lo, hi = sorted((q1, q2))
    assert ordered[0] <= quantile(ordered, lo) <= quantile(ordered, hi) <= ordered[-1]
    assert quantile(ordered, 0.0) == ordered[0]
    assert quantile(ordered, 1.0) == ordered[-1]


@given(st.lists(finite, min_size=1, max_size=50), finite, st.floats(0.1, 100.0))
def test_a_shrunk_mean_lies_between_the_bucket_and_its_prior(
    values: list[float], prior: float, k: float
) -> None:
    mean = sum(values) / len(values)
    estimate = shrunk(sum(values), len(values), prior, k)
    assert min(mean, prior) - 1e-9 <= estimate <= max(mean, prior) + 1e-9
    # More samples of the same mean pull it closer to the bucket's own.
    more = shrunk(sum(values) * 10, len(values) * 10, prior, k)
    assert abs(more - mean) <= abs(estimate - mean) + 1e-9


@settings(max_examples=150, deadline=None)
@given(samples, cells, st.integers(0, 167), st.floats(1.0, 10_000.0))
def test_p90_is_never_below_p50_and_both_are_positive(
    data: list[Sample], cell: str, how: int, raw: float
) -> None:
    p50, p90 = Calibration(fit(data)).travel_seconds(raw, cell, cell[0], how)
    assert 0 < p50 <= p90
    assert math.isfinite(p90)


def test_an_empty_model_answers_the_prior() -> None:
    assert Calibration().travel_seconds(600.0, "c", "p", 10) == (600.0, 600.0 * 1.5)
    assert Calibration().service_seconds("pickup", "c", "p", 10) is None


def _noisy(
    rng: random.Random, cell: str, parent: str, how: int, ratio: float, n: int
) -> list[Sample]:
    return [Sample(cell, parent, how, math.log(ratio) + rng.gauss(0, 0.2)) for _ in range(n)]


def test_a_well_observed_bucket_gets_its_own_ratio() -> None:
    rng = random.Random(1)
    data = _noisy(rng, "slow", "p", 8, 2.0, 2000) + _noisy(rng, "fast", "p", 8, 1.0, 2000)
    p50, _ = Calibration(fit(data)).travel_seconds(100.0, "slow", "p", 8)
    assert 190 < p50 < 210


def test_a_sparse_bucket_stays_near_the_coarser_answer() -> None:
    rng = random.Random(2)
    data = [*_noisy(rng, "known", "p", 8, 1.0, 1000), Sample("rare", "p", 8, math.log(4.0))]
    p50, _ = Calibration(fit(data)).travel_seconds(100.0, "rare", "p", 8)
    assert 100 < p50 < 130  # pulled a little toward its one slow leg, not to 400


def test_an_unseen_cell_takes_its_parents_answer() -> None:
    rng = random.Random(3)
    data = (
        _noisy(rng, "x1", "X", 8, 2.0, 500)
        + _noisy(rng, "x2", "X", 8, 2.0, 500)
        + _noisy(rng, "y1", "Y", 8, 1.0, 500)
    )
    model = Calibration(fit(data))
    unseen, _ = model.travel_seconds(100.0, "x9", "X", 8)
    assert 180 < unseen < 210
    elsewhere, _ = model.travel_seconds(100.0, "z1", "Z", 8)
    assert 120 < elsewhere < 170  # nothing known of Z: the overall level


def test_an_hour_seen_elsewhere_is_borrowed() -> None:
    """Rush hour (8) is slow everywhere it was seen; a cell seen only at 14 still gets a slow
    answer at 8, and a rare hour falls back to its hour of day in another week day."""
    rng = random.Random(4)
    data = []
    for cell in ("a", "b", "c"):
        data += _noisy(rng, cell, "p", 8, 2.0, 300) + _noisy(rng, cell, "p", 14, 1.0, 300)
    data += _noisy(rng, "d", "p", 14, 1.0, 300)
    model = Calibration(fit(data))
    rush, _ = model.travel_seconds(100.0, "d", "p", 8)
    assert rush > 180
    tuesday_rush, _ = model.travel_seconds(100.0, "a", "p", 24 + 8)
    assert tuesday_rush > 180


def test_p90_covers_nine_in_ten_fresh_legs() -> None:
    rng = random.Random(5)

    def world(n: int) -> list[tuple[str, int, float]]:
        out = []
        for _ in range(n):
            cell = rng.choice("abcdefgh")
            how = rng.randrange(168)
            slow = 1.0 + 0.8 * (cell in "abc") + 0.6 * (how % 24 in (7, 8, 17, 18))
            out.append((cell, how, slow * math.exp(rng.gauss(0, 0.25))))
        return out

    model = Calibration(fit(Sample(c, "p", h, math.log(r)) for c, h, r in world(20_000)))
    fresh = world(5_000)
    covered = sum(r * 100 <= model.travel_seconds(100.0, c, "p", h)[1] for c, h, r in fresh)
    assert 0.87 <= covered / len(fresh) <= 0.93


def test_service_times_are_learnt_per_step_kind() -> None:
    rng = random.Random(6)
    pickups = [service_sample("c", "p", 12, 300 * math.exp(rng.gauss(0, 0.3))) for _ in range(500)]
    model = Calibration(service={"pickup": fit(pickups)})
    p50, p90 = model.service_seconds("pickup", "c", "p", 12) or (0, 0)
    assert 250 < p50 < 350
    assert p90 > p50
    assert model.service_seconds("drop_off", "c", "p", 12) is None


def test_samples_need_positive_times() -> None:
    assert travel_sample("c", "p", 0, 0.0, 10.0) is None
    assert travel_sample("c", "p", 0, 10.0, 0.0) is None
    assert service_sample("c", "p", 0, 0.0).value == 0.0  # done on arrival: one second


def test_hours_of_week_start_on_monday() -> None:
    assert hour_of_week(datetime(2026, 11, 30, 0, 30, tzinfo=UTC)) == 0  # a Monday
    assert hour_of_week(datetime(2026, 12, 6, 23, 59, tzinfo=UTC)) == 167  # a Sunday
