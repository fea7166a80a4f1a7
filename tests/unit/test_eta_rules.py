"""The ETA value and the delay rule: which deadline a task's next step must meet, and when a
late prediction is a new crossing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from logistics.domain.eta import Eta, EtaSource, Prediction, Travel, promise_at_next_step
from logistics.domain.tasks import Step, StepKind, StepState, Task, TaskKind, TaskState

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PICKUP_BY = NOW + timedelta(minutes=10)
DELIVER_BY = NOW + timedelta(minutes=40)
TASK = Task(
    uuid.uuid4(),
    TaskKind.DELIVERY,
    (Step("0", StepKind.PICKUP, -1.28, 36.81), Step("1", StepKind.DROP_OFF, -1.29, 36.82)),
    state=TaskState.ASSIGNED,
    rider_id=uuid.uuid4(),
    pickup_deadline=PICKUP_BY,
    delivery_deadline=DELIVER_BY,
)


def eta(minutes: float, source: EtaSource = EtaSource.ROAD) -> Eta:
    return Eta.of(NOW, Travel(1000.0, minutes * 60, source))


def test_the_expected_arrival_is_the_p50_once_calibration_sets_it() -> None:
    plain = eta(12)
    assert plain.late_for(PICKUP_BY)
    calibrated = dataclasses.replace(plain, p50=NOW + timedelta(minutes=9))
    assert not calibrated.late_for(PICKUP_BY)
    assert calibrated.remaining_s(NOW) == 540


def test_the_next_pickup_meets_the_pickup_deadline_and_later_steps_the_delivery_one() -> None:
    assert promise_at_next_step(TASK) == ("pickup", PICKUP_BY, TASK.steps[0])
    picked = dataclasses.replace(
        TASK,
        state=TaskState.EN_ROUTE,
        current_step=1,
        steps=(dataclasses.replace(TASK.steps[0], state=StepState.COMPLETED), TASK.steps[1]),
    )
    assert promise_at_next_step(picked) == ("delivery", DELIVER_BY, TASK.steps[1])


def test_no_rider_no_deadline_or_an_ended_task_has_nothing_to_meet() -> None:
    assert promise_at_next_step(dataclasses.replace(TASK, rider_id=None)) is None
    assert promise_at_next_step(dataclasses.replace(TASK, pickup_deadline=None)) is None
    assert promise_at_next_step(dataclasses.replace(TASK, state=TaskState.COMPLETED)) is None


def prediction(kind: str, late: bool) -> Prediction:
    return Prediction(TASK.id, kind, PICKUP_BY, "0", eta(12 if late else 5), late)


def test_a_late_prediction_is_a_crossing_only_after_an_on_time_one_or_a_new_deadline() -> None:
    assert prediction("pickup", True).crossed_from(None)
    assert prediction("pickup", True).crossed_from(prediction("pickup", False))
    assert not prediction("pickup", True).crossed_from(prediction("pickup", True))
    assert prediction("delivery", True).crossed_from(prediction("pickup", True))
    assert not prediction("pickup", False).crossed_from(None)
