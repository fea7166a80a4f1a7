"""The failed-delivery flow's actions: each one's effect (a leg created, a leg cancelled)
done in the flow's unit of work, returning the task it made or acted on and what it did in
words. The engine records the step with the effect, so neither happens without the other."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain import failed_delivery as fd
from logistics.domain import tasks as machine
from logistics.domain.caller import Caller, Scope
from logistics.domain.events import TaskCancelled, TaskCreated
from logistics.domain.flows import Act, Flow
from logistics.domain.names import FLOWS, TASKS
from logistics.domain.tasks import TERMINAL, Task
from logistics.services.tasks.origins import record_links
from logistics.services.tasks.sla import clear_sla_timers, set_sla_timers
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import UnitOfWork

Done = tuple[uuid.UUID | None, str]


def _system(uow: UnitOfWork) -> Caller:
    return Caller(uow.tenant, "system", frozenset({Scope.ADMIN, Scope.DISPATCH}))


async def _load(uow: UnitOfWork, task_id: uuid.UUID | None) -> Task:
    if task_id is None:
        raise ValueError("a failed-delivery action needs its task")
    return await uow.load(uow.tasks, TASKS, task_id)


async def _create(uow: UnitOfWork, task: Task, now: datetime) -> Task:
    """A leg of the flow, created as ``CreateTask`` creates one (trail, event, SLA timers)."""
    machine.validate_task(task)
    created = await uow.tasks.add(task)
    assert task.flow_id is not None
    created = await uow.tasks.join_flow(created, task.flow_id, task.attempt)
    await record(_system(uow), uow, None, created, TaskCreated, reason="flow")
    await record_links(_system(uow), uow, [created])
    await set_sla_timers(uow, created, now)
    return created


async def take_over(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    failed = await _load(uow, act.target)
    reason = flow.context.get("reason", "other")
    return failed.id, f"the failed drop-off ({reason}) is the flow's to resolve"


async def open_reattempt(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    failed = await _load(uow, act.target)
    leg = await _create(uow, fd.reattempt_of(failed, uuid.uuid4(), flow.id, now), now)
    total = flow.context.get("max_attempts", 1)
    return leg.id, f"attempt {leg.attempt} of {total}: {TASKS.name(uow.tenant, leg.id)}"


async def open_return(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    failed = await _load(uow, act.target)
    origin = await _load(uow, flow.task_id)
    action = fd.FailAction(flow.context.get("action", fd.FailAction.RETURN_TO_ORIGIN))
    if failed.id != origin.id:  # after re-attempts: the fallback decides where
        action = fd.FailAction(flow.context.get("fallback", fd.FailAction.RETURN_TO_ORIGIN))
    hub = fd.destination(flow, action)
    leg = await _create(uow, fd.return_of(failed, origin, uuid.uuid4(), flow.id, hub), now)
    where = "the hub" if hub is not None else "origin"
    return leg.id, f"return to {where}: {TASKS.name(uow.tenant, leg.id)}"


async def leg_ended(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    leg = await _load(uow, act.target)
    return leg.id, f"{TASKS.name(uow.tenant, leg.id)} {leg.state.value}"


async def cancel_leg(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    leg = await uow.load_for_update(uow.tasks, TASKS, _target(act))
    if leg.state in TERMINAL:
        return leg.id, f"nothing to cancel: {TASKS.name(uow.tenant, leg.id)} is {leg.state.value}"
    cancelled = await uow.tasks.save(machine.cancel(leg))
    reason = f"compensation of {FLOWS.name(uow.tenant, flow.id)}"
    await record(_system(uow), uow, leg, cancelled, TaskCancelled, reason=reason)
    await clear_sla_timers(uow, cancelled)
    return leg.id, f"cancelled {TASKS.name(uow.tenant, leg.id)}"


async def return_goods(uow: UnitOfWork, flow: Flow, act: Act, now: datetime) -> Done:
    if not fd.owes_return(flow):
        return None, "the goods were on their way back already"
    origin = await _load(uow, flow.task_id)
    leg = await _create(uow, fd.return_of(origin, origin, uuid.uuid4(), flow.id, None), now)
    return leg.id, f"goods returned to origin: {TASKS.name(uow.tenant, leg.id)}"


def _target(act: Act) -> uuid.UUID:
    if act.target is None:
        raise ValueError(f"{act.name} needs its task")
    return act.target


ACTIONS = {
    fd.TAKE_OVER: take_over,
    fd.OPEN_REATTEMPT: open_reattempt,
    fd.OPEN_RETURN: open_return,
    fd.LEG_DONE: leg_ended,
    fd.LEG_FAILED: leg_ended,
    fd.CANCEL_LEG: cancel_leg,
    fd.RETURN_GOODS: return_goods,
}
