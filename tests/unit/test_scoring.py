"""The dispatch score and its per-tenant weights: what ranks a rider up or down, and which
weights a tenant may set."""

from __future__ import annotations

import math

import pytest

from logistics.domain.errors import InvalidArgument
from logistics.domain.scoring import Weights, check_weights, score


def test_a_rider_not_rated_scores_as_a_neutral_three() -> None:
    assert score(120.0, rating=None) == score(120.0, rating=3.0)
    assert score(120.0, rating=5.0) > score(120.0, rating=3.0) > score(120.0, rating=1.0)


def test_each_weight_moves_its_own_term() -> None:
    base = score(300.0, priority=5, load=1, idle_s=600.0, rating=4.0)
    assert (
        score(300.0, priority=5, load=1, idle_s=600.0, rating=4.0, weights=Weights(eta=2.0)) < base
    )
    assert (
        score(300.0, priority=5, load=1, idle_s=600.0, rating=4.0, weights=Weights(load=0.0)) > base
    )
    assert (
        score(300.0, priority=5, load=1, idle_s=600.0, rating=4.0, weights=Weights(idle=0.0)) < base
    )
    assert (
        score(300.0, priority=5, load=1, idle_s=600.0, rating=4.0, weights=Weights(rating=0.0))
        < base
    )
    # Idle time counts up to an hour only.
    assert score(0.0, idle_s=3600.0) == score(0.0, idle_s=7200.0)


@pytest.mark.parametrize(
    "weights",
    [Weights(), Weights(eta=100.0, load=0.0, idle=0.0, rating=0.0), Weights(eta=0.001)],
)
def test_weights_in_range_are_accepted(weights: Weights) -> None:
    check_weights(weights, "policy.weights")


@pytest.mark.parametrize(
    ("weights", "fields"),
    [
        (Weights(eta=0.0), ["policy.weights.eta"]),
        (Weights(load=-0.1, idle=100.5), ["policy.weights.load", "policy.weights.idle"]),
        (Weights(rating=math.nan), ["policy.weights.rating"]),
        (Weights(eta=math.inf), ["policy.weights.eta"]),
    ],
)
def test_weights_out_of_range_name_every_bad_field(weights: Weights, fields: list[str]) -> None:
    with pytest.raises(InvalidArgument) as error:
        check_weights(weights, "policy.weights")
    assert [v.field for v in error.value.violations] == fields
