"""The task state machine, its validation and the one-time codes, without any server.

The expected transitions are written out here from the diagram in ``logistics.domain.tasks``'s
docstring and the proto's comments, not read from ``ALLOWED``, so a change to the table that
the documentation does not share fails here.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from logistics.domain.compliance import Window
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.tasks import (
    ALLOWED,
    Action,
    Item,
    ProofKind,
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
    arrive,
    assign,
    cancel,
    complete_step,
    fail,
    record_code_attempt,
    start,
    unassign,
    validate_task,
)
from logistics.services.codes import code_matches, hash_code, new_code

S = TaskState
NOW = datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
RIDER_A, RIDER_B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
LIVE = (S.CREATED, S.ASSIGNED, S.EN_ROUTE, S.ARRIVED)

# From the diagram: (state, action) -> where the task lands. Everything not listed is illegal.
# complete_step from ARRIVED lands in EN_ROUTE while steps remain and COMPLETED after the last.
# AssignTask is "a dispatcher's manual choice or override", so an assigned task may be assigned
# again (to another rider) before it starts.
EXPECTED: dict[tuple[TaskState, Action], TaskState | str] = {
    (S.CREATED, Action.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, Action.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, Action.UNASSIGN): S.CREATED,
    (S.ASSIGNED, Action.START): S.EN_ROUTE,
    (S.EN_ROUTE, Action.ARRIVE): S.ARRIVED,
    (S.ARRIVED, Action.COMPLETE_STEP): "en_route or completed",
    (S.ASSIGNED, Action.FAIL): S.FAILED,
    (S.EN_ROUTE, Action.FAIL): S.FAILED,
    (S.ARRIVED, Action.FAIL): S.FAILED,
    **{(s, Action.CANCEL): S.CANCELLED for s in LIVE},
}


def step(i: int, kind: StepKind = StepKind.DROP_OFF, *proofs: ProofKind) -> Step:
    return Step(
        id=str(i),
        kind=kind,
        latitude=-1.28 + i / 100,
        longitude=36.82 + i / 100,
        required_proofs=frozenset(proofs),
    )


def task_in(state: TaskState, *, steps: int = 3, at: int = 0) -> Task:
    """A task in ``state`` whose current step is ``at``, its steps' states consistent with it
    (written out directly, not reached through the functions under test)."""
    made = [step(0, StepKind.PICKUP)] + [step(i) for i in range(1, steps)]
    states: list[StepState] = []
    for i in range(steps):
        if state is S.COMPLETED or i < at:
            states.append(StepState.COMPLETED)
        elif i == at:
            states.append(
                {
                    S.ARRIVED: StepState.ARRIVED,
                    S.FAILED: StepState.FAILED,
                    S.CANCELLED: StepState.SKIPPED,
                }.get(state, StepState.PENDING)
            )
        else:
            states.append(
                StepState.SKIPPED if state in (S.FAILED, S.CANCELLED) else StepState.PENDING
            )
    rider = None if state is S.CREATED else RIDER_A
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=tuple(dataclasses.replace(s, state=ss) for s, ss in zip(made, states, strict=True)),
        state=state,
        current_step=steps - 1 if state is S.COMPLETED else at,
        rider_id=rider,
    )


def perform(task: Task, action: Action) -> Task:
    """The action as a caller would do it: on the current step, with every required proof."""
    current = task.step
    doing: dict[Action, Callable[[], Task]] = {
        Action.ASSIGN: lambda: assign(task, RIDER_B),
        Action.UNASSIGN: lambda: unassign(task, manual_dispatch=False),
        Action.START: lambda: start(task),
        Action.ARRIVE: lambda: arrive(task, current.id, NOW),
        Action.COMPLETE_STEP: lambda: complete_step(task, current.id, current.required_proofs, NOW),
        Action.FAIL: lambda: fail(task),
        Action.CANCEL: lambda: cancel(task),
    }
    return doing[action]()


CASES = [
    pytest.param(state, action, at, id=f"{action.value}-from-{state.value}-step{at}")
    for state, action, at in itertools.product(TaskState, Action, (0, 2))
    if not (at == 2 and state is S.COMPLETED)  # a completed task has one shape
]


@pytest.mark.parametrize(("state", "action", "at"), CASES)
def test_every_action_from_every_state_lands_where_the_diagram_says_or_is_refused(
    state: TaskState, action: Action, at: int
) -> None:
    before = task_in(state, steps=3, at=at)
    expected = EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(FailedPrecondition) as refused:
            perform(before, action)
        assert refused.value.reason == "ILLEGAL_TRANSITION"
        assert state.value in refused.value.message
        return

    after = perform(before, action)
    if action is Action.COMPLETE_STEP:
        last = at == len(before.steps) - 1
        assert after.state is (S.COMPLETED if last else S.EN_ROUTE)
        assert after.steps[at].state is StepState.COMPLETED
        assert after.steps[at].complete_time == NOW
        assert after.current_step == (at if last else at + 1)
    else:
        assert after.state is expected
    if action is Action.ASSIGN:
        assert after.rider_id == RIDER_B
    if action is Action.UNASSIGN:
        assert after.rider_id is None
    if action is Action.ARRIVE:
        assert after.steps[at].state is StepState.ARRIVED
        assert after.steps[at].arrive_time == NOW
    if action in (Action.START, Action.ARRIVE, Action.FAIL, Action.CANCEL):
        assert after.rider_id == before.rider_id


def test_the_allowed_table_agrees_with_the_documented_diagram() -> None:
    documented = {a: {s for (s, act) in EXPECTED if act is a} for a in Action}
    assert {a: set(ALLOWED[a]) for a in Action} == documented


def test_unassign_for_manual_dispatch_marks_the_task_and_assign_clears_the_mark() -> None:
    back = unassign(task_in(S.ASSIGNED), manual_dispatch=True)
    assert (back.state, back.rider_id, back.manual_dispatch) == (S.CREATED, None, True)
    again = assign(back, RIDER_B)
    assert (again.state, again.rider_id, again.manual_dispatch) == (S.ASSIGNED, RIDER_B, False)


def test_arriving_at_a_step_that_is_not_the_current_one_is_refused() -> None:
    task = task_in(S.EN_ROUTE, at=1)
    for wrong in ("0", "2", "7", ""):
        with pytest.raises(FailedPrecondition) as refused:
            arrive(task, wrong, NOW)
        assert refused.value.reason == "NOT_CURRENT_STEP"


def test_completing_a_step_that_is_not_the_current_one_is_refused() -> None:
    task = task_in(S.ARRIVED, at=1)
    with pytest.raises(FailedPrecondition) as refused:
        complete_step(task, "2", frozenset(), NOW)
    assert refused.value.reason == "NOT_CURRENT_STEP"


def test_completing_a_step_without_its_required_proofs_is_refused_naming_them() -> None:
    needy = step(0, StepKind.DROP_OFF, ProofKind.PHOTO, ProofKind.ONE_TIME_CODE)
    task = dataclasses.replace(
        task_in(S.ARRIVED, steps=1), steps=(dataclasses.replace(needy, state=StepState.ARRIVED),)
    )
    for given_ in (frozenset(), frozenset({ProofKind.PHOTO}), frozenset({ProofKind.SIGNATURE})):
        with pytest.raises(FailedPrecondition) as refused:
            complete_step(task, "0", given_, NOW)
        assert refused.value.reason == "PROOF_REQUIRED"
        assert "one_time_code" in refused.value.message
    done = complete_step(
        task, "0", frozenset({ProofKind.PHOTO, ProofKind.ONE_TIME_CODE, ProofKind.NFC_TAG}), NOW
    )
    assert done.state is S.COMPLETED


def test_a_wrong_code_attempt_is_counted_on_the_current_step_only() -> None:
    task = task_in(S.ARRIVED, at=1)
    once = record_code_attempt(task, "1")
    twice = record_code_attempt(once, "1")
    assert [s.code_attempts for s in twice.steps] == [0, 2, 0]
    assert twice.state is S.ARRIVED
    with pytest.raises(FailedPrecondition) as refused:
        record_code_attempt(task, "2")
    assert refused.value.reason == "NOT_CURRENT_STEP"


def test_the_pickup_deadline_stops_mattering_once_every_pickup_is_completed() -> None:
    task = task_in(S.EN_ROUTE, at=0)
    assert not task.pickup_done()
    assert task_in(S.EN_ROUTE, at=1).pickup_done()


# --- random action sequences ------------------------------------------------------------------

PROOFS = st.frozensets(st.sampled_from(list(ProofKind)), max_size=2)
MOSTLY = st.sampled_from([True, True, True, False])  # mostly the move that makes progress


class TaskLifecycle(RuleBasedStateMachine):
    """Random dispatcher and rider actions on a task of one to three steps; the model is the
    diagram (state and current step), the invariants what a user of the task would check."""

    def __init__(self) -> None:
        super().__init__()
        self.task = Task(id=uuid.uuid4(), kind=TaskKind.DELIVERY, steps=(step(0),))
        self.state = S.CREATED
        self.at = 0
        self.rider: uuid.UUID | None = None
        self.ended: Task | None = None
        self.clock = itertools.count()

    def now(self) -> datetime:
        return NOW + timedelta(minutes=next(self.clock))

    @initialize(required=st.lists(PROOFS, min_size=1, max_size=3), pickup_first=st.booleans())
    def create(self, required: list[frozenset[ProofKind]], pickup_first: bool) -> None:
        steps = tuple(
            step(i, StepKind.PICKUP if i == 0 and pickup_first else StepKind.DROP_OFF, *proofs)
            for i, proofs in enumerate(required)
        )
        self.task = Task(id=uuid.uuid4(), kind=TaskKind.DELIVERY, steps=steps)

    def attempt(
        self, change: Callable[[], Task], legal_from: tuple[TaskState, ...], then: Any
    ) -> None:
        """Runs ``change``; when the model says the state allows it, ``then(result)`` checks
        the result, otherwise it must be refused as an illegal transition."""
        if self.state not in legal_from:
            with pytest.raises(FailedPrecondition) as refused:
                change()
            assert refused.value.reason == "ILLEGAL_TRANSITION"
            return
        then(change)

    def move(self, result: Task, state: TaskState) -> None:
        assert result.state is state
        self.task, self.state = result, state
        if state in (S.COMPLETED, S.FAILED, S.CANCELLED):
            self.ended = result

    # Moves that go sideways or back (reassigning, unassigning) and legal ends are tried one
    # time in eight (illegal attempts always): otherwise few sequences get past the first step.
    @rule(rider=st.sampled_from([RIDER_A, RIDER_B]), roll=st.integers(0, 7))
    def assign(self, rider: uuid.UUID, roll: int) -> None:
        def then(change: Callable[[], Task]) -> None:
            self.move(change(), S.ASSIGNED)
            self.rider = rider

        if roll == 0 or self.state is not S.ASSIGNED:
            self.attempt(lambda: assign(self.task, rider), (S.CREATED, S.ASSIGNED), then)

    @rule(manual=st.booleans(), roll=st.integers(0, 7))
    def unassign(self, manual: bool, roll: int) -> None:
        if roll != 0 and self.state is S.ASSIGNED:
            return

        def then(change: Callable[[], Task]) -> None:
            result = change()
            assert result.manual_dispatch is manual
            self.move(result, S.CREATED)
            self.rider = None

        self.attempt(lambda: unassign(self.task, manual_dispatch=manual), (S.ASSIGNED,), then)

    @rule()
    def start(self) -> None:
        self.attempt(lambda: start(self.task), (S.ASSIGNED,), lambda c: self.move(c(), S.EN_ROUTE))

    @rule(right_step=MOSTLY, other=st.sampled_from(["0", "1", "2", "3", "9"]))
    def arrive(self, right_step: bool, other: str) -> None:
        step_id = str(self.at) if right_step else other
        at = self.now()

        def then(change: Callable[[], Task]) -> None:
            if step_id != str(self.at):
                with pytest.raises(FailedPrecondition) as refused:
                    change()
                assert refused.value.reason == "NOT_CURRENT_STEP"
                return
            result = change()
            assert result.steps[self.at].arrive_time == at
            self.move(result, S.ARRIVED)

        self.attempt(lambda: arrive(self.task, step_id, at), (S.EN_ROUTE,), then)

    @rule(
        right_step=MOSTLY,
        other=st.sampled_from(["0", "1", "2", "3", "9"]),
        given=PROOFS,
        with_required=MOSTLY,
    )
    def complete(
        self, right_step: bool, other: str, given: frozenset[ProofKind], with_required: bool
    ) -> None:
        step_id = str(self.at) if right_step else other
        required = self.task.steps[self.at].required_proofs
        proofs = given | required if with_required else given
        at = self.now()

        def then(change: Callable[[], Task]) -> None:
            if step_id != str(self.at):
                with pytest.raises(FailedPrecondition) as refused:
                    change()
                assert refused.value.reason == "NOT_CURRENT_STEP"
                return
            if not required <= proofs:
                with pytest.raises(FailedPrecondition) as refused:
                    change()
                assert refused.value.reason == "PROOF_REQUIRED"
                return
            result = change()
            assert result.steps[self.at].complete_time == at
            if self.at + 1 < len(self.task.steps):
                self.move(result, S.EN_ROUTE)
                self.at += 1
            else:
                self.move(result, S.COMPLETED)

        self.attempt(lambda: complete_step(self.task, step_id, proofs, at), (S.ARRIVED,), then)

    @rule(roll=st.integers(0, 7))
    def fail(self, roll: int) -> None:
        legal = (S.ASSIGNED, S.EN_ROUTE, S.ARRIVED)
        if roll == 0 or self.state not in legal:
            self.attempt(lambda: fail(self.task), legal, lambda c: self.move(c(), S.FAILED))

    @rule(roll=st.integers(0, 7))
    def cancel(self, roll: int) -> None:
        if roll == 0 or self.state not in LIVE:
            self.attempt(lambda: cancel(self.task), LIVE, lambda c: self.move(c(), S.CANCELLED))

    @invariant()
    def the_task_is_where_the_model_says(self) -> None:
        assert self.task.state is self.state
        assert self.task.current_step == self.at
        assert 0 <= self.task.current_step < len(self.task.steps)
        if self.state in (S.ASSIGNED, S.EN_ROUTE, S.ARRIVED):
            assert self.task.rider_id == self.rider is not None
        if self.state is S.CREATED:
            assert self.task.rider_id is None

    @invariant()
    def an_ended_task_never_changes_again(self) -> None:
        if self.ended is not None:
            assert self.task == self.ended

    @invariant()
    def steps_complete_in_order(self) -> None:
        states = [s.state for s in self.task.steps]
        before, current, after = states[: self.at], states[self.at], states[self.at + 1 :]
        assert all(s is StepState.COMPLETED for s in before)
        times = [s.complete_time for s in self.task.steps if s.state is StepState.COMPLETED]
        assert times == sorted(times)  # type: ignore[type-var]
        expected_current = {
            S.CREATED: StepState.PENDING,
            S.ASSIGNED: StepState.PENDING,
            S.EN_ROUTE: StepState.PENDING,
            S.ARRIVED: StepState.ARRIVED,
            S.COMPLETED: StepState.COMPLETED,
            S.FAILED: StepState.FAILED,
            S.CANCELLED: StepState.SKIPPED,
        }[self.state]
        assert current is expected_current
        if self.state in (S.FAILED, S.CANCELLED):
            assert all(s is StepState.SKIPPED for s in after)
        elif self.state is not S.COMPLETED:
            assert all(s is StepState.PENDING for s in after)

    @invariant()
    def a_completed_task_has_every_step_completed_and_an_ended_one_none_open(self) -> None:
        states = {s.state for s in self.task.steps}
        if self.state is S.COMPLETED:
            assert states == {StepState.COMPLETED}
        if self.state in (S.FAILED, S.CANCELLED):
            assert not states & {StepState.PENDING, StepState.ARRIVED}


TaskLifecycle.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_action_sequences_keep_the_task_consistent = TaskLifecycle.TestCase


# --- validation -------------------------------------------------------------------------------


def valid_task(**changes: Any) -> Task:
    base = Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(step(0, StepKind.PICKUP), step(1)),
        order_id="order-1",
        priority=5,
        items=(Item(sku="A", quantity=2, weight_kg=1.5, min_temperature_c=2, max_temperature_c=8),),
        pickup_deadline=NOW,
        delivery_deadline=NOW + timedelta(hours=1),
        notes="ring twice",
    )
    return dataclasses.replace(base, **changes)


def test_a_well_formed_task_passes_validation_at_its_limits() -> None:
    validate_task(valid_task())
    validate_task(valid_task(priority=0, steps=tuple(step(i) for i in range(50))))
    validate_task(valid_task(priority=10, items=(Item(),) * 500, order_id="x" * 128))
    validate_task(valid_task(pickup_deadline=NOW, delivery_deadline=NOW, notes="n" * 2000))
    validate_task(valid_task(steps=(dataclasses.replace(step(0), latitude=90, longitude=-180),)))


def with_step(**changes: Any) -> Task:
    return valid_task(steps=(dataclasses.replace(step(0), **changes),))


def with_item(**changes: Any) -> Task:
    return valid_task(items=(Item(), dataclasses.replace(Item(), **changes)))


@pytest.mark.parametrize(
    ("task", "field"),
    [
        pytest.param(valid_task(steps=()), "task.steps", id="no-steps"),
        pytest.param(
            valid_task(steps=tuple(step(i) for i in range(51))), "task.steps", id="51-steps"
        ),
        pytest.param(valid_task(priority=11), "task.priority", id="priority-11"),
        pytest.param(valid_task(priority=-1), "task.priority", id="priority-negative"),
        pytest.param(valid_task(items=(Item(),) * 501), "task.items", id="501-items"),
        pytest.param(with_item(quantity=0), "task.items[1].quantity", id="zero-quantity"),
        pytest.param(with_item(weight_kg=-1), "task.items[1]", id="negative-weight"),
        pytest.param(with_item(volume_l=-0.5), "task.items[1]", id="negative-volume"),
        pytest.param(
            with_item(min_temperature_c=9, max_temperature_c=8),
            "task.items[1].min_temperature_c",
            id="min-above-max-temperature",
        ),
        pytest.param(with_step(latitude=90.1), "task.steps[0].location", id="latitude"),
        pytest.param(with_step(longitude=-180.5), "task.steps[0].location", id="longitude"),
        pytest.param(with_step(window=Window(NOW, NOW)), "task.steps[0].window", id="empty-window"),
        pytest.param(
            with_step(window=Window(NOW, NOW - timedelta(minutes=1))),
            "task.steps[0].window",
            id="backwards-window",
        ),
        pytest.param(
            with_step(service_seconds=-1), "task.steps[0].service_seconds", id="negative-service"
        ),
        pytest.param(
            with_step(service_seconds=86401), "task.steps[0].service_seconds", id="long-service"
        ),
        pytest.param(
            valid_task(delivery_deadline=NOW - timedelta(seconds=1)),
            "task.delivery_deadline",
            id="delivery-before-pickup",
        ),
        pytest.param(valid_task(order_id="x" * 129), "task.order_id", id="long-order-id"),
        pytest.param(valid_task(outlet_id="o" * 129), "task.outlet_id", id="long-outlet-id"),
        pytest.param(valid_task(notes="n" * 2001), "task.notes", id="long-notes"),
    ],
)
def test_an_invalid_task_is_refused_naming_the_field(task: Task, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_task(task)
    assert [v.field for v in refused.value.violations] == [field]


def test_every_violation_of_a_task_is_reported_at_once() -> None:
    bad = valid_task(
        priority=42,
        notes="n" * 3000,
        items=(Item(quantity=0),),
        steps=(dataclasses.replace(step(0), latitude=100, service_seconds=-5),),
    )
    with pytest.raises(InvalidArgument) as refused:
        validate_task(bad)
    assert {v.field for v in refused.value.violations} == {
        "task.priority",
        "task.notes",
        "task.items[0].quantity",
        "task.steps[0].location",
        "task.steps[0].service_seconds",
    }


# --- one-time codes ---------------------------------------------------------------------------


def test_a_made_code_is_six_digits_and_codes_differ() -> None:
    codes = {new_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 40
    assert len(new_code(10)) == 10


def test_a_code_matches_its_hash_and_a_wrong_code_does_not() -> None:
    stored = hash_code("482913")
    assert code_matches("482913", stored)
    for wrong in ("482914", "48291", "4829130", "", " 482913", "382913"):
        assert not code_matches(wrong, stored)


def test_a_hash_never_contains_the_code_and_is_salted() -> None:
    code = "90210385746"
    first, second = hash_code(code), hash_code(code)
    assert code not in first
    assert first != second
    assert code_matches(code, first)
    assert code_matches(code, second)


@pytest.mark.parametrize(
    "stored", ["", "plain", "scrypt$only-two", "bcrypt$YWJj$YWJj", "sha256$x$y$z"]
)
def test_a_malformed_stored_hash_matches_nothing(stored: str) -> None:
    assert not code_matches("123456", stored)


@settings(max_examples=8, deadline=None)
@given(code=st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_any_code_matches_only_itself(code: str) -> None:
    stored = hash_code(code)
    assert code not in stored
    assert code_matches(code, stored)
    assert not code_matches(code + "0", stored)


def test_a_three_step_task_walks_from_its_pickup_to_its_last_drop_off() -> None:
    task = Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(step(0, StepKind.PICKUP), step(1), step(2, StepKind.DROP_OFF, ProofKind.PHOTO)),
    )
    task = start(assign(task, RIDER_A))
    seen = []
    for i in range(3):
        task = arrive(task, str(i), NOW + timedelta(minutes=2 * i))
        seen.append((task.state, task.current_step))
        proofs = frozenset({ProofKind.PHOTO}) if i == 2 else frozenset()
        task = complete_step(task, str(i), proofs, NOW + timedelta(minutes=2 * i + 1))
        seen.append((task.state, task.current_step))
    assert seen == [
        (S.ARRIVED, 0),
        (S.EN_ROUTE, 1),
        (S.ARRIVED, 1),
        (S.EN_ROUTE, 2),
        (S.ARRIVED, 2),
        (S.COMPLETED, 2),
    ]
    assert [s.complete_time for s in task.steps] == [NOW + timedelta(minutes=m) for m in (1, 3, 5)]
    assert task.rider_id == RIDER_A
