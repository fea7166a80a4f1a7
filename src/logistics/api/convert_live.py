"""Live views and TrackTask: domain frames and task progress -> protobuf, with the enums of
rider status, task state and alert type (the live layer carries them as strings)."""

from __future__ import annotations

from typing import cast

from bengobox.logistics.v1 import common_pb2, task_pb2, telemetry_pb2
from google.protobuf import timestamp_pb2

from logistics.api.convert_common import arrival_to_proto, enum_to_proto
from logistics.api.convert_tasks import TASK_STATES
from logistics.domain.live import OFFLINE, ONLINE, Frame
from logistics.domain.tasks import TaskState
from logistics.services.live.events import ALERT_TYPES as ALERT_EVENT_TYPES
from logistics.services.tasks.tracking import TaskProgress

RiderView = telemetry_pb2.RiderView
Alert = telemetry_pb2.Alert

RIDER_STATUSES: dict[str, RiderView.Status] = {
    ONLINE: RiderView.STATUS_ONLINE,
    OFFLINE: RiderView.STATUS_OFFLINE,
}
# Each alerting event's type names its value ("task.sla_breached": TYPE_TASK_SLA_BREACHED); an
# event without one fails this module's import.
ALERT_TYPES: dict[str, Alert.Type] = {
    event_type: cast("Alert.Type", Alert.Type.Value("TYPE_" + event_type.replace(".", "_").upper()))
    for event_type in sorted(ALERT_EVENT_TYPES)
}


def task_state(state: str) -> task_pb2.Task.State:
    """A task state as events and the tracking service carry it ("en_route"); UNSPECIFIED for
    one this build does not know."""
    known = TaskState._value2member_map_.get(state)
    number = enum_to_proto(known, TASK_STATES) if isinstance(known, TaskState) else 0
    return cast("task_pb2.Task.State", number)  # the stubs type enum fields by their class


def _timestamp(ms: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def frame_to_proto(tenant: str, frame: Frame) -> telemetry_pb2.FleetFrame:
    out = telemetry_pb2.FleetFrame(sequence=frame.sequence, snapshot=frame.snapshot)
    prefix = f"tenants/{tenant}"
    for u in frame.upserts:
        out.rider_upserts.add(
            rider=f"{prefix}/riders/{u.rider_id}",
            position=common_pb2.GeoPoint(latitude=u.latitude, longitude=u.longitude),
            heading_deg=u.heading_deg,
            speed_mps=u.speed_mps,
            status=RIDER_STATUSES.get(u.status, RiderView.STATUS_UNSPECIFIED),
            task=u.task or "",
            last_seen_time=_timestamp(u.seen_ms),
            fleet=f"{prefix}/fleets/{u.fleet}" if u.fleet else "",
            record_time=_timestamp(u.record_ms),
        )
    out.rider_removals.extend(f"{prefix}/riders/{r}" for r in frame.removals)
    for t in frame.tasks:
        view = out.task_changes.add(
            task=t.task,
            state=task_state(t.state),
            rider=t.rider or "",
            needs_address=t.needs_address,
        )
        if t.eta is not None:
            view.eta.FromMilliseconds(round(t.eta.travel_s * 1000))
            view.arrival.CopyFrom(arrival_to_proto(t.eta))
    for a in frame.alerts:
        alert = out.alerts.add(
            type=ALERT_TYPES.get(a.type, Alert.TYPE_UNSPECIFIED),
            rider=a.rider or "",
            task=a.task or "",
            message=a.message,
            alert_time=_timestamp(a.time_ms),
        )
        if a.latitude is not None and a.longitude is not None:
            alert.position.CopyFrom(common_pb2.GeoPoint(latitude=a.latitude, longitude=a.longitude))
    return out


def progress_to_proto(p: TaskProgress) -> telemetry_pb2.TrackTaskResponse:
    out = telemetry_pb2.TrackTaskResponse(
        task=p.task, state=task_state(p.state), rider=p.rider or ""
    )
    if p.latitude is not None and p.longitude is not None:
        out.rider_position.CopyFrom(common_pb2.GeoPoint(latitude=p.latitude, longitude=p.longitude))
    if p.position_time is not None:
        out.position_time.FromDatetime(p.position_time)
    if p.eta is not None:
        out.eta.FromMilliseconds(round(p.eta.travel_s * 1000))
        out.arrival.CopyFrom(arrival_to_proto(p.eta))
    return out
