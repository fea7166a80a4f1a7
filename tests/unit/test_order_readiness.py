"""Order readiness: MarkTaskReady's rule, the rider's wait at a pickup, curbside steps' proof
rules, and the order in which automatic dispatch offers an order that is not ready yet."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain import tasks as machine
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.readiness import by_readiness, pickup_wait_seconds
from logistics.domain.tasks import ProofKind, Step, StepKind, Task, TaskKind, TaskState

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def food_order(**changes: object) -> Task:
    task = Task(
        uuid.uuid4(),
        TaskKind.DELIVERY,
        (
            Step("0", StepKind.PICKUP, -1.26, 36.80, outlet_id="kitchen-1"),
            Step("1", StepKind.DROP_OFF, -1.29, 36.82),
        ),
        state=TaskState.EN_ROUTE,
        rider_id=uuid.uuid4(),
    )
    return dataclasses.replace(task, **changes)  # type: ignore[arg-type]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# MarkTaskReady


def test_marking_ready_records_the_time_once() -> None:
    first = machine.mark_ready(food_order(), at(5))
    again = machine.mark_ready(first, at(9))

    assert first.mark_ready_time == at(5)
    assert again is first


@pytest.mark.parametrize("state", sorted(machine.TERMINAL))
def test_an_ended_task_cannot_be_marked_ready(state: TaskState) -> None:
    with pytest.raises(FailedPrecondition):
        machine.mark_ready(food_order(state=state), at(1))


@pytest.mark.parametrize("state", sorted(set(TaskState) - machine.TERMINAL))
def test_any_open_state_can_be_marked_ready(state: TaskState) -> None:
    assert machine.mark_ready(food_order(state=state), at(1)).mark_ready_time == at(1)


def test_marked_ready_wins_over_the_expected_time() -> None:
    task = food_order(ready_time=at(20))

    assert task.ready_at == at(20)
    assert machine.mark_ready(task, at(12)).ready_at == at(12)


def test_a_ready_time_after_the_delivery_deadline_is_refused() -> None:
    with pytest.raises(InvalidArgument) as err:
        machine.validate_task(food_order(ready_time=at(40), delivery_deadline=at(30)))
    assert [v.field for v in err.value.violations] == ["task.ready_time"]


# The rider's wait at the pickup


def test_a_rider_early_at_the_counter_waits_until_the_order_is_ready() -> None:
    assert pickup_wait_seconds(at(0), at(7), at(9)) == 7 * 60


def test_a_rider_arriving_after_readiness_does_not_wait() -> None:
    assert pickup_wait_seconds(at(10), at(7), at(12)) == 0


def test_the_wait_never_runs_past_the_pickup() -> None:
    # Handed over before the kitchen said so: the wait ends with the pickup.
    assert pickup_wait_seconds(at(0), at(30), at(4)) == 4 * 60


def test_readiness_unknown_counts_the_whole_stay() -> None:
    assert pickup_wait_seconds(at(0), None, at(3)) == 3 * 60


@given(st.floats(0, 120), st.one_of(st.none(), st.floats(-60, 180)), st.floats(0, 60))  # minutes
def test_the_wait_is_between_zero_and_the_stay(
    arrive: float, ready: float | None, stay: float
) -> None:
    wait = pickup_wait_seconds(at(arrive), None if ready is None else at(ready), at(arrive + stay))
    assert 0 <= wait <= round(stay * 60) + 1


def test_completing_a_pickup_stores_the_wait_on_the_step() -> None:
    task = machine.mark_ready(food_order(), at(6))
    task = machine.arrive(task, "0", at(2))
    done = machine.complete_step(task, "0", frozenset(), at(8))

    assert done.steps[0].wait_seconds == 4 * 60
    assert done.steps[1].wait_seconds is None


def test_a_drop_off_records_no_pickup_wait() -> None:
    task = food_order(current_step=1, state=TaskState.EN_ROUTE)
    task = machine.arrive(task, "1", at(20))

    assert machine.complete_step(task, "1", frozenset(), at(22)).steps[1].wait_seconds is None


# Curbside pickups


def curbside(kind: StepKind = StepKind.PICKUP, *proofs: ProofKind) -> Task:
    step = Step("0", kind, -1.26, 36.80, curbside=True, required_proofs=frozenset(proofs))
    return food_order(steps=(step, Step("1", StepKind.DROP_OFF, -1.29, 36.82)))


def test_a_curbside_pickup_with_a_photo_is_valid() -> None:
    machine.validate_task(curbside(StepKind.PICKUP, ProofKind.PHOTO))


@pytest.mark.parametrize("proof", [ProofKind.SIGNATURE, ProofKind.RECIPIENT_NAME])
def test_a_curbside_pickup_takes_no_signature_or_name(proof: ProofKind) -> None:
    with pytest.raises(InvalidArgument) as err:
        machine.validate_task(curbside(StepKind.PICKUP, proof))
    assert [v.field for v in err.value.violations] == ["task.steps[0].required_proofs"]


@pytest.mark.parametrize("kind", [StepKind.DROP_OFF, StepKind.HUB])
def test_only_a_pickup_can_be_curbside(kind: StepKind) -> None:
    with pytest.raises(InvalidArgument) as err:
        machine.validate_task(curbside(kind))
    assert [v.field for v in err.value.violations] == ["task.steps[0].curbside"]


# Which rider automatic dispatch offers an order that is not ready yet


@dataclass(frozen=True)
class Match:
    rider: str
    eta_s: float


def test_an_order_ready_now_keeps_the_score_order() -> None:
    matches = [Match("far", 900), Match("near", 60)]
    assert by_readiness(matches, 0) == matches
    assert by_readiness(matches, -300) == matches


def test_an_order_ready_later_goes_first_to_the_rider_arriving_about_then() -> None:
    matches = [Match("near", 60), Match("timed", 610), Match("late", 1500)]

    assert [m.rider for m in by_readiness(matches, 600)] == ["timed", "near", "late"]


def test_riders_equally_well_timed_keep_their_score_order() -> None:
    matches = [Match("better score", 590), Match("worse score", 600)]

    assert [m.rider for m in by_readiness(matches, 600)] == ["better score", "worse score"]
