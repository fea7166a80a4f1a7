"""Tasks: multi-leg work orders and the one state machine that moves them. Pure.

    CREATED --assign--> ASSIGNED --start--> EN_ROUTE --arrive--> ARRIVED
       ^                   |                   ^                    |
       +----unassign-------+                   +--complete_step-----+ (more steps)
                                                                    |
                                               COMPLETED <----------+ (last step)
    FAILED: fail from ASSIGNED, EN_ROUTE or ARRIVED.
    CANCELLED: cancel from any state that has not ended.

Every transition is a function from a task to the next task; an illegal one raises
FailedPrecondition and changes nothing.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logistics.domain.addresses import (
    MAX_ADDRESS_CHARS,
    AddressState,
    Candidate,
    require_located,
)
from logistics.domain.coldchain import Reading
from logistics.domain.compliance import Window
from logistics.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from logistics.domain.presence import PresenceCheck
from logistics.domain.readiness import pickup_wait_seconds
from logistics.domain.returns import ItemCondition, ItemFinding, TaskPurpose, link_violations
from logistics.domain.text import shown


class TaskKind(enum.StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"
    TRANSFER = "transfer"
    RETURN = "return"
    SHUTTLE = "shuttle"


class TaskState(enum.StrEnum):
    CREATED = "created"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED})


class StepKind(enum.StrEnum):
    PICKUP = "pickup"
    DROP_OFF = "drop_off"
    HUB = "hub"


class StepState(enum.StrEnum):
    PENDING = "pending"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class ProofKind(enum.StrEnum):
    ONE_TIME_CODE = "one_time_code"
    SIGNATURE = "signature"
    PHOTO = "photo"
    NFC_TAG = "nfc_tag"
    TEMPERATURE_LOG = "temperature_log"
    RECIPIENT_NAME = "recipient_name"


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class Action(enum.StrEnum):
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    START = "start"
    ARRIVE = "arrive"
    COMPLETE_STEP = "complete_step"
    FAIL = "fail"
    CANCEL = "cancel"


# Where each action may start from. complete_step leads to EN_ROUTE or COMPLETED.
ALLOWED: Mapping[Action, frozenset[TaskState]] = {
    Action.ASSIGN: frozenset({TaskState.CREATED, TaskState.ASSIGNED}),
    Action.UNASSIGN: frozenset({TaskState.ASSIGNED}),
    Action.START: frozenset({TaskState.ASSIGNED}),
    Action.ARRIVE: frozenset({TaskState.EN_ROUTE}),
    Action.COMPLETE_STEP: frozenset({TaskState.ARRIVED}),
    Action.FAIL: frozenset({TaskState.ASSIGNED, TaskState.EN_ROUTE, TaskState.ARRIVED}),
    Action.CANCEL: frozenset(set(TaskState) - TERMINAL),
}

MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Item:
    sku: str | None = None
    description: str | None = None
    quantity: int = 1
    weight_kg: float = 0.0
    volume_l: float = 0.0
    min_temperature_c: float = 0.0
    max_temperature_c: float = 0.0
    # Returns and exchanges (``returns``): the item's condition as reported, and whether it is
    # collected from the customer rather than delivered.
    condition: ItemCondition = ItemCondition.UNSPECIFIED
    collect: bool = False


# The point of a pickup step that names an outlet and gives none, until create copies the
# outlet's (``outlets.place_at_outlets``); a step still unplaced never passes validation.
UNPLACED = (math.nan, math.nan)


def unplaced(step: Step) -> bool:
    return math.isnan(step.latitude) or math.isnan(step.longitude)


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    latitude: float
    longitude: float
    address: str | None = None
    outlet_id: str | None = None
    window: Window | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    required_proofs: frozenset[ProofKind] = frozenset()
    service_seconds: int = 0
    state: StepState = StepState.PENDING
    # Of the one-time code, never the code; secret: never shown in events or audit rows.
    code_hash: str | None = field(default=None, metadata={"secret": True})
    code_attempts: int = 0
    arrive_time: datetime | None = None
    complete_time: datetime | None = None
    # Geocoding (``domain.addresses``): GIVEN unless the step came with an address only.
    address_state: AddressState = AddressState.GIVEN
    candidates: tuple[Candidate, ...] = ()
    geocode_attempts: int = 0
    instructions: str | None = None
    # A pickup at the kerb: the outlet brings the order out when told of the arrival.
    curbside: bool = False
    # Of a pickup, once completed: how long the rider waited for the order (``readiness``).
    wait_seconds: int | None = None
    # Verified completion (``presence``): the rider's position checked on arrival and on
    # completion (None: not checked, as before the check existed or with the policy off).
    arrival_check: PresenceCheck | None = None
    completion_check: PresenceCheck | None = None
    # Returns and exchanges (``returns``): the items the completion's proofs showed, with the
    # condition the rider found them in.
    findings: tuple[ItemFinding, ...] = ()


@dataclass(frozen=True)
class Task:
    id: uuid.UUID
    kind: TaskKind
    steps: tuple[Step, ...]
    state: TaskState = TaskState.CREATED
    order_id: str | None = None
    outlet_id: str | None = None
    priority: int = 0
    items: tuple[Item, ...] = ()
    current_step: int = 0
    rider_id: uuid.UUID | None = None
    pickup_deadline: datetime | None = None
    delivery_deadline: datetime | None = None
    sla_state: SlaState = SlaState.ON_TRACK
    manual_dispatch: bool = False
    notes: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # When the upstream expects the order to be ready, and when it said it is (MarkTaskReady).
    ready_time: datetime | None = None
    mark_ready_time: datetime | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0
    # Returns and exchanges (``returns``): the forward task this one belongs to (same tenant),
    # and why the task exists.
    origin_task_id: uuid.UUID | None = None
    purpose: TaskPurpose = TaskPurpose.UNSPECIFIED
    # Durable flows (``domain.flows``): the flow the task belongs to, and which attempt at the
    # delivery it is (a failed-delivery policy's re-attempt is the failed one's + 1).
    flow_id: uuid.UUID | None = None
    attempt: int = 1
    # Cold chain (domain/coldchain.py), kept by the readings, never by the task's own changes:
    # whether the goods ever had an excursion, whether one lasts now, the newest reading.
    temperature_excursion: bool = False
    temperature_excursion_active: bool = False
    last_temperature: Reading | None = None

    @property
    def step(self) -> Step:
        return self.steps[min(self.current_step, len(self.steps) - 1)]

    @property
    def ready_at(self) -> datetime | None:
        """When the order is (or is expected to be) ready: marked ready wins over expected."""
        return self.mark_ready_time or self.ready_time

    def pickup_done(self) -> bool:
        """True once every pickup step is completed (the pickup deadline no longer applies)."""
        return all(s.state is StepState.COMPLETED for s in self.steps if s.kind is StepKind.PICKUP)


def require_allowed(task: Task, action: Action) -> None:
    """Raises FailedPrecondition unless ``action`` may start from the task's state."""
    _check(task, action)


def _check(task: Task, action: Action) -> None:
    if task.state not in ALLOWED[action]:
        raise FailedPrecondition(
            f"cannot {action.value.replace('_', ' ')} a task that is {task.state.value}",
            reason="ILLEGAL_TRANSITION",
        )


def _current(task: Task, step_id: str) -> Step:
    step = task.step
    if step.id != step_id:
        raise FailedPrecondition(
            f"step {shown(step_id)} is not the current step ({shown(step.id)})",
            reason="NOT_CURRENT_STEP",
        )
    return step


def _with_step(task: Task, step: Step) -> tuple[Step, ...]:
    return tuple(step if s.id == step.id else s for s in task.steps)


def _close_remaining(task: Task, current: StepState) -> tuple[Step, ...]:
    steps = []
    for i, s in enumerate(task.steps):
        if i == task.current_step and s.state in (StepState.PENDING, StepState.ARRIVED):
            steps.append(dataclasses.replace(s, state=current))
        elif i > task.current_step and s.state is StepState.PENDING:
            steps.append(dataclasses.replace(s, state=StepState.SKIPPED))
        else:
            steps.append(s)
    return tuple(steps)


def assign(task: Task, rider_id: uuid.UUID) -> Task:
    _check(task, Action.ASSIGN)
    require_located(task)
    return dataclasses.replace(
        task, state=TaskState.ASSIGNED, rider_id=rider_id, manual_dispatch=False
    )


def unassign(task: Task, *, manual_dispatch: bool) -> Task:
    _check(task, Action.UNASSIGN)
    return dataclasses.replace(
        task, state=TaskState.CREATED, rider_id=None, manual_dispatch=manual_dispatch
    )


def start(task: Task) -> Task:
    _check(task, Action.START)
    return dataclasses.replace(task, state=TaskState.EN_ROUTE)


def arrive(task: Task, step_id: str, at: datetime, check: PresenceCheck | None = None) -> Task:
    """``check``: what the rider's position said on arrival, kept on the step."""
    _check(task, Action.ARRIVE)
    step = _current(task, step_id)
    arrived = dataclasses.replace(
        step, state=StepState.ARRIVED, arrive_time=at, arrival_check=check
    )
    return dataclasses.replace(task, state=TaskState.ARRIVED, steps=_with_step(task, arrived))


def complete_step(
    task: Task,
    step_id: str,
    proofs: frozenset[ProofKind],
    at: datetime,
    check: PresenceCheck | None = None,
) -> Task:
    """Completes the current step if every proof it requires was given; then on to the next
    step (EN_ROUTE) or, after the last, COMPLETED. ``check``: as in ``arrive``."""
    _check(task, Action.COMPLETE_STEP)
    step = _current(task, step_id)
    missing = step.required_proofs - proofs
    if missing:
        raise FailedPrecondition(
            f"step {step.id} needs proof: {', '.join(sorted(k.value for k in missing))}",
            reason="PROOF_REQUIRED",
        )
    wait = None
    if step.kind is StepKind.PICKUP and step.arrive_time is not None:
        wait = pickup_wait_seconds(step.arrive_time, task.ready_at, at)
    done = dataclasses.replace(
        step,
        state=StepState.COMPLETED,
        complete_time=at,
        wait_seconds=wait,
        completion_check=check,
    )
    steps = _with_step(task, done)
    if task.current_step + 1 < len(task.steps):
        return dataclasses.replace(
            task, state=TaskState.EN_ROUTE, steps=steps, current_step=task.current_step + 1
        )
    return dataclasses.replace(task, state=TaskState.COMPLETED, steps=steps)


def mark_ready(task: Task, at: datetime) -> Task:
    """The upstream says the order is ready. Idempotent: a task already marked is returned
    as it is (its first mark stands); an ended task cannot be marked."""
    if task.state in TERMINAL:
        raise FailedPrecondition(
            f"cannot mark ready a task that is {task.state.value}", reason="ILLEGAL_TRANSITION"
        )
    if task.mark_ready_time is not None:
        return task
    return dataclasses.replace(task, mark_ready_time=at)


def fail(task: Task) -> Task:
    _check(task, Action.FAIL)
    return dataclasses.replace(
        task, state=TaskState.FAILED, steps=_close_remaining(task, StepState.FAILED)
    )


def cancel(task: Task) -> Task:
    _check(task, Action.CANCEL)
    return dataclasses.replace(
        task, state=TaskState.CANCELLED, steps=_close_remaining(task, StepState.SKIPPED)
    )


def record_code_attempt(task: Task, step_id: str) -> Task:
    """A wrong one-time code: counted, so the code locks after MAX_CODE_ATTEMPTS."""
    step = _current(task, step_id)
    return dataclasses.replace(
        task,
        steps=_with_step(task, dataclasses.replace(step, code_attempts=step.code_attempts + 1)),
    )


def curbside_violations(step: Step, path: str) -> list[FieldViolation]:
    """Curbside is a way of picking up, and the outlet's staff hand the order through the car
    window: no signature or recipient name is taken there."""
    if not step.curbside:
        return []
    if step.kind is not StepKind.PICKUP:
        return [FieldViolation(f"{path}.curbside", "is only for pickup steps")]
    handed = step.required_proofs & {ProofKind.SIGNATURE, ProofKind.RECIPIENT_NAME}
    if handed:
        names = ", ".join(sorted(k.value for k in handed))
        return [FieldViolation(f"{path}.required_proofs", f"a curbside pickup takes no {names}")]
    return []


def validate_task(task: Task) -> None:
    out: list[FieldViolation] = []
    if not 1 <= len(task.steps) <= 50:
        out.append(FieldViolation("task.steps", "must have 1 to 50 steps"))
    if not 0 <= task.priority <= 10:
        out.append(FieldViolation("task.priority", "must be 0 to 10"))
    if len(task.items) > 500:
        out.append(FieldViolation("task.items", "must have at most 500 items"))
    for i, item in enumerate(task.items):
        if item.quantity < 1:
            out.append(FieldViolation(f"task.items[{i}].quantity", "must be at least 1"))
        if item.weight_kg < 0 or item.volume_l < 0:
            out.append(FieldViolation(f"task.items[{i}]", "weight and volume must not be negative"))
        if item.min_temperature_c > item.max_temperature_c:
            out.append(
                FieldViolation(f"task.items[{i}].min_temperature_c", "exceeds max_temperature_c")
            )
    for i, step in enumerate(task.steps):
        if unplaced(step):
            out.append(
                FieldViolation(
                    f"task.steps[{i}].location",
                    "is required, unless a pickup step names an outlet that has a location",
                )
            )
        elif not (-90 <= step.latitude <= 90 and -180 <= step.longitude <= 180):
            out.append(FieldViolation(f"task.steps[{i}].location", "is out of range"))
        if step.instructions is not None and len(step.instructions) > 1000:
            out.append(
                FieldViolation(f"task.steps[{i}].instructions", "is longer than 1000 characters")
            )
        if step.window is not None and step.window.end <= step.window.start:
            out.append(FieldViolation(f"task.steps[{i}].window", "must end after it starts"))
        if step.address is not None and len(step.address) > MAX_ADDRESS_CHARS:
            out.append(
                FieldViolation(
                    f"task.steps[{i}].address", f"is longer than {MAX_ADDRESS_CHARS} characters"
                )
            )
        pending = step.address_state is AddressState.PENDING and not unplaced(step)
        if pending and not (step.address or "").strip():
            out.append(
                FieldViolation(f"task.steps[{i}].location", "is required (or give an address)")
            )
        if step.service_seconds < 0 or step.service_seconds > 86400:
            out.append(FieldViolation(f"task.steps[{i}].service_seconds", "must be 0 to 86400"))
        out.extend(curbside_violations(step, f"task.steps[{i}]"))
    if (
        task.pickup_deadline is not None
        and task.delivery_deadline is not None
        and task.delivery_deadline < task.pickup_deadline
    ):
        out.append(FieldViolation("task.delivery_deadline", "is before pickup_deadline"))
    if (
        task.ready_time is not None
        and task.delivery_deadline is not None
        and task.delivery_deadline < task.ready_time
    ):
        out.append(FieldViolation("task.ready_time", "is after delivery_deadline"))
    for name in ("order_id", "outlet_id"):
        value = getattr(task, name)
        if value is not None and len(value) > 128:
            out.append(FieldViolation(f"task.{name}", "is longer than 128 characters"))
    if task.notes is not None and len(task.notes) > 2000:
        out.append(FieldViolation("task.notes", "is longer than 2000 characters"))
    out.extend(
        link_violations(
            task.kind._value_,
            task.purpose,
            task.origin_task_id is not None,
            [i.collect for i in task.items],
            [s.kind._value_ for s in task.steps],
        )
    )
    if out:
        raise InvalidArgument(out)
