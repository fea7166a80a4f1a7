"""The failed-delivery flow: why a drop-off failed, what the tenant's policy does about it
(re-attempt in the next window up to N attempts, hold at a hub, return to origin), the next
leg built from the failed task, and each decision of the flow. Pure.

A flow of this kind starts when a drop-off fails with a reason. Its steps:

    take_over                          the failed task's goods are the flow's to move
    open_reattempt | open_return       the next leg, waited for
      leg completed  -> COMPLETED
      leg failed     -> the next re-attempt while attempts remain, else the fallback leg;
                        a failed return or hold leg -> FAILED (a dispatcher takes over)
      leg cancelled  -> COMPENSATING: each leg still open cancelled, and (for a re-attempt
                        flow) the goods returned to origin, last step first -> COMPENSATED
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from logistics.domain.compliance import Window
from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.flows import Act, Flow, FlowState, FlowStep, Plan, compensations, stay
from logistics.domain.returns import TaskPurpose
from logistics.domain.tasks import (
    Step,
    StepKind,
    StepState,
    Task,
    TaskKind,
    TaskState,
)


class FailReason(enum.StrEnum):
    CUSTOMER_ABSENT = "customer_absent"
    ADDRESS_WRONG = "address_wrong"
    REFUSED = "refused"
    DAMAGED = "damaged"
    UNSAFE = "unsafe"
    OTHER = "other"


class FailAction(enum.StrEnum):
    REATTEMPT = "reattempt"
    HOLD_AT_HUB = "hold_at_hub"
    RETURN_TO_ORIGIN = "return_to_origin"


@dataclass(frozen=True)
class Hub:
    """Where goods are held: an outlet (placed at its location) or a point."""

    outlet_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


@dataclass(frozen=True)
class FailRule:
    """What one reason does: ``action``; for REATTEMPT, up to ``max_attempts`` attempts in
    all (the first delivery counts), then ``fallback``; ``hub`` for HOLD_AT_HUB."""

    action: FailAction
    max_attempts: int = 1
    fallback: FailAction = FailAction.RETURN_TO_ORIGIN
    hub: Hub | None = None


# The defaults (docs/flows.md): an absent customer or an unsafe drop is tried again (three
# attempts in all), anything else goes back to where it came from.
DEFAULT_RULES: Mapping[FailReason, FailRule] = {
    FailReason.CUSTOMER_ABSENT: FailRule(FailAction.REATTEMPT, max_attempts=3),
    FailReason.ADDRESS_WRONG: FailRule(FailAction.RETURN_TO_ORIGIN),
    FailReason.REFUSED: FailRule(FailAction.RETURN_TO_ORIGIN),
    FailReason.DAMAGED: FailRule(FailAction.RETURN_TO_ORIGIN),
    FailReason.UNSAFE: FailRule(FailAction.REATTEMPT, max_attempts=3),
    FailReason.OTHER: FailRule(FailAction.RETURN_TO_ORIGIN),
}


@dataclass(frozen=True)
class FailedDeliveryPolicy:
    """The tenant's rules (``tenants/{tenant}/failedDeliveryPolicy``): one per reason, the
    defaults for those never set."""

    rules: Mapping[FailReason, FailRule] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_RULES)
    )
    update_time: datetime | None = None
    version: int = 0

    def rule(self, reason: FailReason) -> FailRule:
        return self.rules.get(reason, DEFAULT_RULES[reason])


def with_defaults(rules: Mapping[FailReason, FailRule]) -> dict[FailReason, FailRule]:
    """Every reason's rule: those given, the defaults for the others, in the reasons' order."""
    return {r: rules.get(r, DEFAULT_RULES[r]) for r in FailReason}


def _hub_violations(hub: Hub | None, field: str) -> list[FieldViolation]:
    if hub is None:
        return [FieldViolation(field, "is required to hold at a hub")]
    out = []
    located = hub.latitude is not None and hub.longitude is not None
    if not located and not hub.outlet_id:
        out.append(FieldViolation(field, "needs an outlet id or a location"))
    if located and not (-90 <= (hub.latitude or 0) <= 90 and -180 <= (hub.longitude or 0) <= 180):
        out.append(FieldViolation(f"{field}.location", "is out of range"))
    if hub.outlet_id is not None and len(hub.outlet_id) > 128:
        out.append(FieldViolation(f"{field}.outlet_id", "is longer than 128 characters"))
    if hub.address is not None and len(hub.address) > 500:
        out.append(FieldViolation(f"{field}.address", "is longer than 500 characters"))
    return out


def validate_policy(policy: FailedDeliveryPolicy) -> None:
    """Raises InvalidArgument naming every bad field of a policy being set."""
    out: list[FieldViolation] = []
    for reason in FailReason:
        rule = policy.rule(reason)
        field = f"policy.rules[{reason.value}]"
        if rule.action is FailAction.REATTEMPT:
            if not 2 <= rule.max_attempts <= 10:
                out.append(FieldViolation(f"{field}.max_attempts", "must be 2 to 10"))
            if rule.fallback is FailAction.REATTEMPT:
                out.append(FieldViolation(f"{field}.fallback", "cannot be REATTEMPT"))
        holds = FailAction.HOLD_AT_HUB in (
            rule.action,
            rule.fallback if rule.action is FailAction.REATTEMPT else None,
        )
        if holds:
            out.extend(_hub_violations(rule.hub, f"{field}.hub"))
    if out:
        raise InvalidArgument(out)


def hub_outlets(policy: FailedDeliveryPolicy) -> set[str]:
    """The outlets the policy's hubs name without a location of their own."""
    return {
        r.hub.outlet_id
        for r in policy.rules.values()
        if r.hub is not None and r.hub.outlet_id and r.hub.latitude is None
    }


def placed_hub(hub: Hub, latitude: float, longitude: float, address: str | None) -> Hub:
    """A hub named by its outlet, placed at the outlet's location."""
    return dataclasses.replace(
        hub, latitude=latitude, longitude=longitude, address=hub.address or address
    )


# Actions of this kind's steps.
TAKE_OVER = "take_over"
OPEN_REATTEMPT = "open_reattempt"
OPEN_RETURN = "open_return"
CANCEL_LEG = "cancel_leg"
RETURN_GOODS = "return_goods"
LEG_DONE = "leg_completed"
LEG_FAILED = "leg_failed"


def applies(task: Task) -> bool:
    """Whether a failed task is a failed drop-off: it failed at a drop-off step, its
    pickups done, and it belongs to no flow already (a flow's own leg is its flow's)."""
    if task.state is not TaskState.FAILED or task.flow_id is not None:
        return False
    if task.kind in (TaskKind.TRANSFER, TaskKind.SHUTTLE):
        return False  # a transfer's goods go back by the transfer's own flow
    return task.step.kind is StepKind.DROP_OFF and task.pickup_done()


def context_of(reason: FailReason, rule: FailRule) -> dict[str, Any]:
    """The flow's context: the rule as it stood when the flow started."""
    hub = rule.hub
    return {
        "reason": reason.value,
        "action": rule.action.value,
        "max_attempts": rule.max_attempts,
        "fallback": rule.fallback.value,
        "hub": dataclasses.asdict(hub) if hub is not None else None,
    }


def _action(flow: Flow) -> FailAction:
    return FailAction(flow.context["action"])


def _open(action: FailAction, target: uuid.UUID) -> Act:
    if action is FailAction.REATTEMPT:
        return Act(OPEN_REATTEMPT, target=target, wait=True)
    return Act(OPEN_RETURN, target=target, wait=True)


def destination(flow: Flow, action: FailAction) -> Hub | None:
    """Where a return leg goes: the hub for HOLD_AT_HUB, None for the origin."""
    if action is FailAction.HOLD_AT_HUB and flow.context.get("hub"):
        return Hub(**flow.context["hub"])
    return None


def on_start(flow: Flow) -> Plan:
    """The first steps: take the goods over, open the next leg."""
    if flow.steps:
        return stay(flow)
    return Plan(
        (Act(TAKE_OVER, target=flow.task_id), _open(_action(flow), flow.task_id)), flow.state
    )


def leg_action(flow: Flow, leg: Task) -> FailAction:
    """Which action opened ``leg``: its opening step's name, and for a return, the hub."""
    for step in flow.steps:
        if step.task_id == leg.id and step.name == OPEN_REATTEMPT:
            return FailAction.REATTEMPT
    return FailAction.RETURN_TO_ORIGIN


def on_leg_ended(flow: Flow, leg: Task) -> Plan:
    """The leg the flow waits for has ended (anything else changes nothing)."""
    if flow.state is not FlowState.RUNNING or flow.waiting_on != leg.id:
        return stay(flow)
    if leg.state is TaskState.COMPLETED:
        return Plan((Act(LEG_DONE, target=leg.id),), FlowState.COMPLETED)
    if leg.state is TaskState.CANCELLED:
        return Plan(compensations(flow, undo), FlowState.COMPENSATED)
    if leg.state is not TaskState.FAILED:
        return stay(flow)
    if leg_action(flow, leg) is FailAction.REATTEMPT:
        if leg.attempt < int(flow.context.get("max_attempts", 1)):
            return Plan(
                (Act(LEG_FAILED, target=leg.id), _open(FailAction.REATTEMPT, leg.id)), flow.state
            )
        fallback = FailAction(flow.context.get("fallback", FailAction.RETURN_TO_ORIGIN))
        if fallback is FailAction.REATTEMPT:
            fallback = FailAction.RETURN_TO_ORIGIN
        return Plan((Act(LEG_FAILED, target=leg.id), _open(fallback, leg.id)), flow.state)
    return Plan((Act(LEG_FAILED, target=leg.id),), FlowState.FAILED)


def undo(step: FlowStep) -> str | None:
    """Each step's compensation: an opened leg is cancelled (a no-op once it has ended); the
    take-over of a re-attempt flow returns the goods to origin."""
    if step.name in (OPEN_REATTEMPT, OPEN_RETURN):
        return CANCEL_LEG
    if step.name == TAKE_OVER:
        return RETURN_GOODS
    return None


def owes_return(flow: Flow) -> bool:
    """A re-attempt flow withdrawn upstream still has the goods: they go back to origin.
    A return flow's goods were going back already."""
    return _action(flow) is FailAction.REATTEMPT


# Building the next leg


def _days_after(start: datetime, now: datetime) -> timedelta:
    """Whole days that move ``start`` past ``now`` (at least one)."""
    return timedelta(days=max(1, (now - start) // timedelta(days=1) + 1))


def next_window(window: Window | None, now: datetime) -> Window | None:
    """The same hours on the first later day that starts after ``now``."""
    if window is None:
        return None
    shift = _days_after(window.start, now)
    return Window(window.start + shift, window.end + shift)


def _fresh(step: Step, window: Window | None = None) -> Step:
    return dataclasses.replace(
        step,
        state=StepState.PENDING,
        code_attempts=0,
        arrive_time=None,
        complete_time=None,
        wait_seconds=None,
        arrival_check=None,
        completion_check=None,
        window=window if window is not None else step.window,
    )


def reattempt_of(failed: Task, new_id: uuid.UUID, flow_id: uuid.UUID, now: datetime) -> Task:
    """The next attempt at ``failed``: its steps again, fresh, each window (and the
    deadlines) moved to the same hours on the next day; attempt + 1; in the flow."""
    shift = timedelta(0)
    steps = []
    for step in failed.steps:
        moved = next_window(step.window, now)
        if moved is not None and step.window is not None:
            shift = max(shift, moved.start - step.window.start)
        steps.append(_fresh(step, moved))
    if shift == timedelta(0) and failed.delivery_deadline is not None:
        shift = _days_after(failed.delivery_deadline, now)
    return Task(
        id=new_id,
        kind=failed.kind,
        steps=tuple(steps),
        order_id=failed.order_id,
        outlet_id=failed.outlet_id,
        priority=failed.priority,
        items=failed.items,
        pickup_deadline=failed.pickup_deadline + shift if failed.pickup_deadline else None,
        delivery_deadline=failed.delivery_deadline + shift if failed.delivery_deadline else None,
        notes=failed.notes,
        metadata=dict(failed.metadata),
        ready_time=None,
        flow_id=flow_id,
        attempt=failed.attempt + 1,
        origin_task_id=failed.id,
        purpose=TaskPurpose.FAILED_DELIVERY,
    )


def return_of(
    failed: Task, origin: Task, new_id: uuid.UUID, flow_id: uuid.UUID, hub: Hub | None
) -> Task:
    """A RETURN leg for ``failed``'s goods: picked up where its drop-off failed, dropped at
    ``hub`` or at ``origin``'s first pickup (the outlet the goods came from)."""
    at = failed.step
    pickup = Step(
        id="collect",
        kind=StepKind.PICKUP,
        latitude=at.latitude,
        longitude=at.longitude,
        address=at.address,
    )
    source = next((s for s in origin.steps if s.kind is StepKind.PICKUP), origin.steps[0])
    to_origin = Step(
        id="drop",
        kind=StepKind.DROP_OFF,
        latitude=source.latitude,
        longitude=source.longitude,
        address=source.address,
        outlet_id=source.outlet_id or origin.outlet_id,
        contact_name=source.contact_name,
        contact_phone=source.contact_phone,
    )
    drop = to_origin
    if hub is not None and hub.latitude is not None and hub.longitude is not None:
        drop = dataclasses.replace(
            to_origin,
            latitude=hub.latitude,
            longitude=hub.longitude,
            address=hub.address,
            outlet_id=hub.outlet_id,
            contact_name=None,
            contact_phone=None,
        )
    return Task(
        id=new_id,
        kind=TaskKind.RETURN,
        steps=(pickup, drop),
        order_id=failed.order_id,
        outlet_id=failed.outlet_id,
        priority=failed.priority,
        items=failed.items,
        notes=f"return of task {origin.id}",
        flow_id=flow_id,
        attempt=1,
        origin_task_id=failed.id,
        purpose=TaskPurpose.FAILED_DELIVERY,
    )
