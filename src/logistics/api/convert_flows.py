"""Translation between FlowService messages and flow domain values (and the failed-delivery
reason codes FailTask takes)."""

from __future__ import annotations

from bengobox.logistics.v1 import flow_pb2
from google.protobuf import struct_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, timestamp
from logistics.domain.failed_delivery import FailReason
from logistics.domain.flows import Flow, FlowKind, FlowState
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FLOWS, TASKS
from logistics.domain.versioning import etag_for

FLOW_KINDS: dict[int, FlowKind] = {
    flow_pb2.Flow.KIND_FAILED_DELIVERY: FlowKind.FAILED_DELIVERY,
}
FLOW_STATES: dict[int, FlowState] = {
    flow_pb2.Flow.STATE_RUNNING: FlowState.RUNNING,
    flow_pb2.Flow.STATE_COMPLETED: FlowState.COMPLETED,
    flow_pb2.Flow.STATE_COMPENSATING: FlowState.COMPENSATING,
    flow_pb2.Flow.STATE_COMPENSATED: FlowState.COMPENSATED,
    flow_pb2.Flow.STATE_FAILED: FlowState.FAILED,
}
FAIL_REASONS: dict[int, FailReason] = {
    flow_pb2.FAILED_DELIVERY_REASON_CUSTOMER_ABSENT: FailReason.CUSTOMER_ABSENT,
    flow_pb2.FAILED_DELIVERY_REASON_ADDRESS_WRONG: FailReason.ADDRESS_WRONG,
    flow_pb2.FAILED_DELIVERY_REASON_REFUSED: FailReason.REFUSED,
    flow_pb2.FAILED_DELIVERY_REASON_DAMAGED: FailReason.DAMAGED,
    flow_pb2.FAILED_DELIVERY_REASON_UNSAFE: FailReason.UNSAFE,
    flow_pb2.FAILED_DELIVERY_REASON_OTHER: FailReason.OTHER,
}


def fail_reason(value: int, field: str = "reason_code") -> FailReason | None:
    return enum_from_proto(value, FAIL_REASONS, field)


def flow_kind(value: int, field: str = "kind") -> FlowKind | None:
    return enum_from_proto(value, FLOW_KINDS, field)


def flow_state(value: int, field: str = "state") -> FlowState | None:
    return enum_from_proto(value, FLOW_STATES, field)


def flow_to_proto(tenant: TenantSlug, f: Flow) -> flow_pb2.Flow:
    context = struct_pb2.Struct()
    context.update(dict(f.context))
    msg = flow_pb2.Flow(
        name=FLOWS.name(tenant, f.id),
        kind=enum_to_proto(f.kind, FLOW_KINDS),  # type: ignore[arg-type]
        state=enum_to_proto(f.state, FLOW_STATES),  # type: ignore[arg-type]
        task=TASKS.name(tenant, f.task_id),
        tasks=[TASKS.name(tenant, t) for t in f.tasks],
        waiting_on=TASKS.name(tenant, f.waiting_on) if f.waiting_on else "",
        context=context,
        create_time=timestamp(f.create_time),
        update_time=timestamp(f.update_time),
        etag=etag_for(f.version),
    )
    for s in f.steps:
        msg.steps.add(
            seq=s.seq,
            name=s.name,
            compensation=s.compensation,
            compensates=s.compensates or 0,
            task=TASKS.name(tenant, s.task_id) if s.task_id else "",
            detail=s.detail,
            done_time=timestamp(s.done_time),
        )
    return msg
