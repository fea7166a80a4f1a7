"""Translation between FlowService messages and flow domain values (and the failed-delivery
reason codes FailTask takes)."""

from __future__ import annotations

from bengobox.logistics.v1 import common_pb2, flow_pb2
from google.protobuf import struct_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, optional, timestamp
from logistics.api.convert_tasks import location
from logistics.domain.errors import InvalidArgument
from logistics.domain.failed_delivery import (
    FailAction,
    FailedDeliveryPolicy,
    FailReason,
    FailRule,
    Hub,
    with_defaults,
)
from logistics.domain.flows import Flow, FlowKind, FlowState
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FAILED_DELIVERY_POLICY, FLOWS, TASKS
from logistics.domain.versioning import etag_for

FLOW_KINDS: dict[int, FlowKind] = {
    flow_pb2.Flow.KIND_FAILED_DELIVERY: FlowKind.FAILED_DELIVERY,
    flow_pb2.Flow.KIND_TRANSFER: FlowKind.TRANSFER,
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


P = flow_pb2.FailedDeliveryPolicy
ACTIONS: dict[int, FailAction] = {
    P.ACTION_REATTEMPT: FailAction.REATTEMPT,
    P.ACTION_HOLD_AT_HUB: FailAction.HOLD_AT_HUB,
    P.ACTION_RETURN_TO_ORIGIN: FailAction.RETURN_TO_ORIGIN,
}


def _hub_from_proto(msg: flow_pb2.FailedDeliveryPolicy.Hub, field: str) -> Hub:
    located = msg.HasField("location")
    if located:
        location(msg.location, True, f"{field}.location")  # range checked here too
    return Hub(
        outlet_id=optional(msg.outlet_id),
        latitude=msg.location.latitude if located else None,
        longitude=msg.location.longitude if located else None,
        address=optional(msg.address),
    )


def policy_from_proto(msg: flow_pb2.FailedDeliveryPolicy) -> FailedDeliveryPolicy:
    """The policy as set: each rule listed, the defaults for the reasons not listed."""
    rules: dict[FailReason, FailRule] = {}
    for i, r in enumerate(msg.rules):
        field = f"policy.rules[{i}]"
        reason = enum_from_proto(r.reason, FAIL_REASONS, f"{field}.reason", required=True)
        action = enum_from_proto(r.action, ACTIONS, f"{field}.action", required=True)
        fallback = enum_from_proto(r.fallback, ACTIONS, f"{field}.fallback")
        assert reason is not None
        assert action is not None
        if reason in rules:
            raise InvalidArgument.field(f"{field}.reason", f"{reason.value} is listed twice")
        rules[reason] = FailRule(
            action=action,
            max_attempts=r.max_attempts or (3 if action is FailAction.REATTEMPT else 1),
            fallback=fallback or FailAction.RETURN_TO_ORIGIN,
            hub=_hub_from_proto(r.hub, f"{field}.hub") if r.HasField("hub") else None,
        )
    return FailedDeliveryPolicy(with_defaults(rules))


def policy_to_proto(tenant: TenantSlug, p: FailedDeliveryPolicy) -> flow_pb2.FailedDeliveryPolicy:
    msg = flow_pb2.FailedDeliveryPolicy(
        name=FAILED_DELIVERY_POLICY.name(tenant),
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )
    for reason in FailReason:
        rule = p.rule(reason)
        out = msg.rules.add(
            reason=enum_to_proto(reason, FAIL_REASONS),
            action=enum_to_proto(rule.action, ACTIONS),
            max_attempts=rule.max_attempts,
            fallback=enum_to_proto(rule.fallback, ACTIONS),
        )
        if rule.hub is not None:
            hub = rule.hub
            out.hub.outlet_id = hub.outlet_id or ""
            out.hub.address = hub.address or ""
            if hub.latitude is not None and hub.longitude is not None:
                out.hub.location.CopyFrom(
                    common_pb2.GeoPoint(latitude=hub.latitude, longitude=hub.longitude)
                )
    return msg
