"""Returns and exchanges: which purpose fits which task kind, which purposes need their forward
task, an exchange's items on both sides, and the type of the forward task's trail entry,
checked for every purpose and kind."""

from __future__ import annotations

import uuid

import pytest

from logistics.domain.errors import InvalidArgument
from logistics.domain.returns import (
    NEEDS_ORIGIN,
    PURPOSE_KINDS,
    ItemCondition,
    TaskPurpose,
    link_violations,
    origin_trail_type,
)
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind, validate_task

STEPS = (Step("0", StepKind.PICKUP, -1.28, 36.81), Step("1", StepKind.DROP_OFF, -1.30, 36.78))
BACK = Step("2", StepKind.DROP_OFF, -1.28, 36.81)  # an exchange's return leg
EXCHANGE_ITEMS = (Item("phone-new", quantity=1), Item("phone-old", collect=True))


def task(kind: TaskKind, purpose: TaskPurpose, **fields: object) -> Task:
    steps = (*STEPS, BACK) if purpose is TaskPurpose.EXCHANGE else STEPS
    return Task(uuid.uuid4(), kind, steps, purpose=purpose, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", list(TaskPurpose))
@pytest.mark.parametrize("kind", list(TaskKind))
def test_a_purpose_allows_exactly_its_kinds(kind: TaskKind, purpose: TaskPurpose) -> None:
    fields: dict[str, object] = {"origin_task_id": uuid.uuid4()}
    if purpose is TaskPurpose.EXCHANGE:
        fields["items"] = EXCHANGE_ITEMS
    allowed = PURPOSE_KINDS.get(purpose, frozenset(k.value for k in TaskKind))
    if kind.value in allowed:
        validate_task(task(kind, purpose, **fields))
    else:
        with pytest.raises(InvalidArgument) as caught:
            validate_task(task(kind, purpose, **fields))
        [violation] = caught.value.violations
        assert violation.field == "task.purpose"
        assert purpose.value in violation.description


def test_the_kinds_of_each_purpose() -> None:
    """The table the docs show (docs/tasks.md, "Returns")."""
    assert {p.value: sorted(k) for p, k in PURPOSE_KINDS.items()} == {
        "customer_return": ["return"],
        "exchange": ["delivery"],
        "expired_goods": ["return"],
        "waste_pickup": ["pickup", "return"],
        "failed_delivery": ["delivery", "return"],
        "transfer": ["shuttle", "transfer"],
    }


@pytest.mark.parametrize("purpose", list(TaskPurpose))
def test_only_a_failed_delivery_needs_its_forward_task(purpose: TaskPurpose) -> None:
    kind = next(iter(PURPOSE_KINDS.get(purpose, {"delivery"})))
    items = EXCHANGE_ITEMS if purpose is TaskPurpose.EXCHANGE else ()
    found = link_violations(
        kind, purpose, False, [i.collect for i in items], ["pickup", "drop_off", "drop_off"]
    )
    if purpose in NEEDS_ORIGIN:
        assert [v.field for v in found] == ["task.origin_task"]
    else:
        assert found == []
    assert {TaskPurpose.FAILED_DELIVERY} == NEEDS_ORIGIN


@pytest.mark.parametrize(
    ("collects", "fits"),
    [
        ((), False),
        ((False,), False),
        ((True,), False),
        ((True, True), False),
        ((False, True), True),
    ],
)
def test_an_exchange_delivers_some_items_and_collects_others(
    collects: tuple[bool, ...], fits: bool
) -> None:
    kinds = ["pickup", "drop_off", "drop_off"]
    found = link_violations("delivery", TaskPurpose.EXCHANGE, True, list(collects), kinds)
    assert (found == []) is fits
    if not fits:
        assert [v.field for v in found] == ["task.items"]


def test_items_keep_their_condition_and_collect_flag_on_any_task() -> None:
    damaged = Item("kettle", condition=ItemCondition.DAMAGED, collect=True)
    validate_task(task(TaskKind.RETURN, TaskPurpose.CUSTOMER_RETURN, items=(damaged,)))
    validate_task(task(TaskKind.DELIVERY, TaskPurpose.UNSPECIFIED, items=(damaged,)))


@pytest.mark.parametrize("purpose", list(TaskPurpose))
@pytest.mark.parametrize("kind", list(TaskKind))
def test_the_forward_task_is_told_what_was_made_for_it(
    kind: TaskKind, purpose: TaskPurpose
) -> None:
    entry = origin_trail_type(kind.value, purpose)
    if purpose is TaskPurpose.EXCHANGE:
        assert entry == "exchange_created"
    elif kind is TaskKind.RETURN or purpose in {
        TaskPurpose.CUSTOMER_RETURN,
        TaskPurpose.EXPIRED_GOODS,
        TaskPurpose.WASTE_PICKUP,
    }:
        assert entry == "return_created"
    else:
        assert entry == "linked_task_created"


@pytest.mark.parametrize(
    ("kinds", "fits"),
    [
        ((), False),
        (("pickup",), False),
        (("pickup", "drop_off"), False),  # no way back for the collected items
        (("drop_off",), False),
        (("drop_off", "hub"), True),
        (("pickup", "drop_off", "drop_off"), True),
        (("pickup", "hub", "drop_off", "pickup"), True),
    ],
)
def test_an_exchange_brings_the_collected_items_back_after_its_visit(
    kinds: tuple[str, ...], fits: bool
) -> None:
    found = link_violations("delivery", TaskPurpose.EXCHANGE, False, [False, True], kinds)
    assert (found == []) is fits
    if not fits:
        assert [v.field for v in found] == ["task.steps"]
