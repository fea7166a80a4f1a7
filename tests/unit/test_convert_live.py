"""Live frames and task progress leave the server with the contract's enums: every alert the
live layer raises has its Alert.Type, every task state its Task.State, both rider statuses
theirs; and FindNearestRiders' reasons all have an enum value."""

from __future__ import annotations

from bengobox.logistics.v1 import dispatch_pb2, task_pb2, telemetry_pb2

from logistics.api.convert_dispatch import LEFT_OUT, explanation_to_proto
from logistics.api.convert_live import ALERT_TYPES, frame_to_proto, progress_to_proto, task_state
from logistics.domain.live import OFFLINE, ONLINE, Alert, Frame, RiderUpdate, TaskChange
from logistics.domain.tasks import TaskState
from logistics.services.dispatch.explain import Explanation, LeftOut
from logistics.services.live import events
from logistics.services.tasks.tracking import TaskProgress

Task = task_pb2.Task


def test_every_alert_the_live_layer_raises_has_a_type() -> None:
    assert set(ALERT_TYPES) == set(events.ALERT_TYPES)
    assert len(set(ALERT_TYPES.values())) == len(ALERT_TYPES)
    assert telemetry_pb2.Alert.TYPE_UNSPECIFIED not in ALERT_TYPES.values()


def test_every_task_state_has_its_enum_value() -> None:
    for state in TaskState:
        assert Task.State.Name(task_state(state.value)) == f"STATE_{state.name}"
    assert task_state("no-such-state") == Task.STATE_UNSPECIFIED


def test_a_frame_carries_enums() -> None:
    update = RiderUpdate("r1", 1.0, 2.0, 0.0, 0.0, ONLINE, None, 1000, 2000)
    frame = Frame(
        3,
        False,
        [update, update._replace(rider_id="r2", status=OFFLINE)],
        tasks=[
            TaskChange("tenants/acme/tasks/t", TaskState.EN_ROUTE.value, None),
            TaskChange("tenants/acme/tasks/u", "created", None, needs_address=True),
        ],
        alerts=[Alert("task.sla_breached", None, "tenants/acme/tasks/t", "late", 5)],
    )

    out = frame_to_proto("acme", frame)

    RiderView = telemetry_pb2.RiderView
    assert [v.status for v in out.rider_upserts] == [
        RiderView.STATUS_ONLINE,
        RiderView.STATUS_OFFLINE,
    ]
    assert [t.state for t in out.task_changes] == [Task.STATE_EN_ROUTE, Task.STATE_CREATED]
    assert [t.needs_address for t in out.task_changes] == [False, True]
    assert [a.type for a in out.alerts] == [telemetry_pb2.Alert.TYPE_TASK_SLA_BREACHED]


def test_task_progress_carries_the_task_state() -> None:
    out = progress_to_proto(TaskProgress("tenants/acme/tasks/t", TaskState.COMPLETED.value))
    assert out.state == Task.STATE_COMPLETED


def test_reasons_left_out_come_most_first_each_with_its_value() -> None:
    assert len(set(LEFT_OUT.values())) == len(LeftOut)
    out = explanation_to_proto(
        Explanation(7, {LeftOut.OFF_SHIFT: 1, LeftOut.NO_VEHICLE: 3, LeftOut.AT_CAPACITY: 1})
    )
    Reason = dispatch_pb2.RidersLeftOut
    assert out.riders_examined == 7
    assert [(r.reason, r.riders) for r in out.left_out] == [
        (Reason.REASON_NO_VEHICLE, 3),
        (Reason.REASON_OFF_SHIFT, 1),
        (Reason.REASON_AT_CAPACITY, 1),
    ]
