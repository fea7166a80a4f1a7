"""Events of durable flows (sagas over tasks, ``domain.flows``)."""

from __future__ import annotations

from dataclasses import dataclass

from logistics.domain.events._base import Event
from logistics.domain.flows import Flow, FlowStep


@dataclass(frozen=True)
class FlowEvent(Event):
    """A flow changed: ``flow`` is the flow after the change, ``task`` the name of the task
    that started it."""

    name: str
    flow: Flow
    task: str


@dataclass(frozen=True)
class FlowStarted(FlowEvent):
    """A flow started (a failed drop-off under the tenant's failed-delivery policy)."""

    type = "flow.started"


@dataclass(frozen=True)
class FlowStepCompleted(FlowEvent):
    """A flow took a step (or a compensation): ``step`` says which, the task it made or
    acted on, and in words what it did. Each step happens once."""

    type = "flow.step_completed"

    step: FlowStep | None = None


@dataclass(frozen=True)
class FlowCompleted(FlowEvent):
    """A flow reached its end: the goods were delivered, returned or held."""

    type = "flow.completed"


@dataclass(frozen=True)
class FlowCompensating(FlowEvent):
    """A leg of a flow was withdrawn upstream: the flow undoes its steps, last first."""

    type = "flow.compensating"


@dataclass(frozen=True)
class FlowCompensated(FlowEvent):
    """Every compensation of a flow was done."""

    type = "flow.compensated"


@dataclass(frozen=True)
class FlowFailed(FlowEvent):
    """A flow cannot go on by itself (a return leg failed): a dispatcher takes over."""

    type = "flow.failed"
