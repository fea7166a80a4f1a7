"""Translation between TaskService messages and task domain values."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bengobox.logistics.v1 import common_pb2, dispatch_pb2, task_pb2, telemetry_pb2
from google.protobuf import duration_pb2, json_format, struct_pb2

from logistics.api.convert_coldchain import set_event_temperature, set_task_temperature
from logistics.api.convert_common import (
    enum_from_proto,
    enum_to_proto,
    optional,
    timestamp,
    update_paths,
)
from logistics.api.convert_presence import check_to_proto
from logistics.api.convert_records import optional_time, window_from_proto, window_to_proto
from logistics.api.convert_returns import (
    CONDITIONS,
    PURPOSES,
    condition_from_proto,
    findings_from_proto,
    findings_to_proto,
    origin_from_proto,
    origin_to_proto,
    purpose_from_proto,
)
from logistics.domain.addresses import AddressState, needs_address
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FLOWS, PROOFS, RIDERS, SLA_POLICY, TASKS
from logistics.domain.rider_actions import ActionStamp, parse_action_id
from logistics.domain.task_edits import StepChange
from logistics.domain.task_records import ProofRow, SlaPolicy, TaskEventRow
from logistics.domain.tasks import (
    UNPLACED,
    Item,
    ProofKind,
    SlaState,
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
)
from logistics.domain.transfers import Line
from logistics.domain.versioning import etag_for
from logistics.services.tasks.proofs import ProofInput

TASK_KINDS: dict[int, TaskKind] = {
    task_pb2.Task.KIND_DELIVERY: TaskKind.DELIVERY,
    task_pb2.Task.KIND_PICKUP: TaskKind.PICKUP,
    task_pb2.Task.KIND_TRANSFER: TaskKind.TRANSFER,
    task_pb2.Task.KIND_RETURN: TaskKind.RETURN,
    task_pb2.Task.KIND_SHUTTLE: TaskKind.SHUTTLE,
}
TASK_STATES: dict[int, TaskState] = {
    task_pb2.Task.STATE_CREATED: TaskState.CREATED,
    task_pb2.Task.STATE_ASSIGNED: TaskState.ASSIGNED,
    task_pb2.Task.STATE_EN_ROUTE: TaskState.EN_ROUTE,
    task_pb2.Task.STATE_ARRIVED: TaskState.ARRIVED,
    task_pb2.Task.STATE_COMPLETED: TaskState.COMPLETED,
    task_pb2.Task.STATE_FAILED: TaskState.FAILED,
    task_pb2.Task.STATE_CANCELLED: TaskState.CANCELLED,
}
SLA_STATES: dict[int, SlaState] = {
    task_pb2.Task.SLA_STATE_ON_TRACK: SlaState.ON_TRACK,
    task_pb2.Task.SLA_STATE_AT_RISK: SlaState.AT_RISK,
    task_pb2.Task.SLA_STATE_BREACHED: SlaState.BREACHED,
}
STEP_KINDS: dict[int, StepKind] = {
    task_pb2.TaskStep.KIND_PICKUP: StepKind.PICKUP,
    task_pb2.TaskStep.KIND_DROP_OFF: StepKind.DROP_OFF,
    task_pb2.TaskStep.KIND_HUB: StepKind.HUB,
}
STEP_STATES: dict[int, StepState] = {
    task_pb2.TaskStep.STATE_PENDING: StepState.PENDING,
    task_pb2.TaskStep.STATE_ARRIVED: StepState.ARRIVED,
    task_pb2.TaskStep.STATE_COMPLETED: StepState.COMPLETED,
    task_pb2.TaskStep.STATE_FAILED: StepState.FAILED,
    task_pb2.TaskStep.STATE_SKIPPED: StepState.SKIPPED,
}
ADDRESS_STATES: dict[int, AddressState] = {
    task_pb2.ADDRESS_STATE_GIVEN: AddressState.GIVEN,
    task_pb2.ADDRESS_STATE_PENDING: AddressState.PENDING,
    task_pb2.ADDRESS_STATE_RESOLVED: AddressState.RESOLVED,
    task_pb2.ADDRESS_STATE_NEEDS_ADDRESS: AddressState.NEEDS_ADDRESS,
}
PROOF_KINDS: dict[int, ProofKind] = {
    task_pb2.TaskStep.PROOF_KIND_ONE_TIME_CODE: ProofKind.ONE_TIME_CODE,
    task_pb2.TaskStep.PROOF_KIND_SIGNATURE: ProofKind.SIGNATURE,
    task_pb2.TaskStep.PROOF_KIND_PHOTO: ProofKind.PHOTO,
    task_pb2.TaskStep.PROOF_KIND_NFC_TAG: ProofKind.NFC_TAG,
    task_pb2.TaskStep.PROOF_KIND_TEMPERATURE_LOG: ProofKind.TEMPERATURE_LOG,
    task_pb2.TaskStep.PROOF_KIND_RECIPIENT_NAME: ProofKind.RECIPIENT_NAME,
}
BREACH_ACTIONS = {
    task_pb2.SlaPolicy.BREACH_ACTION_NONE: "none",
    task_pb2.SlaPolicy.BREACH_ACTION_MANUAL_DISPATCH: "manual_dispatch",
}


def location(
    point: common_pb2.GeoPoint | None, present: bool, field: str
) -> tuple[float, float] | None:
    if not present or point is None:
        return None
    if not (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):
        raise InvalidArgument.field(field, "is out of range")
    return (point.latitude, point.longitude)


def _required_proofs(s: task_pb2.TaskStep, field: str) -> frozenset[ProofKind]:
    proofs = set()
    for j, p in enumerate(s.required_proofs):
        proof = enum_from_proto(p, PROOF_KINDS, f"{field}.required_proofs[{j}]", required=True)
        assert proof is not None
        proofs.add(proof)
    return frozenset(proofs)


def _items_from_proto(msg: task_pb2.Task) -> tuple[Item, ...]:
    return tuple(
        Item(
            sku=optional(i.sku),
            description=optional(i.description),
            quantity=i.quantity or 1,
            weight_kg=i.weight_kg,
            volume_l=i.volume_l,
            min_temperature_c=i.min_temperature_c,
            max_temperature_c=i.max_temperature_c,
            condition=condition_from_proto(i.condition, f"task.items[{n}].condition"),
            collect=i.collect,
        )
        for n, i in enumerate(msg.items)
    )


# Set by the server or fixed at creation: a mask may not name them.
_TASK_OUTPUT_ONLY = frozenset(
    {
        "state",
        "rider",
        "sla_state",
        "current_step",
        "manual_dispatch",
        "mark_ready_time",
        "flow",
        "attempt",
    }
)
# Left out of an empty mask (a task read back and sent whole); named, they are refused.
_TASK_IMMUTABLE = frozenset({"kind", "order_id", "outlet_id", "metadata", "origin_task", "purpose"})


def task_changes(msg: task_pb2.Task, mask: list[str]) -> dict[str, Any]:
    """UpdateTask's changes by mask path (AIP-134; ``update_paths``); which of them may change
    is the use case's business."""
    changes: dict[str, Any] = {}
    for path in update_paths(
        msg, mask, "task", output_only=_TASK_OUTPUT_ONLY, immutable=_TASK_IMMUTABLE
    ):
        if path == "priority":
            changes[path] = msg.priority
        elif path == "notes":
            changes[path] = optional(msg.notes)
        elif path == "items":
            changes[path] = _items_from_proto(msg)
        elif path in ("pickup_deadline", "delivery_deadline", "ready_time"):
            changes[path] = optional_time(msg, path, f"task.{path}")
        elif path == "steps":
            changes[path] = tuple(
                _step_change(s, f"task.steps[{i}]") for i, s in enumerate(msg.steps)
            )
        else:
            changes[path] = None  # named but not updatable: the use case refuses it by name
    return changes


def _step_change(s: task_pb2.TaskStep, field: str) -> StepChange:
    if not s.id:
        raise InvalidArgument.field(f"{field}.id", "is required")
    if not s.HasField("location"):
        raise InvalidArgument.field(f"{field}.location", "is required")
    return StepChange(
        id=s.id,
        latitude=s.location.latitude,
        longitude=s.location.longitude,
        address=optional(s.address),
        window=window_from_proto(s.window, f"{field}.window") if s.HasField("window") else None,
        contact_name=optional(s.contact_name),
        contact_phone=optional(s.contact_phone),
        kind=enum_from_proto(s.kind, STEP_KINDS, f"{field}.kind"),
        outlet_id=optional(s.outlet_id),
        required_proofs=_required_proofs(s, field),
        service_seconds=s.service_seconds,
    )


def task_from_proto(msg: task_pb2.Task, tenant: TenantSlug) -> tuple[Task, dict[str, str]]:
    """The task and the one-time codes given per step id; ``tenant``: the one it is created
    in (a forward task it names must be of that tenant)."""
    kind = enum_from_proto(msg.kind, TASK_KINDS, "task.kind", required=True)
    assert kind is not None
    steps, codes = [], {}
    for i, s in enumerate(msg.steps):
        field = f"task.steps[{i}]"
        step_kind = enum_from_proto(s.kind, STEP_KINDS, f"{field}.kind", required=True)
        assert step_kind is not None
        # An address alone waits for the geocoder (``domain.addresses``).
        located = s.HasField("location")
        # A pickup at an outlet without a point is placed there on create (services.tasks).
        at_outlet = not located and step_kind is StepKind.PICKUP and bool(s.outlet_id)
        if not located and not s.address.strip() and not at_outlet:
            raise InvalidArgument.field(f"{field}.location", "is required (or give an address)")
        point = UNPLACED if at_outlet else (s.location.latitude, s.location.longitude)
        proofs = _required_proofs(s, field)
        if s.one_time_code and not (s.one_time_code.isdigit() and 4 <= len(s.one_time_code) <= 12):
            raise InvalidArgument.field(f"{field}.one_time_code", "must be 4 to 12 digits")
        if s.one_time_code:
            codes[str(i)] = s.one_time_code
        steps.append(
            Step(
                id=str(i),
                kind=step_kind,
                latitude=point[0],
                longitude=point[1],
                address=optional(s.address),
                address_state=AddressState.GIVEN if located else AddressState.PENDING,
                outlet_id=optional(s.outlet_id),
                instructions=optional(s.instructions),
                window=window_from_proto(s.window, f"{field}.window")
                if s.HasField("window")
                else None,
                contact_name=optional(s.contact_name),
                contact_phone=optional(s.contact_phone),
                required_proofs=proofs,
                service_seconds=s.service_seconds,
                curbside=s.curbside,
            )
        )
    items = _items_from_proto(msg)
    task = Task(
        id=uuid.uuid4(),
        kind=kind,
        steps=tuple(steps),
        order_id=optional(msg.order_id),
        outlet_id=optional(msg.outlet_id),
        priority=msg.priority,
        items=items,
        pickup_deadline=optional_time(msg, "pickup_deadline", "task.pickup_deadline"),
        delivery_deadline=optional_time(msg, "delivery_deadline", "task.delivery_deadline"),
        ready_time=optional_time(msg, "ready_time", "task.ready_time"),
        notes=optional(msg.notes),
        metadata=json_format.MessageToDict(msg.metadata) if msg.HasField("metadata") else {},
        origin_task_id=origin_from_proto(tenant, msg.origin_task, "task.origin_task"),
        purpose=purpose_from_proto(msg.purpose, "task.purpose"),
    )
    return task, codes


def task_to_proto(
    tenant: TenantSlug, t: Task, issued: dict[str, str] | None = None
) -> task_pb2.Task:
    metadata = struct_pb2.Struct()
    metadata.update(dict(t.metadata))
    msg = task_pb2.Task(
        name=TASKS.name(tenant, t.id),
        kind=enum_to_proto(t.kind, TASK_KINDS),  # type: ignore[arg-type]
        state=enum_to_proto(t.state, TASK_STATES),  # type: ignore[arg-type]
        order_id=t.order_id or "",
        outlet_id=t.outlet_id or "",
        priority=t.priority,
        rider=RIDERS.name(tenant, t.rider_id) if t.rider_id else "",
        pickup_deadline=timestamp(t.pickup_deadline),
        delivery_deadline=timestamp(t.delivery_deadline),
        notes=t.notes or "",
        metadata=metadata,
        create_time=timestamp(t.create_time),
        update_time=timestamp(t.update_time),
        etag=etag_for(t.version),
        sla_state=enum_to_proto(t.sla_state, SLA_STATES),  # type: ignore[arg-type]
        current_step=t.current_step,
        manual_dispatch=t.manual_dispatch,
        needs_address=needs_address(t),
        ready_time=timestamp(t.ready_time),
        mark_ready_time=timestamp(t.mark_ready_time),
        origin_task=origin_to_proto(tenant, t.origin_task_id),
        purpose=enum_to_proto(t.purpose, PURPOSES),  # type: ignore[arg-type]
        flow=FLOWS.name(tenant, t.flow_id) if t.flow_id else "",
        attempt=t.attempt,
    )
    for i in t.items:
        msg.items.add(
            sku=i.sku or "",
            description=i.description or "",
            quantity=i.quantity,
            weight_kg=i.weight_kg,
            volume_l=i.volume_l,
            min_temperature_c=i.min_temperature_c,
            max_temperature_c=i.max_temperature_c,
            condition=enum_to_proto(i.condition, CONDITIONS),
            collect=i.collect,
        )
    for s in t.steps:
        step = msg.steps.add(
            id=s.id,
            kind=enum_to_proto(s.kind, STEP_KINDS),
            state=enum_to_proto(s.state, STEP_STATES),
            location=common_pb2.GeoPoint(latitude=s.latitude, longitude=s.longitude),
            address=s.address or "",
            outlet_id=s.outlet_id or "",
            contact_name=s.contact_name or "",
            contact_phone=s.contact_phone or "",
            instructions=s.instructions or "",
            required_proofs=[enum_to_proto(p, PROOF_KINDS) for p in sorted(s.required_proofs)],
            service_seconds=s.service_seconds,
            issued_code=(issued or {}).get(s.id, ""),
            arrive_time=timestamp(s.arrive_time),
            complete_time=timestamp(s.complete_time),
            address_state=enum_to_proto(s.address_state, ADDRESS_STATES),
            curbside=s.curbside,
        )
        for c in s.candidates:
            step.address_candidates.add(
                label=c.label,
                location=common_pb2.GeoPoint(latitude=c.latitude, longitude=c.longitude),
                confidence=c.confidence,
            )
        if s.wait_seconds is not None:
            step.wait_duration.FromSeconds(s.wait_seconds)
        if s.arrival_check is not None:
            step.arrival_check.CopyFrom(check_to_proto(s.arrival_check))
        if s.completion_check is not None:
            step.completion_check.CopyFrom(check_to_proto(s.completion_check))
        if s.window is not None:
            step.window.CopyFrom(window_to_proto(s.window))
    set_task_temperature(msg, t)
    return msg


def proofs_from_proto(request: task_pb2.CompleteStepRequest) -> list[ProofInput]:
    return proof_inputs(request.proofs, "proofs")


def proof_inputs(messages: Sequence[task_pb2.Proof], field: str) -> list[ProofInput]:
    """Proofs as sent (``field``: the request's field, named in errors)."""
    proofs = []
    for i, p in enumerate(messages):
        kind = enum_from_proto(p.kind, PROOF_KINDS, f"{field}[{i}].kind", required=True)
        assert kind is not None
        proofs.append(
            ProofInput(
                kind=kind,
                text=optional(p.text),
                content=p.content or None,
                temperatures_c=tuple(p.temperatures_c),
                location=location(p.location, p.HasField("location"), f"{field}[{i}].location"),
                capture_time=optional_time(p, "capture_time", f"{field}[{i}].capture_time"),
                items=findings_from_proto(p, f"{field}[{i}]"),
            )
        )
    return proofs


def received_from_proto(request: task_pb2.CompleteStepRequest) -> tuple[Line, ...]:
    """The lines counted in at a transfer's drop-off (``received_items``); checked against
    what was sent by the transfers (``domain.transfers.count_in``)."""
    return tuple(Line(r.sku, r.quantity) for r in request.received_items)


def proof_to_proto(tenant: TenantSlug, task_id: uuid.UUID, p: ProofRow) -> task_pb2.Proof:
    return task_pb2.Proof(
        name=PROOFS.name(tenant, task_id, p.id),
        step_id=p.step_id,
        kind=enum_to_proto(p.kind, PROOF_KINDS),  # type: ignore[arg-type]
        text=p.text or "",
        temperatures_c=list(p.temperatures_c),
        location=common_pb2.GeoPoint(latitude=p.latitude, longitude=p.longitude)
        if p.latitude is not None and p.longitude is not None
        else None,
        capture_time=timestamp(p.capture_time),
        file_sha256=p.file_sha256 or "",
        content_type=p.content_type or "",
        file_size_bytes=p.file_size,
        items=findings_to_proto(p.items),
    )


RiderActionRequest = (
    task_pb2.StartTaskRequest
    | task_pb2.ArriveAtStepRequest
    | task_pb2.CompleteStepRequest
    | task_pb2.FailTaskRequest
    | dispatch_pb2.RespondToOfferRequest
    | telemetry_pb2.OfferResponse
)


def action_stamp(request: RiderActionRequest) -> ActionStamp | None:
    """A rider action's ``action_id`` and ``occurred_time``; None when it has neither."""
    action_id = parse_action_id(request.action_id)
    occurred = optional_time(request, "occurred_time", "occurred_time")
    if action_id is None and occurred is None:
        return None
    return ActionStamp(action_id, occurred)


def event_to_proto(e: TaskEventRow) -> task_pb2.TaskEvent:
    msg = task_pb2.TaskEvent(
        id=str(e.id),
        type=e.type,
        from_state=enum_to_proto(e.from_state, TASK_STATES),  # type: ignore[arg-type]
        to_state=enum_to_proto(e.to_state, TASK_STATES),  # type: ignore[arg-type]
        actor=e.actor,
        reason=e.reason or "",
        location=common_pb2.GeoPoint(latitude=e.latitude, longitude=e.longitude)
        if e.latitude is not None and e.longitude is not None
        else None,
        event_time=timestamp(e.event_time),
        step_id=e.step_id or "",
        occurred_time=timestamp(e.occurred_time),
        flow=e.flow or "",
    )
    set_event_temperature(msg, e.temperature)
    return msg


def sla_policy_from_proto(msg: task_pb2.SlaPolicy) -> SlaPolicy:
    action = BREACH_ACTIONS.get(msg.breach_action)
    if msg.breach_action and action is None:
        raise InvalidArgument.field(
            "policy.breach_action", f"{msg.breach_action} is not a known value"
        )
    delay = BREACH_ACTIONS.get(msg.delay_action)
    if msg.delay_action and delay is None:
        raise InvalidArgument.field(
            "policy.delay_action", f"{msg.delay_action} is not a known value"
        )
    if msg.at_risk_before.seconds < 0 or msg.at_risk_before.nanos < 0:
        raise InvalidArgument.field("policy.at_risk_before", "must not be negative")
    return SlaPolicy(
        at_risk_before=timedelta(seconds=msg.at_risk_before.seconds),
        breach_action=action or "none",
        delay_action=delay or "none",
    )


def sla_policy_to_proto(tenant: TenantSlug, p: SlaPolicy) -> task_pb2.SlaPolicy:
    before = duration_pb2.Duration()
    before.FromTimedelta(p.at_risk_before)
    action = next((k for k, v in BREACH_ACTIONS.items() if v == p.breach_action), 0)
    delay = next((k for k, v in BREACH_ACTIONS.items() if v == p.delay_action), 0)
    return task_pb2.SlaPolicy(
        name=SLA_POLICY.name(tenant),
        at_risk_before=before,
        breach_action=action,  # type: ignore[arg-type]
        delay_action=delay,  # type: ignore[arg-type]
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )
