"""The rules of address-only steps: which answer is trusted, what waits for a dispatcher, what
an outage leaves, how edits resolve a step, and that a waiting task is never assigned."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain import addresses, tasks
from logistics.domain.addresses import AddressState, Candidate
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.tasks import Step, StepKind, Task, TaskKind

HOUSE = Candidate("12 Kenyatta Avenue", -1.2841, 36.8233, 1.0)
STREET = Candidate("Moi Avenue", -1.283, 36.825, 0.867)


def waiting(address: str = "12 Kenyatta Avenue") -> Step:
    return Step(
        "1", StepKind.DROP_OFF, 0.0, 0.0, address=address, address_state=AddressState.PENDING
    )


def task_with(step: Step) -> Task:
    pickup = Step("0", StepKind.PICKUP, -1.28, 36.82)
    return Task(uuid.uuid4(), TaskKind.DELIVERY, (pickup, step))


def test_a_confident_answer_locates_the_step() -> None:
    step = addresses.resolved(waiting(), [STREET, HOUSE], 0.9)
    assert step.address_state is AddressState.RESOLVED
    assert (step.latitude, step.longitude) == (HOUSE.latitude, HOUSE.longitude)
    assert step.candidates == (HOUSE, STREET)  # most confident first
    assert not addresses.needs_address(task_with(step))


@pytest.mark.parametrize("found", [[], [STREET]])
def test_no_answer_or_a_weak_one_waits_for_a_dispatcher(found: list[Candidate]) -> None:
    step = addresses.resolved(waiting(), found, 0.9)
    assert step.address_state is AddressState.NEEDS_ADDRESS
    assert (step.latitude, step.longitude) == (0.0, 0.0)
    assert step.candidates == tuple(found)
    assert not addresses.to_geocode(step)  # not asked again: a person decides
    assert addresses.needs_address(task_with(step))


def test_an_outage_leaves_the_step_pending_and_asked_again_later() -> None:
    step = addresses.unreachable(waiting())
    assert step.address_state is AddressState.PENDING
    assert step.geocode_attempts == 1
    assert addresses.to_geocode(step)
    assert addresses.needs_address(task_with(step))


@given(st.integers(min_value=0, max_value=10_000))
def test_retries_back_off_from_30_seconds_to_an_hour(attempts: int) -> None:
    wait = addresses.retry_after(attempts)
    assert timedelta(seconds=30) <= wait <= timedelta(hours=1)
    assert addresses.retry_after(attempts + 1) >= wait


def test_at_most_five_candidates_are_kept() -> None:
    many = [Candidate(str(i), 0.0, 0.0, i / 10) for i in range(8)]
    step = addresses.resolved(waiting(), many, 0.9)
    assert [c.label for c in step.candidates] == ["7", "6", "5", "4", "3"]


def test_a_waiting_task_is_never_assigned() -> None:
    task = task_with(addresses.resolved(waiting(), [STREET], 0.9))
    with pytest.raises(FailedPrecondition) as caught:
        tasks.assign(task, uuid.uuid4())
    assert caught.value.reason == "NEEDS_ADDRESS"
    assert "step 1" in str(caught.value)


def test_setting_a_location_resolves_the_step_and_drops_the_candidates() -> None:
    before = addresses.resolved(waiting(), [STREET], 0.9)
    picked = dataclasses.replace(before, latitude=STREET.latitude, longitude=STREET.longitude)
    after = addresses.after_edit(before, picked)
    assert after.address_state is AddressState.GIVEN
    assert after.candidates == ()
    tasks.assign(task_with(after), uuid.uuid4())


def test_a_new_address_of_a_waiting_step_is_geocoded_afresh() -> None:
    before = addresses.resolved(waiting(), [STREET], 0.9)
    after = addresses.after_edit(before, dataclasses.replace(before, address="Moi Ave 3"))
    assert (after.address_state, after.candidates, after.geocode_attempts) == (
        AddressState.PENDING,
        (),
        0,
    )
    assert addresses.pending(task_with(after))


def test_an_edit_that_keeps_the_placeholder_keeps_the_step_waiting() -> None:
    before = addresses.resolved(waiting(), [STREET], 0.9)
    after = addresses.after_edit(before, dataclasses.replace(before, contact_name="Achieng"))
    assert after.address_state is AddressState.NEEDS_ADDRESS


def test_a_given_location_stays_given_when_only_the_address_text_changes() -> None:
    given_step = Step("1", StepKind.DROP_OFF, -1.3, 36.78, address="Ngong Rd 1")
    after = addresses.after_edit(given_step, dataclasses.replace(given_step, address="Ngong Rd 2"))
    assert after.address_state is AddressState.GIVEN


def test_the_bias_point_is_the_first_located_step() -> None:
    assert addresses.bias_point(task_with(waiting())) == (-1.28, 36.82)
    lone = Task(uuid.uuid4(), TaskKind.DELIVERY, (waiting(),))
    assert addresses.bias_point(lone) is None


def test_an_address_only_step_needs_an_address_and_a_short_one() -> None:
    with pytest.raises(InvalidArgument) as caught:
        tasks.validate_task(task_with(waiting("  ")))
    assert [v.field for v in caught.value.violations] == ["task.steps[1].location"]
    with pytest.raises(InvalidArgument) as caught:
        tasks.validate_task(task_with(waiting("x" * 501)))
    assert [v.field for v in caught.value.violations] == ["task.steps[1].address"]
