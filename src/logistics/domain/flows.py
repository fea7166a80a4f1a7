"""Durable flows (sagas) over tasks: a flow's state, the steps it took and their
compensations, as pure values. Pure.

    RUNNING --(all done)--> COMPLETED
       |  \\--(a step cannot go on)--> FAILED
       +--(a leg withdrawn upstream)--> COMPENSATING --(compensations done)--> COMPENSATED

A flow is a journal: each step it took is a ``FlowStep`` (numbered from 1), recorded with the
step's effect in one transaction, so a flow replayed after a crash sees what it already did.
What a flow does next is decided by its kind (``domain.failed_delivery`` for the
failed-delivery policy) as a ``Plan``: the acts to take, in order, and the state after them.
Compensations undo the forward steps in reverse order, each once.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logistics.domain.errors import FailedPrecondition


class FlowState(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    FAILED = "failed"


FLOW_TERMINAL = frozenset({FlowState.COMPLETED, FlowState.COMPENSATED, FlowState.FAILED})

# Where each state may go.
_MOVES: Mapping[FlowState, frozenset[FlowState]] = {
    FlowState.RUNNING: frozenset(
        {FlowState.COMPLETED, FlowState.COMPENSATING, FlowState.FAILED, FlowState.RUNNING}
    ),
    FlowState.COMPENSATING: frozenset(
        {FlowState.COMPENSATED, FlowState.FAILED, FlowState.COMPENSATING}
    ),
    FlowState.COMPLETED: frozenset(),
    FlowState.COMPENSATED: frozenset(),
    FlowState.FAILED: frozenset(),
}


class FlowKind(enum.StrEnum):
    # A failed drop-off handled by the tenant's failed-delivery policy.
    FAILED_DELIVERY = "failed_delivery"
    # An inventory transfer (``domain.transfers``), journalled step by step as it follows its
    # tasks (``services.transfers.journal``).
    TRANSFER = "transfer"


@dataclass(frozen=True)
class FlowStep:
    """One step a flow took: ``name`` says what (``open_reattempt``), ``task_id`` the task it
    made or acted on, ``detail`` in words; a compensation names the step it undoes."""

    seq: int
    name: str
    compensation: bool = False
    compensates: int | None = None
    task_id: uuid.UUID | None = None
    detail: str = ""
    done_time: datetime | None = None


@dataclass(frozen=True)
class Flow:
    id: uuid.UUID
    kind: FlowKind
    # The task that started the flow (a failed delivery's task).
    task_id: uuid.UUID
    state: FlowState = FlowState.RUNNING
    # The task whose end the flow waits for (None: nothing, or it is done).
    waiting_on: uuid.UUID | None = None
    # The kind's parameters, fixed at the start (the policy's rule as it was then).
    context: Mapping[str, Any] = field(default_factory=dict)
    steps: tuple[FlowStep, ...] = ()
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0

    @property
    def tasks(self) -> tuple[uuid.UUID, ...]:
        """The tasks the flow owns: the one that started it, then those its steps made."""
        seen = [self.task_id]
        for step in self.steps:
            if step.task_id is not None and step.task_id not in seen:
                seen.append(step.task_id)
        return tuple(seen)


@dataclass(frozen=True)
class FlowFilter:
    """ListFlows' filters: the flows a task belongs to (or started), of a kind, in a state."""

    task_id: uuid.UUID | None = None
    kind: FlowKind | None = None
    state: FlowState | None = None


@dataclass(frozen=True)
class Act:
    """One step to take: ``name`` is the action (the engine knows how to do each);
    ``target``, the task it is about when the kind knows it; ``wait``: the task the action
    makes becomes the one the flow waits for; ``compensates``: the step a compensation
    undoes."""

    name: str
    target: uuid.UUID | None = None
    wait: bool = False
    compensates: int | None = None

    @property
    def compensation(self) -> bool:
        return self.compensates is not None


@dataclass(frozen=True)
class Plan:
    """What a flow does next: ``acts`` in order, then it is in ``state``."""

    acts: tuple[Act, ...]
    state: FlowState

    @property
    def changes(self) -> bool:
        return bool(self.acts)


def start(
    flow_id: uuid.UUID, kind: FlowKind, task_id: uuid.UUID, context: Mapping[str, Any]
) -> Flow:
    """A new flow, RUNNING, with no step taken yet."""
    return Flow(id=flow_id, kind=kind, task_id=task_id, context=dict(context))


def stay(flow: Flow) -> Plan:
    """Nothing to do."""
    return Plan((), flow.state)


def took(flow: Flow, act: Act, task_id: uuid.UUID | None, detail: str, at: datetime) -> Flow:
    """``flow`` after ``act`` was taken: its step recorded (the next seq), the task it made
    waited for when the act says so."""
    if flow.state in FLOW_TERMINAL:
        raise FailedPrecondition(f"the flow is {flow.state.value}", reason="FLOW_ENDED")
    step = FlowStep(
        seq=len(flow.steps) + 1,
        name=act.name,
        compensation=act.compensation,
        compensates=act.compensates,
        task_id=task_id,
        detail=detail,
        done_time=at,
    )
    waiting = task_id if act.wait else flow.waiting_on
    return dataclasses.replace(flow, steps=(*flow.steps, step), waiting_on=waiting)


def move(flow: Flow, state: FlowState) -> Flow:
    """``flow`` in ``state``; FAILED_PRECONDITION for a move its state does not allow. A
    flow that has ended waits for nothing."""
    if state not in _MOVES[flow.state]:
        raise FailedPrecondition(
            f"a {flow.state.value} flow cannot become {state.value}", reason="FLOW_ENDED"
        )
    waiting = None if state in FLOW_TERMINAL else flow.waiting_on
    return dataclasses.replace(flow, state=state, waiting_on=waiting)


def compensations(flow: Flow, undo: Callable[[FlowStep], str | None]) -> tuple[Act, ...]:
    """The compensations still owed, last forward step first: ``undo`` names each step's
    compensation (None: it has none); a step already compensated is left out."""
    done = {s.compensates for s in flow.steps if s.compensation}
    owed = []
    for step in reversed(flow.steps):
        if step.compensation or step.seq in done:
            continue
        name = undo(step)
        if name is not None:
            owed.append(Act(name, target=step.task_id, compensates=step.seq))
    return tuple(owed)
