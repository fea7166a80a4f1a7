"""The flow engine: starts a flow, and advances it when a task it waits for ends (in the
unit of work of that task's change) or when its timer fires (in the timer's, re-driven after
a crash). Each step is recorded with its effect in one transaction, the flow's row locked,
so a step happens once however often a flow is driven.

Compensations run in reverse order of the steps they undo; a plan that compensates moves
the flow to COMPENSATING first (``flow.compensating``), then to its end state.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from logistics.domain import failed_delivery as fd
from logistics.domain import flows
from logistics.domain.clock import Clock
from logistics.domain.events import (
    FlowCompensated,
    FlowCompensating,
    FlowCompleted,
    FlowEvent,
    FlowFailed,
    FlowStarted,
)
from logistics.domain.flows import Act, Flow, FlowKind, FlowState, Plan
from logistics.domain.tasks import TERMINAL, Task
from logistics.domain.timers import DueTimer
from logistics.services.flows.legs import ACTIONS
from logistics.services.flows.record import record_flow, record_step
from logistics.store.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

# The timer that drives a flow outside a task's change (its first steps; a re-drive).
ADVANCE_TIMER = "flow.advance"

Action = Callable[[UnitOfWork, Flow, Act, datetime], Awaitable[tuple[uuid.UUID | None, str]]]

_END_EVENTS: Mapping[FlowState, type[FlowEvent]] = {
    FlowState.COMPLETED: FlowCompleted,
    FlowState.COMPENSATED: FlowCompensated,
    FlowState.FAILED: FlowFailed,
    FlowState.COMPENSATING: FlowCompensating,
}


class FlowEngine:
    def __init__(self, clock: Clock, actions: Mapping[str, Action] | None = None) -> None:
        """``actions``: how each act is done, by name (the failed-delivery flow's by
        default)."""
        self._clock = clock
        self._actions = dict(actions if actions is not None else ACTIONS)

    async def start_failed_delivery(
        self, uow: UnitOfWork, task: Task, reason: fd.FailReason, rule: fd.FailRule
    ) -> Task:
        """In the unit of work that failed ``task``'s drop-off: a failed-delivery flow, the
        task joined to it, ``flow.started``, and the timer that takes its first steps.
        Returns the task as it now is."""
        flow = flows.start(
            uuid.uuid4(), FlowKind.FAILED_DELIVERY, task.id, fd.context_of(reason, rule)
        )
        stored = await uow.flows.add(flow)
        joined = await uow.tasks.join_flow(task, stored.id, task.attempt)
        await record_flow(uow, stored, FlowStarted, "flow.started")
        await uow.timers.set(ADVANCE_TIMER, stored.id, self._clock.now())
        return joined

    async def delivery_failed(
        self, uow: UnitOfWork, task: Task, reason: fd.FailReason | None
    ) -> Task:
        """In FailTask's unit of work: a failed drop-off with a reason starts the flow the
        tenant's rule for it calls for (no reason: a dispatcher handles it, as before
        flows)."""
        if reason is None or not fd.applies(task):
            return task
        policy = await uow.failed_delivery_policy.get()
        rule = await _placed(uow, policy.rule(reason))
        return await self.start_failed_delivery(uow, task, reason, rule)

    async def task_changed(self, uow: UnitOfWork, before: Task | None, after: Task) -> None:
        """In the unit of work of a task's change: the flows waiting for it take their next
        steps once it has ended."""
        if after.state not in TERMINAL or (before is not None and before.state is after.state):
            return
        for flow in await uow.flows.waiting_on(after.id):
            await self._carry_out(uow, flow, _decide(flow, after))

    async def handle_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """A flow's timer: its first steps, or (after a crash, or a change missed) the
        steps the end of the task it waits for calls for."""
        flow = await uow.flows.get(timer.subject_id, for_update=True)
        if flow is None or flow.state in flows.FLOW_TERMINAL:
            return
        if not flow.steps:
            await self._carry_out(uow, flow, _start_plan(flow))
            return
        if flow.waiting_on is not None:
            leg = await uow.tasks.get(flow.waiting_on)
            if leg is not None and leg.state in TERMINAL:
                await self._carry_out(uow, flow, _decide(flow, leg))

    async def _carry_out(self, uow: UnitOfWork, flow: Flow, plan: Plan) -> Flow:
        """Takes ``plan``'s acts, records each step with its effect, moves the flow to the
        plan's state; one save of the flow's row (locked by the caller), its version
        checked."""
        if not plan.changes and plan.state is flow.state:
            return flow
        now = self._clock.now()
        current = flow
        if any(a.compensation for a in plan.acts) and current.state is FlowState.RUNNING:
            current = flows.move(current, FlowState.COMPENSATING)
            await record_flow(uow, current, FlowCompensating, "flow.compensating")
        for act in plan.acts:
            task_id, detail = await self._actions[act.name](uow, current, act, now)
            current = flows.took(current, act, task_id, detail, now)
            await record_step(uow, current, current.steps[-1])
        if plan.state is not current.state:
            current = flows.move(current, plan.state)
            event = _END_EVENTS[plan.state]
            await record_flow(uow, current, event, event.type)
        saved = await uow.flows.save(flow, current)
        if saved.state in flows.FLOW_TERMINAL:
            await uow.timers.set(ADVANCE_TIMER, saved.id, None)
        return saved


async def _placed(uow: UnitOfWork, rule: fd.FailRule) -> fd.FailRule:
    """The rule with its hub placed at its outlet's location when it names only the outlet
    (the policy's update checked it has one; an outlet since unplaced leaves the hub as it
    is, and the goods go back to origin)."""
    hub = rule.hub
    if hub is None or hub.latitude is not None or not hub.outlet_id:
        return rule
    outlet = await uow.outlets.get(hub.outlet_id)
    if outlet is None or outlet.latitude is None or outlet.longitude is None:
        return rule
    placed = fd.placed_hub(hub, outlet.latitude, outlet.longitude, outlet.address or None)
    return dataclasses.replace(rule, hub=placed)


def _start_plan(flow: Flow) -> Plan:
    return fd.on_start(flow)


def _decide(flow: Flow, leg: Task) -> Plan:
    return fd.on_leg_ended(flow, leg)
