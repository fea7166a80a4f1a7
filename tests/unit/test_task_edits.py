"""What an edit of a task may change, in every state a task can reach and for every path an
edit can change, without any server.

The expectations are written out from the table in ``logistics.domain.task_edits``'s docstring,
not computed by its ``refusal``, so a change to the rules the documentation does not share
fails here. Hypothesis then walks the state machine at random and edits on the way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.compliance import Window
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.task_edits import STEP_FIELDS, StepChange, edit
from logistics.domain.tasks import (
    Item,
    SlaState,
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
    start,
)

NOW = datetime(2031, 5, 4, 9, 30, tzinfo=UTC)
RIDER = uuid.UUID(int=0xA)
S = TaskState


def fresh() -> Task:
    """A pickup and two drop-offs."""
    return Task(
        id=uuid.UUID(int=1),
        kind=TaskKind.DELIVERY,
        steps=(
            Step("0", StepKind.PICKUP, -1.28, 36.81, contact_name="Kitchen"),
            Step("1", StepKind.DROP_OFF, -1.30, 36.78, address="Ngong Rd 1"),
            Step("2", StepKind.DROP_OFF, -1.31, 36.77),
        ),
        items=(Item(sku="pizza"),),
        pickup_deadline=NOW + timedelta(hours=1),
        delivery_deadline=NOW + timedelta(hours=2),
    )


def _walk(*moves: str) -> Task:
    task = fresh()
    for move in moves:
        if move == "assign":
            task = assign(task, RIDER)
        elif move == "start":
            task = start(task)
        elif move == "arrive":
            task = arrive(task, task.step.id, NOW)
        elif move == "complete":
            task = complete_step(task, task.step.id, frozenset(), NOW)
        elif move == "fail":
            task = fail(task)
        elif move == "cancel":
            task = cancel(task)
    return task


# Every kind of place a task can be in: (label, moves from a fresh task).
PLACES: dict[str, tuple[str, ...]] = {
    "created": (),
    "assigned": ("assign",),
    "en_route_to_pickup": ("assign", "start"),
    "arrived_at_pickup": ("assign", "start", "arrive"),
    "en_route_after_pickup": ("assign", "start", "arrive", "complete"),
    "arrived_at_drop_1": ("assign", "start", "arrive", "complete", "arrive"),
    "en_route_to_drop_2": ("assign", "start", "arrive", "complete", "arrive", "complete"),
    "completed": (
        "assign",
        "start",
        "arrive",
        "complete",
        "arrive",
        "complete",
        "arrive",
        "complete",
    ),
    "failed": ("assign", "start", "arrive", "complete", "fail"),
    "cancelled": ("cancel",),
}
TASK_PATHS = ("priority", "notes", "delivery_deadline", "items", "pickup_deadline")
STEP_PATHS = tuple(f"steps[{i}].{f}" for i in range(3) for f in STEP_FIELDS)
ENDED = {"completed", "failed", "cancelled"}
# Per place: the state each step is in (pending P, arrived A, done D).
STEPS = {
    "created": "PPP",
    "assigned": "PPP",
    "en_route_to_pickup": "PPP",
    "arrived_at_pickup": "APP",
    "en_route_after_pickup": "DPP",
    "arrived_at_drop_1": "DAP",
    "en_route_to_drop_2": "DDP",
}


def expected(place: str, path: str) -> bool:
    """The docstring's table."""
    if place in ENDED:
        return False
    steps = STEPS[place]
    if path in ("priority", "notes", "delivery_deadline"):
        return True
    if path == "items":
        return "D" not in steps
    if path == "pickup_deadline":
        return steps[0] != "D"
    index, field = int(path[6]), path.split(".", 1)[1]
    if field in ("location", "address"):
        return steps[index] == "P"
    return steps[index] in "PA"


def change_for(task: Task, path: str) -> dict[str, Any]:
    """A change of ``path`` to a value it does not have."""
    if path == "priority":
        return {"priority": task.priority + 1}
    if path == "notes":
        return {"notes": "ring twice"}
    if path == "items":
        return {"items": (Item(sku="pizza"), Item(sku="soda"))}
    if path in ("pickup_deadline", "delivery_deadline"):
        return {path: getattr(task, path) + timedelta(minutes=30)}
    index, field = int(path[6]), path.split(".", 1)[1]
    step = task.steps[index]
    values: dict[str, Any] = {
        "latitude": step.latitude,
        "longitude": step.longitude,
        "address": step.address,
        "window": step.window,
        "contact_name": step.contact_name,
        "contact_phone": step.contact_phone,
    }
    if field == "location":
        values["latitude"] = step.latitude + 0.01
    elif field == "window":
        values["window"] = Window(NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    else:
        values[field] = "changed"
    return {"steps": (StepChange(id=step.id, **values),)}


@pytest.mark.parametrize("path", TASK_PATHS + STEP_PATHS)
@pytest.mark.parametrize("place", PLACES)
def test_every_path_may_change_exactly_where_the_table_says(place: str, path: str) -> None:
    task = _walk(*PLACES[place])
    changes = change_for(task, path)
    if expected(place, path):
        edited, changed = edit(task, changes, NOW)
        assert changed == (path,)
        assert edited.state is task.state
        assert edited.current_step == task.current_step
        assert [s.state for s in edited.steps] == [s.state for s in task.steps]
    else:
        with pytest.raises(FailedPrecondition) as caught:
            edit(task, changes, NOW)
        assert caught.value.reason == "TASK_NOT_EDITABLE"
        assert f"task.{path}" in caught.value.message


def test_an_edit_that_changes_nothing_is_allowed_even_on_an_ended_task() -> None:
    task = _walk(*PLACES["completed"])
    edited, changed = edit(task, {"priority": task.priority, "notes": task.notes}, NOW)
    assert (edited, changed) == (task, ())


def test_every_refused_path_is_named_at_once() -> None:
    task = _walk(*PLACES["en_route_after_pickup"])
    changes = {**change_for(task, "items"), **change_for(task, "steps[0].contact_name")}
    with pytest.raises(FailedPrecondition) as caught:
        edit(task, changes, NOW)
    assert "task.items" in caught.value.message
    assert "task.steps[0].contact_name" in caught.value.message


def test_a_step_is_found_by_id_and_its_fixed_fields_must_not_differ() -> None:
    task = fresh()
    step = task.steps[1]
    with pytest.raises(InvalidArgument) as caught:
        edit(
            task,
            {
                "steps": (
                    StepChange(id="9", latitude=0, longitude=0),
                    StepChange(
                        id="1",
                        latitude=step.latitude,
                        longitude=step.longitude,
                        kind=StepKind.PICKUP,
                        service_seconds=60,
                    ),
                    StepChange(id="1", latitude=0, longitude=0),
                )
            },
            NOW,
        )
    assert {v.field for v in caught.value.violations} == {
        "task.steps[0].id",
        "task.steps[1].kind",
        "task.steps[1].service_seconds",
        "task.steps[2].id",
    }


def test_bad_values_are_refused_with_the_task_field_named() -> None:
    task = fresh()
    with pytest.raises(InvalidArgument) as caught:
        edit(task, {"priority": 11, "delivery_deadline": NOW - timedelta(minutes=1)}, NOW)
    assert {v.field for v in caught.value.violations} == {"task.delivery_deadline"}
    with pytest.raises(InvalidArgument) as caught:
        edit(task, {"priority": 11}, NOW)
    assert {v.field for v in caught.value.violations} == {"task.priority"}
    moved = StepChange(id="1", latitude=95.0, longitude=36.0)
    with pytest.raises(InvalidArgument) as caught:
        edit(task, {"steps": (moved,)}, NOW)
    assert {v.field for v in caught.value.violations} == {"task.steps[1].location"}


def test_a_reschedule_puts_a_breached_task_back_on_track() -> None:
    task = dataclasses.replace(_walk("assign"), sla_state=SlaState.BREACHED)
    later = NOW + timedelta(hours=5)
    edited, changed = edit(task, {"delivery_deadline": later}, NOW)
    assert changed == ("delivery_deadline",)
    assert edited.sla_state is SlaState.ON_TRACK
    same, _ = edit(task, {"notes": "gate B"}, NOW)
    assert same.sla_state is SlaState.BREACHED


MOVES = st.lists(st.sampled_from(["assign", "start", "arrive", "complete", "fail", "cancel"]))


def _tolerant_walk(moves: list[str]) -> Task:
    task = fresh()
    for move in moves:
        with contextlib.suppress(FailedPrecondition):
            task = _walk_one(task, move)
    return task


def _walk_one(task: Task, move: str) -> Task:
    steps = {
        "assign": lambda t: assign(t, RIDER),
        "start": start,
        "arrive": lambda t: arrive(t, t.step.id, NOW),
        "complete": lambda t: complete_step(t, t.step.id, frozenset(), NOW),
        "fail": fail,
        "cancel": cancel,
    }
    result: Task = steps[move](task)
    return result


@settings(max_examples=300, deadline=None)
@given(MOVES, st.lists(st.sampled_from(TASK_PATHS + STEP_PATHS), min_size=1, max_size=4))
def test_an_edit_never_touches_a_done_step_or_the_tasks_progress(
    moves: list[str], paths: list[str]
) -> None:
    task = _tolerant_walk(moves)
    changes: dict[str, Any] = {}
    steps: dict[str, StepChange] = {}
    for path in paths:
        change = change_for(task, path)
        for step in change.pop("steps", ()):
            steps[step.id] = step  # one change per step: the last one drawn
        changes.update(change)
    if steps:
        changes["steps"] = tuple(steps.values())
    try:
        edited, changed = edit(task, changes, NOW)
    except FailedPrecondition:
        return
    assert edited.state is task.state
    assert edited.current_step == task.current_step
    for before, after in zip(task.steps, edited.steps, strict=True):
        assert after.state is before.state
        if before.state not in (StepState.PENDING, StepState.ARRIVED):
            assert after == before
    assert set(changed) <= set(TASK_PATHS + STEP_PATHS)
