"""What the task records hold beside the task itself, as plain values: the filter a listing
takes, a task's history and proofs as read back, and the tenant's SLA policy. The repository
(``store.task_repo``) reads and writes them; the use cases and the transport only see these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.coldchain import Mark
from logistics.domain.compliance import Window
from logistics.domain.returns import ItemFinding, TaskPurpose
from logistics.domain.tasks import ProofKind, SlaState, TaskKind, TaskState


@dataclass(frozen=True)
class TaskFilter:
    state: TaskState | None = None
    kind: TaskKind | None = None
    outlet_id: str | None = None
    rider_id: uuid.UUID | None = None
    sla_state: SlaState | None = None
    order_id: str | None = None
    created: Window | None = None
    deadline: Window | None = None
    needs_address: bool | None = None  # True: only tasks waiting for an address
    origin_task_id: uuid.UUID | None = None  # only the tasks linked to this forward task
    purpose: TaskPurpose | None = None


@dataclass(frozen=True)
class TaskEventRow:
    id: uuid.UUID
    type: str
    from_state: TaskState | None
    to_state: TaskState | None
    actor: str
    reason: str | None
    latitude: float | None
    longitude: float | None
    step_id: str | None
    event_time: datetime
    occurred_time: datetime | None = None  # the device's time of a rider action
    flow: str | None = None  # of a ``flow_step``: the flow's name
    temperature: Mark | None = None  # an excursion's reading and range (cold chain)


@dataclass(frozen=True)
class ProofRow:
    id: uuid.UUID
    step_id: str
    kind: ProofKind
    text: str | None
    temperatures_c: tuple[float, ...]
    blob_key: str | None
    file_sha256: str | None
    content_type: str | None
    file_size: int
    latitude: float | None
    longitude: float | None
    capture_time: datetime | None
    # When the service stored it (retention counts from here), and when the sweep removed its
    # file (``domain.proof_retention``); the row itself is kept.
    create_time: datetime | None = None
    purge_time: datetime | None = None
    # The task's items the proof shows, with the condition found (kept on the step's findings).
    items: tuple[ItemFinding, ...] = ()


@dataclass(frozen=True)
class SlaPolicy:
    at_risk_before: timedelta = timedelta(minutes=10)
    breach_action: str = "none"  # "none" | "manual_dispatch"
    update_time: datetime | None = None
    version: int = 0
    # On a predicted late arrival (task.delayed), before the breach: the same choices.
    delay_action: str = "none"
