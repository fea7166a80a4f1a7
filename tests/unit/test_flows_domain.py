"""The flow state machine and the failed-delivery flow's decisions, pure: which moves a state
allows, steps numbered once, compensations owed in reverse and each once, and the legs a
failed drop-off leads to (re-attempts up to the policy's count, then the fallback)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain import failed_delivery as fd
from logistics.domain import flows
from logistics.domain.compliance import Window
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.flows import Act, Flow, FlowKind, FlowState, FlowStep
from logistics.domain.tasks import (
    Item,
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
)

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
ORIGIN = uuid.UUID(int=1)


def failed_task(attempt: int = 1, state: TaskState = TaskState.FAILED) -> Task:
    window = Window(NOW - timedelta(hours=1), NOW)
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(
            Step("0", StepKind.PICKUP, -1.28, 36.82, state=StepState.COMPLETED, outlet_id="kfc"),
            Step("1", StepKind.DROP_OFF, -1.30, 36.80, window=window, state=StepState.FAILED),
        ),
        state=state,
        current_step=1,
        items=(Item(sku="A", quantity=2),),
        attempt=attempt,
        order_id="o-1",
        delivery_deadline=NOW,
    )


def new_flow(reason: fd.FailReason = fd.FailReason.CUSTOMER_ABSENT) -> Flow:
    return flows.start(
        uuid.uuid4(),
        FlowKind.FAILED_DELIVERY,
        ORIGIN,
        fd.context_of(reason, fd.DEFAULT_RULES[reason]),
    )


def run(flow: Flow, plan: flows.Plan, made: uuid.UUID | None = None) -> Flow:
    """``plan`` taken as the engine takes it (each act making ``made`` when it waits)."""
    for act in plan.acts:
        flow = flows.took(flow, act, made if act.wait else act.target, "", NOW)
    return flows.move(flow, plan.state) if plan.state is not flow.state else flow


@pytest.mark.parametrize("end", sorted(flows.FLOW_TERMINAL))
def test_an_ended_flow_takes_no_step_and_moves_nowhere(end: FlowState) -> None:
    flow = dataclasses.replace(new_flow(), state=end)
    with pytest.raises(FailedPrecondition):
        flows.took(flow, Act("x"), None, "", NOW)
    for state in FlowState:
        with pytest.raises(FailedPrecondition):
            flows.move(flow, state)


def test_a_running_flow_cannot_be_compensated_without_compensating_first() -> None:
    with pytest.raises(FailedPrecondition):
        flows.move(new_flow(), FlowState.COMPENSATED)
    assert flows.move(new_flow(), FlowState.COMPENSATING).state is FlowState.COMPENSATING


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=20))
def test_steps_are_numbered_one_by_one_in_the_order_taken(names: list[str]) -> None:
    flow = new_flow()
    for name in names:
        flow = flows.took(flow, Act(name), None, name, NOW)
    assert [s.seq for s in flow.steps] == list(range(1, len(names) + 1))
    assert [s.name for s in flow.steps] == names


@given(st.lists(st.sampled_from([fd.TAKE_OVER, fd.OPEN_REATTEMPT, fd.LEG_FAILED]), max_size=12))
def test_compensations_are_owed_last_step_first_and_each_once(names: list[str]) -> None:
    flow = new_flow()
    for name in names:
        flow = flows.took(flow, Act(name, target=uuid.uuid4()), None, "", NOW)
    owed = flows.compensations(flow, fd.undo)
    undone = [a.compensates for a in owed]
    assert undone == sorted(undone, reverse=True)
    assert {flow.steps[i - 1].name for i in undone if i is not None} <= {
        fd.TAKE_OVER,
        fd.OPEN_REATTEMPT,
    }
    assert len(owed) == sum(n in (fd.TAKE_OVER, fd.OPEN_REATTEMPT) for n in names)
    for act in owed:
        flow = flows.took(flow, act, None, "", NOW)
    assert flows.compensations(flow, fd.undo) == ()


def test_a_failed_drop_off_opens_a_reattempt_and_waits_for_it() -> None:
    flow = new_flow()
    plan = fd.on_start(flow)
    assert [a.name for a in plan.acts] == [fd.TAKE_OVER, fd.OPEN_REATTEMPT]
    leg = uuid.uuid4()
    flow = run(flow, plan, leg)
    assert flow.waiting_on == leg
    assert fd.on_start(flow).acts == ()  # started once


@given(st.integers(min_value=1, max_value=6))
def test_reattempts_go_on_up_to_the_policy_count_then_fall_back_to_a_return(
    max_attempts: int,
) -> None:
    rule = fd.FailRule(fd.FailAction.REATTEMPT, max_attempts=max_attempts)
    flow = flows.start(
        uuid.uuid4(), FlowKind.FAILED_DELIVERY, ORIGIN, fd.context_of(fd.FailReason.OTHER, rule)
    )
    leg_id = uuid.uuid4()
    flow = run(flow, fd.on_start(flow), leg_id)
    attempt = 2
    while True:
        leg = dataclasses.replace(failed_task(attempt), id=leg_id)
        plan = fd.on_leg_ended(flow, leg)
        assert plan.acts[0].name == fd.LEG_FAILED
        leg_id = uuid.uuid4()
        flow = run(flow, plan, leg_id)
        if plan.acts[1].name == fd.OPEN_RETURN:
            break
        attempt += 1
    assert attempt == max(2, max_attempts)
    back = dataclasses.replace(failed_task(state=TaskState.FAILED), id=leg_id)
    assert fd.on_leg_ended(flow, back).state is FlowState.FAILED


def test_only_the_awaited_leg_ending_moves_the_flow() -> None:
    flow = new_flow()
    leg = uuid.uuid4()
    flow = run(flow, fd.on_start(flow), leg)
    other = failed_task()
    assert fd.on_leg_ended(flow, other).acts == ()
    running = dataclasses.replace(failed_task(state=TaskState.EN_ROUTE), id=leg)
    assert fd.on_leg_ended(flow, running).acts == ()
    done = dataclasses.replace(failed_task(state=TaskState.COMPLETED), id=leg)
    assert fd.on_leg_ended(flow, done) == flows.Plan(
        (Act(fd.LEG_DONE, target=leg),), FlowState.COMPLETED
    )


def test_a_leg_cancelled_upstream_is_compensated_in_reverse() -> None:
    flow = new_flow()
    leg = uuid.uuid4()
    flow = run(flow, fd.on_start(flow), leg)
    cancelled = dataclasses.replace(failed_task(state=TaskState.CANCELLED), id=leg)
    plan = fd.on_leg_ended(flow, cancelled)
    assert [(a.name, a.compensates) for a in plan.acts] == [
        (fd.CANCEL_LEG, 2),
        (fd.RETURN_GOODS, 1),
    ]
    assert plan.state is FlowState.COMPENSATED


def test_only_a_failed_drop_off_outside_any_flow_starts_one() -> None:
    assert fd.applies(failed_task())
    assert not fd.applies(dataclasses.replace(failed_task(), flow_id=uuid.uuid4()))
    assert not fd.applies(failed_task(state=TaskState.CANCELLED))
    at_pickup = dataclasses.replace(failed_task(), current_step=0)
    assert not fd.applies(at_pickup)
    # A shuttle's goods go back by their transfers' own flows.
    assert not fd.applies(dataclasses.replace(failed_task(), kind=TaskKind.SHUTTLE))


def test_a_reattempt_is_the_same_delivery_a_day_later_fresh_and_counted() -> None:
    failed = failed_task(attempt=2)
    flow_id = uuid.uuid4()
    again = fd.reattempt_of(failed, uuid.uuid4(), flow_id, NOW)
    assert (again.attempt, again.flow_id, again.state) == (3, flow_id, TaskState.CREATED)
    assert [s.state for s in again.steps] == [StepState.PENDING, StepState.PENDING]
    assert again.current_step == 0
    assert again.rider_id is None
    old = failed.steps[1].window
    assert old is not None
    assert again.steps[1].window == Window(
        old.start + timedelta(days=1), old.end + timedelta(days=1)
    )
    assert again.delivery_deadline == NOW + timedelta(days=1)
    assert (again.items, again.order_id) == (failed.items, failed.order_id)


@given(st.integers(min_value=0, max_value=20 * 24))
def test_the_next_window_starts_after_now_at_the_same_hours(hours_later: int) -> None:
    window = Window(NOW, NOW + timedelta(hours=1))
    now = NOW + timedelta(hours=hours_later)
    moved = fd.next_window(window, now)
    assert moved is not None
    assert moved.start > now
    assert (moved.start - window.start) % timedelta(days=1) == timedelta(0)
    assert moved.start - timedelta(days=1) <= max(now, window.start)


def test_a_return_goes_from_the_failed_drop_to_the_origin_or_the_hub() -> None:
    failed = failed_task()
    back = fd.return_of(failed, failed, uuid.uuid4(), uuid.uuid4(), None)
    assert back.kind is TaskKind.RETURN
    assert [(s.kind, s.latitude) for s in back.steps] == [
        (StepKind.PICKUP, -1.30),
        (StepKind.DROP_OFF, -1.28),
    ]
    assert back.steps[1].outlet_id == "kfc"
    assert back.items == failed.items
    hub = fd.Hub(outlet_id="hub-1", latitude=-1.0, longitude=36.0)
    held = fd.return_of(failed, failed, uuid.uuid4(), uuid.uuid4(), hub)
    assert (held.steps[1].latitude, held.steps[1].outlet_id) == (-1.0, "hub-1")


def test_a_flow_owns_its_first_task_and_those_its_steps_made() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    flow = dataclasses.replace(
        new_flow(),
        steps=(
            FlowStep(1, "x", task_id=ORIGIN),
            FlowStep(2, "y", task_id=a),
            FlowStep(3, "z", task_id=b),
        ),
    )
    assert flow.tasks == (ORIGIN, a, b)


@given(
    st.sampled_from(list(fd.FailReason)),
    st.sampled_from(list(fd.FailAction)),
    st.integers(min_value=-1, max_value=12),
    st.sampled_from(list(fd.FailAction)),
    st.booleans(),
)
def test_a_policy_is_accepted_exactly_when_each_rule_can_be_followed(
    reason: fd.FailReason,
    action: fd.FailAction,
    attempts: int,
    fallback: fd.FailAction,
    with_hub: bool,
) -> None:
    hub = fd.Hub(latitude=-1.0, longitude=36.0) if with_hub else None
    rule = fd.FailRule(action, max_attempts=attempts, fallback=fallback, hub=hub)
    policy = fd.FailedDeliveryPolicy({reason: rule})
    reattempt = action is fd.FailAction.REATTEMPT
    holds = action is fd.FailAction.HOLD_AT_HUB or (
        reattempt and fallback is fd.FailAction.HOLD_AT_HUB
    )
    fine = (
        not reattempt or (2 <= attempts <= 10 and fallback is not fd.FailAction.REATTEMPT)
    ) and (not holds or with_hub)
    if fine:
        fd.validate_policy(policy)
    else:
        with pytest.raises(InvalidArgument):
            fd.validate_policy(policy)


def test_the_default_policy_is_valid_and_names_every_reason() -> None:
    fd.validate_policy(fd.FailedDeliveryPolicy())
    assert set(fd.with_defaults({})) == set(fd.FailReason)
