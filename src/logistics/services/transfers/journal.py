"""A transfer as a durable flow (docs/flows.md): a TRANSFER flow starts with the transfer and
journals each step it takes, with the step's effect, in the same transaction: ``schedule``
(the carrying task made: a task of its own or a shuttle run), ``pick_up``, ``count_in``
(COMPLETED), and the compensations ``cancel_leg`` (undoes ``schedule``: COMPENSATED) and
``return_goods`` (undoes ``pick_up``: COMPENSATING until ``goods_returned``). The flow waits
on no task: transfers follow their tasks step by step (``follow``), so the engine's own
decisions on a task's end leave it alone. ``GetFlow`` and the trails of the tasks it acted
on (``flow_step`` entries) show it."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain import flows
from logistics.domain.events import (
    FlowCompensated,
    FlowCompensating,
    FlowCompleted,
    FlowEvent,
    FlowStarted,
)
from logistics.domain.flows import Act, Flow, FlowKind, FlowState
from logistics.domain.names import TRANSFERS
from logistics.domain.transfers import Transfer
from logistics.services.flows.record import record_flow, record_step
from logistics.store.unit_of_work import UnitOfWork

SCHEDULE = "schedule"
PICK_UP = "pick_up"
COUNT_IN = "count_in"
CANCEL_LEG = "cancel_leg"
RETURN_GOODS = "return_goods"
GOODS_RETURNED = "goods_returned"

_ENDS: dict[FlowState, type[FlowEvent]] = {
    FlowState.COMPLETED: FlowCompleted,
    FlowState.COMPENSATING: FlowCompensating,
    FlowState.COMPENSATED: FlowCompensated,
}


async def start(uow: UnitOfWork, t: Transfer, detail: str, now: datetime) -> uuid.UUID:
    """The transfer's flow, started on its carrying task, with its ``schedule`` step."""
    assert t.task_id is not None
    flow = flows.start(
        uuid.uuid4(), FlowKind.TRANSFER, t.task_id, {"transfer": TRANSFERS.name(uow.tenant, t.id)}
    )
    stored = await uow.flows.add(flow)
    await record_flow(uow, stored, FlowStarted, "flow.started")
    await _took(uow, stored, Act(SCHEDULE, target=t.task_id), t.task_id, detail, None, now)
    return stored.id


async def step(
    uow: UnitOfWork,
    flow_id: uuid.UUID | None,
    name: str,
    task_id: uuid.UUID | None,
    detail: str,
    now: datetime,
    *,
    undoes: str | None = None,
    state: FlowState | None = None,
) -> None:
    """Journals one step of the transfer's flow (locked); ``undoes``: the forward step (its
    latest) this compensates; ``state``: where the flow is after it. A transfer made before
    flows has none: nothing to journal."""
    if flow_id is None:
        return
    flow = await uow.flows.get(flow_id, for_update=True)
    if flow is None or flow.state in flows.FLOW_TERMINAL:
        return
    compensates = None
    if undoes is not None:
        compensates = next((s.seq for s in reversed(flow.steps) if s.name == undoes), None)
    act = Act(name, target=task_id, compensates=compensates)
    await _took(uow, flow, act, task_id, detail, state, now)


async def _took(
    uow: UnitOfWork,
    flow: Flow,
    act: Act,
    task_id: uuid.UUID | None,
    detail: str,
    state: FlowState | None,
    now: datetime,
) -> None:
    current = flow
    if act.compensation and current.state is FlowState.RUNNING:
        current = flows.move(current, FlowState.COMPENSATING)
        if state is not FlowState.COMPENSATING:
            await record_flow(uow, current, FlowCompensating, "flow.compensating")
    current = flows.took(current, act, task_id, detail, now)
    await record_step(uow, current, current.steps[-1])
    if state is not None and state is not flow.state:
        current = flows.move(current, state)
        event = _ENDS[state]
        await record_flow(uow, current, event, event.type)
    await uow.flows.save(flow, current)


async def join(uow: UnitOfWork, flow_id: uuid.UUID | None, task_id: uuid.UUID | None) -> None:
    """A task made for the transfer alone (its TRANSFER task, its RETURN task) joins its flow:
    ``Task.flow`` names it, and the failed-delivery policy leaves the task to it. A shuttle's
    task is shared by several transfers and joins none."""
    if flow_id is None or task_id is None:
        return
    task = await uow.tasks.get(task_id)
    if task is not None:
        await uow.tasks.join_flow(task, flow_id, task.attempt)
