"""Events of the task lifecycle and of routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logistics.domain.eta import Eta
from logistics.domain.events._base import Event
from logistics.domain.presence import PresenceCheck
from logistics.domain.tasks import Task, TaskState


@dataclass(frozen=True)
class TaskEvent(Event):
    """A task changed, or a step of dispatch touched it: ``task`` is the task after it (one-time
    codes' hashes left out), ``from_state`` the state before (none on create), ``rider`` the
    assignee's name."""

    name: str
    task: Task
    from_state: TaskState | None = None
    reason: str | None = None
    step_id: str | None = None
    rider: str | None = None

    @classmethod
    def kind(cls) -> str:
        """The type's last token, as the task's own trail and the audit log name it."""
        return cls.type.removeprefix("task.")


@dataclass(frozen=True)
class TaskCreated(TaskEvent):
    """A task was created. A return, exchange or re-attempt names its forward task in
    `task.origin_task_id` and says why in `task.purpose`; the forward task's trail gets
    `return_created` (or `exchange_created`, `linked_task_created`)."""

    type = "task.created"


@dataclass(frozen=True)
class TaskUpdated(TaskEvent):
    """A task was edited (UpdateTask): ``changed`` names the fields that changed
    (``priority``, ``steps[1].location``), ``task`` is the task after the edit."""

    type = "task.updated"

    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskAssigned(TaskEvent):
    """A task was assigned to a rider (a dispatcher's choice, or an accepted offer)."""

    type = "task.assigned"


@dataclass(frozen=True)
class TaskEnRoute(TaskEvent):
    """The assigned rider started the task."""

    type = "task.en_route"


@dataclass(frozen=True)
class TaskArrived(TaskEvent):
    """The rider arrived at a step (``step_id``)."""

    type = "task.arrived"


@dataclass(frozen=True)
class CurbsideArrival:
    """Where the rider waits at a curbside pickup."""

    outlet_id: str | None
    latitude: float
    longitude: float
    address: str | None
    ready: bool


@dataclass(frozen=True)
class TaskRiderArrived(TaskEvent):
    """The rider arrived at a curbside pickup (``step_id``): the outlet brings the order out.
    ``curbside`` says where to: the step's outlet and place; ``ready`` whether the order was
    already marked ready."""

    type = "task.rider_arrived"

    curbside: CurbsideArrival | None = None


@dataclass(frozen=True)
class TaskReady(TaskEvent):
    """The upstream (a POS or kitchen) said the order is ready (MarkTaskReady)."""

    type = "task.ready"


@dataclass(frozen=True)
class TaskStepCompleted(TaskEvent):
    """A step was completed with its proofs, and the task goes on."""

    type = "task.step_completed"


@dataclass(frozen=True)
class TaskCompleted(TaskEvent):
    """The last step was completed: the task is done."""

    type = "task.completed"


@dataclass(frozen=True)
class TaskCompletionFlagged(TaskEvent):
    """A rider arrived at or completed a step (``step_id``; ``action``: `arrive` or
    `complete`) away from its location, or with no position to check where the tenant's
    completion policy flags that: ``check`` holds the verdict, the position judged, its
    source and accuracy, the distance and the allowed radius; ``reason`` says it in words."""

    type = "task.completion_flagged"

    action: str = ""
    check: PresenceCheck | None = None


@dataclass(frozen=True)
class TaskFailed(TaskEvent):
    """The task failed (``reason``)."""

    type = "task.failed"


@dataclass(frozen=True)
class TaskCancelled(TaskEvent):
    """The task was cancelled."""

    type = "task.cancelled"


@dataclass(frozen=True)
class TaskSlaAtRisk(TaskEvent):
    """A deadline is near (``reason``: which one)."""

    type = "task.sla_at_risk"


@dataclass(frozen=True)
class TaskSlaBreached(TaskEvent):
    """A deadline passed (``reason``: which one)."""

    type = "task.sla_breached"


@dataclass(frozen=True)
class TaskDelayed(TaskEvent):
    """The task's predicted arrival at its next step passed the deadline that applies there,
    before the deadline itself (``reason``: which one and by how much); once per crossing, again
    only after the prediction recovered. ``arrival`` is the new ETA (its time, travel seconds,
    source), ``deadline`` the deadline."""

    type = "task.delayed"

    arrival: Eta | None = None
    deadline: datetime | None = None


@dataclass(frozen=True)
class TaskManualDispatch(TaskEvent):
    """The task went back to the dispatchers (unassigned if it was assigned)."""

    type = "task.manual_dispatch"


@dataclass(frozen=True)
class TaskDispatchWidened(TaskEvent):
    """Automatic dispatch searched a wider radius (``reason``); the task itself is unchanged."""

    type = "task.dispatch_widened"


@dataclass(frozen=True)
class RouteCompleted(Event):
    """Every task of a route ended, at least one completed."""

    type = "route.completed"

    name: str
    rider_id: str
    vehicle_id: str
    stops: int
    distance_m: float
