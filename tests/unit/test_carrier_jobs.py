"""Carrier statuses onto the task's state machine: every status, from every point of a
carried task, forward only, skipped statuses filled in order."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from logistics.domain.carriers import (
    TERMINAL_STATUSES,
    CarrierStatus,
    follow,
    hand_to_carrier,
    is_ahead,
    milestone,
    require_carriable,
)
from logistics.domain.errors import FailedPrecondition
from logistics.domain.tasks import (
    Action,
    ProofKind,
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
    cancel,
)

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
S = CarrierStatus

# Where each status takes a task handed to a carrier (from ASSIGNED).
EXPECTED = {
    S.PENDING: (TaskState.ASSIGNED, 0, ()),
    S.COURIER_ASSIGNED: (TaskState.ASSIGNED, 0, ()),
    S.EN_ROUTE_TO_PICKUP: (TaskState.EN_ROUTE, 0, (Action.START,)),
    S.AT_PICKUP: (TaskState.ARRIVED, 0, (Action.START, Action.ARRIVE)),
    S.PICKED_UP: (TaskState.EN_ROUTE, 1, (Action.START, Action.ARRIVE, Action.COMPLETE_STEP)),
    S.EN_ROUTE_TO_DROP_OFF: (
        TaskState.EN_ROUTE,
        1,
        (Action.START, Action.ARRIVE, Action.COMPLETE_STEP),
    ),
    S.AT_DROP_OFF: (
        TaskState.ARRIVED,
        1,
        (Action.START, Action.ARRIVE, Action.COMPLETE_STEP, Action.ARRIVE),
    ),
    S.DELIVERED: (
        TaskState.COMPLETED,
        1,
        (Action.START, Action.ARRIVE, Action.COMPLETE_STEP, Action.ARRIVE, Action.COMPLETE_STEP),
    ),
    S.FAILED: (TaskState.FAILED, 0, (Action.FAIL,)),
    S.CANCELLED: (TaskState.CREATED, 0, (Action.UNASSIGN,)),
}


def a_task(**changes: Any) -> Task:
    steps = (
        Step("p", StepKind.PICKUP, -1.28, 36.81),
        Step("d", StepKind.DROP_OFF, -1.30, 36.78, required_proofs=frozenset({ProofKind.PHOTO})),
    )
    return dataclasses.replace(Task(uuid.uuid4(), TaskKind.DELIVERY, steps), **changes)


def carried(status: CarrierStatus) -> Task:
    """A task a carrier has brought as far as ``status``."""
    task = hand_to_carrier(a_task())
    for move in follow(task, status, AT):
        task = move.after
    return task


def test_every_status_is_expected_here() -> None:
    assert set(EXPECTED) == set(CarrierStatus)


@pytest.mark.parametrize("status", list(CarrierStatus))
def test_each_status_moves_a_freshly_handed_task_through_every_step_between(
    status: CarrierStatus,
) -> None:
    task = hand_to_carrier(a_task())
    moves = follow(task, status, AT)
    state, step, actions = EXPECTED[status]
    assert tuple(m.action for m in moves) == actions
    end = moves[-1].after if moves else task
    assert (end.state, end.current_step) == (state, step)
    assert end.rider_id is None


@pytest.mark.parametrize("reached", [s for s in CarrierStatus if s not in TERMINAL_STATUSES])
@pytest.mark.parametrize("status", [s for s in CarrierStatus if s not in TERMINAL_STATUSES])
def test_a_status_behind_or_at_the_task_changes_nothing_and_one_ahead_moves_it_forward(
    reached: CarrierStatus, status: CarrierStatus
) -> None:
    task = carried(reached)
    moves = follow(task, status, AT)
    before, after = milestone(task), milestone(moves[-1].after) if moves else milestone(task)
    assert before is not None
    assert after is not None
    assert after == max(before, milestone(carried(status)) or 0)
    assert all(m.action is not Action.FAIL for m in moves)


@pytest.mark.parametrize("reached", [s for s in CarrierStatus if s not in TERMINAL_STATUSES])
def test_a_failure_fails_the_task_wherever_it_is(reached: CarrierStatus) -> None:
    moves = follow(carried(reached), S.FAILED, AT)
    assert [m.action for m in moves] == [Action.FAIL]
    assert moves[0].after.state is TaskState.FAILED


@pytest.mark.parametrize("reached", [s for s in CarrierStatus if s not in TERMINAL_STATUSES])
def test_a_carrier_cancellation_before_pickup_goes_back_to_dispatch_and_after_it_fails(
    reached: CarrierStatus,
) -> None:
    task = carried(reached)
    (move,) = follow(task, S.CANCELLED, AT)
    if task.state is TaskState.ASSIGNED:
        assert move.action is Action.UNASSIGN
        assert (move.after.state, move.after.manual_dispatch) == (TaskState.CREATED, True)
    else:
        assert move.action is Action.FAIL
        assert move.after.state is TaskState.FAILED


@pytest.mark.parametrize("status", list(CarrierStatus))
def test_an_ended_task_or_one_back_with_dispatchers_is_not_moved(status: CarrierStatus) -> None:
    assert follow(carried(S.DELIVERED), status, AT) == ()
    assert follow(cancel(hand_to_carrier(a_task())), status, AT) == ()
    assert follow(a_task(), status, AT) == ()


def test_delivery_completes_the_steps_with_the_carriers_word_for_their_proofs() -> None:
    done = carried(S.DELIVERED)
    assert [s.state for s in done.steps] == [StepState.COMPLETED, StepState.COMPLETED]
    assert all(s.complete_time == AT for s in done.steps)


@pytest.mark.parametrize("current", list(CarrierStatus))
@pytest.mark.parametrize("incoming", list(CarrierStatus))
def test_a_job_moves_only_forward_and_never_after_it_ended(
    current: CarrierStatus, incoming: CarrierStatus
) -> None:
    ahead = is_ahead(current, incoming)
    order = list(CarrierStatus)
    if current in TERMINAL_STATUSES:
        assert not ahead
    elif incoming in (S.FAILED, S.CANCELLED):
        assert ahead
    else:
        assert ahead == (order.index(incoming) > order.index(current))


def test_only_a_waiting_pickup_then_drop_off_task_goes_to_a_carrier() -> None:
    three = a_task(
        steps=(
            Step("p", StepKind.PICKUP, -1.28, 36.81),
            Step("h", StepKind.HUB, -1.29, 36.80),
            Step("d", StepKind.DROP_OFF, -1.30, 36.78),
        )
    )
    with pytest.raises(FailedPrecondition) as shape:
        require_carriable(three)
    assert shape.value.reason == "NOT_CARRIABLE"
    with pytest.raises(FailedPrecondition) as taken:
        hand_to_carrier(hand_to_carrier(a_task()))
    assert taken.value.reason == "ILLEGAL_TRANSITION"
    handed = hand_to_carrier(a_task(manual_dispatch=True))
    assert (handed.state, handed.rider_id, handed.manual_dispatch) == (
        TaskState.ASSIGNED,
        None,
        False,
    )
