"""A created task's row for the import's insert: the varying columns only, the rest being the
statement's constants, so a task that is not as created must be refused, not stored wrong."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

import pytest

from logistics.domain.compliance import Window
from logistics.domain.returns import TaskPurpose
from logistics.domain.tasks import (
    Item,
    ProofKind,
    SlaState,
    Step,
    StepKind,
    Task,
    TaskKind,
    TaskState,
)
from logistics.store.task_columns import created_row, step_json


def created() -> Task:
    start = datetime(2026, 12, 4, 8, tzinfo=UTC)
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.DELIVERY,
        steps=(
            Step("0", StepKind.PICKUP, -1.3, 36.8, window=Window(start, start)),
            Step("1", StepKind.DROP_OFF, -1.25, 36.75, required_proofs=frozenset(ProofKind)),
        ),
        order_id="ORD-1",
        priority=3,
        notes="ring twice",
        delivery_deadline=start,
        purpose=TaskPurpose.CUSTOMER_RETURN,
    )


def test_a_created_tasks_row_holds_its_varying_columns_in_the_statements_order() -> None:
    task = created()
    row = created_row(task)
    assert row[:5] == (task.id, "delivery", "ORD-1", None, 3)
    assert json.loads(row[5]) == json.loads(json.dumps([step_json(s) for s in task.steps]))
    assert row[6:] == (None, task.delivery_deadline, "ring twice", None, None, "customer_return")


@pytest.mark.parametrize(
    "change",
    [
        {"state": TaskState.ASSIGNED},
        {"sla_state": SlaState.AT_RISK},
        {"items": (Item(sku="x"),)},
        {"metadata": {"source": "pos"}},
        {"current_step": 1},
        {"rider_id": uuid.uuid4()},
        {"manual_dispatch": True},
        {"mark_ready_time": datetime(2026, 12, 4, tzinfo=UTC)},
        {"flow_id": uuid.uuid4()},
        {"attempt": 2},
    ],
)
def test_a_task_not_as_created_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="is not as created"):
        created_row(dataclasses.replace(created(), **change))  # type: ignore[arg-type]
