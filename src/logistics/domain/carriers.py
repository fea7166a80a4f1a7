"""Carrier jobs: the statuses every carrier adapter maps its own onto, the order a job moves
through them, and how each one moves the task a carrier carries through the task's one state
machine. Pure.

A job's statuses only go forward: a status at or behind the job's current one (a duplicate,
or a callback overtaken by a later one) is kept in the job's history and changes nothing, and
a status that skips ahead (``DELIVERED`` while the task is still ``ASSIGNED``) moves the task
through every step between, in order, so the task's trail reads as if each callback had come.

A carrier carries a task of one pickup then one drop-off (``require_carriable``). Its statuses
map onto the task as milestones::

    PENDING, COURIER_ASSIGNED            task ASSIGNED (to the carrier: no rider)
    EN_ROUTE_TO_PICKUP                   start            -> EN_ROUTE
    AT_PICKUP                            arrive(pickup)   -> ARRIVED
    PICKED_UP, EN_ROUTE_TO_DROP_OFF      complete(pickup) -> EN_ROUTE
    AT_DROP_OFF                          arrive(drop-off) -> ARRIVED
    DELIVERED                            complete(drop-off) -> COMPLETED
    FAILED                               fail             -> FAILED
    CANCELLED (by the carrier)           before pickup: back to dispatch (CREATED, manual);
                                         after it: fail   -> FAILED

A step the carrier completes counts as proven by the carrier's word: the proofs the step
requires are taken as given (the carrier's own proof is stored beside the job).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime

from logistics.domain import tasks as machine
from logistics.domain.addresses import require_located
from logistics.domain.errors import FailedPrecondition
from logistics.domain.tasks import Action, StepKind, Task, TaskState

__all__ = [
    "TERMINAL_STATUSES",
    "CarrierStatus",
    "Move",
    "follow",
    "hand_to_carrier",
    "is_ahead",
    "milestone",
    "require_carriable",
]


class CarrierStatus(enum.StrEnum):
    """Where a carrier says its job is; every adapter maps its carrier's statuses onto these."""

    PENDING = "pending"  # booked, no courier yet
    COURIER_ASSIGNED = "courier_assigned"
    EN_ROUTE_TO_PICKUP = "en_route_to_pickup"
    AT_PICKUP = "at_pickup"
    PICKED_UP = "picked_up"
    EN_ROUTE_TO_DROP_OFF = "en_route_to_drop_off"
    AT_DROP_OFF = "at_drop_off"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset(
    {CarrierStatus.DELIVERED, CarrierStatus.FAILED, CarrierStatus.CANCELLED}
)

_ORDER = {status: rank for rank, status in enumerate(CarrierStatus)}

# How far each status takes the task (see ``milestone``); FAILED and CANCELLED end it instead.
_MILESTONE = {
    CarrierStatus.PENDING: 0,
    CarrierStatus.COURIER_ASSIGNED: 0,
    CarrierStatus.EN_ROUTE_TO_PICKUP: 1,
    CarrierStatus.AT_PICKUP: 2,
    CarrierStatus.PICKED_UP: 3,
    CarrierStatus.EN_ROUTE_TO_DROP_OFF: 3,
    CarrierStatus.AT_DROP_OFF: 4,
    CarrierStatus.DELIVERED: 5,
}


def is_ahead(current: CarrierStatus, incoming: CarrierStatus) -> bool:
    """Whether ``incoming`` moves a job that is at ``current``: never once the job ended; an
    end (delivered, failed, cancelled) from any status that has not; otherwise only forward."""
    if current in TERMINAL_STATUSES:
        return False
    if incoming in (CarrierStatus.FAILED, CarrierStatus.CANCELLED):
        return True
    return _ORDER[incoming] > _ORDER[current]


def require_carriable(task: Task) -> None:
    """Raises FailedPrecondition unless a carrier can take ``task``: not started, not ended,
    and one pickup then one drop-off."""
    kinds = [s.kind for s in task.steps]
    if kinds != [StepKind.PICKUP, StepKind.DROP_OFF]:
        raise FailedPrecondition(
            "a carrier takes a task of one pickup then one drop-off", reason="NOT_CARRIABLE"
        )
    if task.state is not TaskState.CREATED:
        raise FailedPrecondition(
            f"only a task waiting for dispatch goes to a carrier; this one is {task.state.value}",
            reason="ILLEGAL_TRANSITION",
        )


def hand_to_carrier(task: Task) -> Task:
    """The task assigned to a carrier: ASSIGNED with no rider, out of manual dispatch."""
    require_carriable(task)
    machine.require_allowed(task, Action.ASSIGN)
    require_located(task)
    return dataclasses.replace(task, state=TaskState.ASSIGNED, rider_id=None, manual_dispatch=False)


def milestone(task: Task) -> int | None:
    """How far a carried task has come: 0 assigned, 1 on the way to the pickup, 2 at the
    pickup, 3 picked up, 4 at the drop-off, 5 delivered; None once it ended otherwise or
    when it is not with a carrier (waiting for dispatch)."""
    state, at_drop_off = task.state, task.current_step >= 1
    if state is TaskState.ASSIGNED:
        return 0
    if state is TaskState.EN_ROUTE:
        return 3 if at_drop_off else 1
    if state is TaskState.ARRIVED:
        return 4 if at_drop_off else 2
    if state is TaskState.COMPLETED:
        return 5
    return None


@dataclass(frozen=True)
class Move:
    """One transition of the task: the action, the task after it, and the step it was at."""

    action: Action
    after: Task
    step_id: str | None = None


def follow(task: Task, status: CarrierStatus, at: datetime) -> tuple[Move, ...]:
    """The task's transitions, in order, that bring it to where ``status`` says the carrier
    is; none when it is there already, when ``status`` is behind it, or when the task is no
    longer the carrier's to move (ended, or back with the dispatchers)."""
    reached = milestone(task)
    if reached is None or task.state in machine.TERMINAL:
        return ()
    if status is CarrierStatus.FAILED:
        return (Move(Action.FAIL, machine.fail(task), task.step.id),)
    if status is CarrierStatus.CANCELLED:
        if reached == 0:
            back = machine.unassign(task, manual_dispatch=True)
            return (Move(Action.UNASSIGN, back),)
        return (Move(Action.FAIL, machine.fail(task), task.step.id),)
    moves: list[Move] = []
    current = task
    for step in range(reached + 1, _MILESTONE[status] + 1):
        move = _advance(current, step, at)
        moves.append(move)
        current = move.after
    return tuple(moves)


def _advance(task: Task, step: int, at: datetime) -> Move:
    current = task.step
    if step == 1:
        return Move(Action.START, machine.start(task))
    if step in (2, 4):
        return Move(Action.ARRIVE, machine.arrive(task, current.id, at), current.id)
    done = machine.complete_step(task, current.id, current.required_proofs, at)
    return Move(Action.COMPLETE_STEP, done, current.id)
