"""Transfer messages <-> domain transfers."""

from __future__ import annotations

import uuid

from bengobox.logistics.v1 import common_pb2, task_pb2, transfer_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, optional, timestamp
from logistics.api.convert_records import optional_time
from logistics.api.convert_tasks import location
from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FLOWS, ROUTE_TEMPLATES, TASKS, TRANSFERS
from logistics.domain.tasks import Item
from logistics.domain.transfers import Line, Transfer, TransferFilter, TransferState
from logistics.domain.versioning import etag_for
from logistics.services.transfers.service import UNPLACED, placed

__all__ = ["filter_from_proto", "transfer_from_proto", "transfer_to_proto"]

pb = transfer_pb2

STATES: dict[int, TransferState] = {
    pb.Transfer.STATE_REQUESTED: TransferState.REQUESTED,
    pb.Transfer.STATE_SCHEDULED: TransferState.SCHEDULED,
    pb.Transfer.STATE_PICKED_UP: TransferState.PICKED_UP,
    pb.Transfer.STATE_DELIVERED: TransferState.DELIVERED,
    pb.Transfer.STATE_SHORT: TransferState.SHORT,
    pb.Transfer.STATE_CANCELLED: TransferState.CANCELLED,
    pb.Transfer.STATE_RETURNING: TransferState.RETURNING,
    pb.Transfer.STATE_RETURNED: TransferState.RETURNED,
}


def transfer_from_proto(msg: transfer_pb2.Transfer) -> Transfer:
    """The transfer as sent (a location not given is ``UNPLACED``); missing times are
    INVALID_ARGUMENT naming each."""
    bad = [
        FieldViolation(f"transfer.{f}", "is required")
        for f in ("ready_time", "deadline")
        if not msg.HasField(f)
    ]
    if bad:
        raise InvalidArgument(bad)
    ready = optional_time(msg, "ready_time", "transfer.ready_time")
    deadline = optional_time(msg, "deadline", "transfer.deadline")
    assert ready is not None
    assert deadline is not None
    return Transfer(
        id=uuid.uuid4(),
        source_outlet_id=msg.source_outlet_id,
        destination_outlet_id=msg.destination_outlet_id,
        source=_point(msg, "source_location"),
        destination=_point(msg, "destination_location"),
        items=tuple(
            Item(
                sku=optional(i.sku),
                description=optional(i.description),
                quantity=i.quantity,
                weight_kg=i.weight_kg,
                volume_l=i.volume_l,
            )
            for i in msg.items
        ),
        ready_time=ready,
        deadline=deadline,
        reference=optional(msg.reference),
        notes=optional(msg.notes),
    )


def _point(msg: transfer_pb2.Transfer, field: str) -> tuple[float, float]:
    point = location(getattr(msg, field), msg.HasField(field), f"transfer.{field}")
    return point if point is not None else UNPLACED


def _lines(lines: tuple[Line, ...] | None) -> list[task_pb2.TransferReceivedItem]:
    return [task_pb2.TransferReceivedItem(sku=x.sku, quantity=x.quantity) for x in lines or ()]


def transfer_to_proto(tenant: TenantSlug, t: Transfer) -> transfer_pb2.Transfer:
    def point(p: tuple[float, float]) -> common_pb2.GeoPoint | None:
        return common_pb2.GeoPoint(latitude=p[0], longitude=p[1]) if placed(p) else None

    return pb.Transfer(
        name=TRANSFERS.name(tenant, t.id),
        source_outlet_id=t.source_outlet_id,
        destination_outlet_id=t.destination_outlet_id,
        source_location=point(t.source),
        destination_location=point(t.destination),
        items=[
            task_pb2.TaskItem(
                sku=i.sku or "",
                description=i.description or "",
                quantity=i.quantity,
                weight_kg=i.weight_kg,
                volume_l=i.volume_l,
            )
            for i in t.items
        ],
        ready_time=timestamp(t.ready_time),
        deadline=timestamp(t.deadline),
        reference=t.reference or "",
        notes=t.notes or "",
        state=enum_to_proto(t.state, STATES),  # type: ignore[arg-type]
        task=TASKS.name(tenant, t.task_id) if t.task_id else "",
        route_template=ROUTE_TEMPLATES.name(tenant, t.template_id) if t.template_id else "",
        run_date=t.run_date.isoformat() if t.run_date else "",
        pickup_step_id=t.pickup_step_id or "",
        drop_off_step_id=t.drop_off_step_id or "",
        received_items=_lines(t.received),
        missing_items=_lines(t.missing),
        return_task=TASKS.name(tenant, t.return_task_id) if t.return_task_id else "",
        reason=t.reason or "",
        create_time=timestamp(t.create_time),
        update_time=timestamp(t.update_time),
        etag=etag_for(t.version),
        flow=FLOWS.name(tenant, t.flow_id) if t.flow_id else "",
    )


def filter_from_proto(request: transfer_pb2.ListTransfersRequest) -> TransferFilter:
    task = TASKS.parse(request.task, "task").id if request.task else None
    return TransferFilter(
        state=enum_from_proto(request.state, STATES, "state"),
        source_outlet_id=optional(request.source_outlet_id),
        destination_outlet_id=optional(request.destination_outlet_id),
        task_id=task,
        reference=optional(request.reference),
    )
