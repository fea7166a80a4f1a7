"""A task's SLA deadlines: the timers set when it is created and cleared when it ends, what
happens when one fires (at risk: an alert; breached: an event and the policy's action), and
handing a task back to the dispatchers; and the tenant's SLA policy."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from logistics.domain import tasks as machine
from logistics.domain.caller import Caller
from logistics.domain.errors import InvalidArgument
from logistics.domain.events import TaskManualDispatch, TaskSlaAtRisk, TaskSlaBreached
from logistics.domain.ids import TenantSlug
from logistics.domain.names import SLA_POLICY, TASKS
from logistics.domain.task_records import SlaPolicy
from logistics.domain.tasks import Task, TaskState
from logistics.domain.timers import DueTimer
from logistics.services import crud
from logistics.services.tasks.rider_news import RiderNews
from logistics.services.tasks.trail import record_system
from logistics.store.unit_of_work import Store, UnitOfWork

SLA_TIMERS = (
    "task.pickup_at_risk",
    "task.pickup_breached",
    "task.delivery_at_risk",
    "task.delivery_breached",
)
# The predicted-arrival check of a task under way (``services.tasks.delays``).
DELAY_CHECK = "task.eta_check"


def sla_timers(task: Task, now: datetime, policy: SlaPolicy) -> list[tuple[str, datetime | None]]:
    """The task's SLA timers as (kind, due time; None: no such timer)."""
    timers: list[tuple[str, datetime | None]] = []
    for prefix, deadline in (
        ("task.pickup", task.pickup_deadline),
        ("task.delivery", task.delivery_deadline),
    ):
        at_risk = None
        if deadline is not None and deadline > now and policy.at_risk_before:
            # Created already inside the warning window: the alert is due at once.
            at_risk = max(deadline - policy.at_risk_before, now)
        timers += [(f"{prefix}_at_risk", at_risk), (f"{prefix}_breached", deadline)]
    return timers


async def set_sla_timers(uow: UnitOfWork, task: Task, now: datetime) -> None:
    policy = await uow.sla_policy.get()
    for kind, due in sla_timers(task, now, policy):
        await uow.timers.set(kind, task.id, due)


async def clear_sla_timers(uow: UnitOfWork, task: Task) -> None:
    for kind in (*SLA_TIMERS, DELAY_CHECK):
        await uow.timers.set(kind, task.id, None)


async def unassign_for_manual_dispatch(
    uow: UnitOfWork, task: Task, reason: str, news: RiderNews | None = None
) -> Task:
    """SLA escalation: a task not yet started goes back to the dispatchers; the rider it is
    taken from is told on its stream once the change has committed."""
    if task.state is TaskState.ASSIGNED:
        changed = machine.unassign(task, manual_dispatch=True)
    elif task.state is TaskState.CREATED:
        changed = dataclasses.replace(task, manual_dispatch=True)
    else:
        return task
    saved = await uow.tasks.save(changed)
    await record_system(uow, task, saved, TaskManualDispatch, reason)
    if news is not None and task.rider_id is not None:
        name = TASKS.resource(uow.tenant, task.id)
        uow.after_commit(lambda: news.moved(None, name, task, saved))
    return saved


async def handle_sla_timer(uow: UnitOfWork, timer: DueTimer, news: RiderNews | None = None) -> None:
    """Fired by the worker: at risk (an alert) or breached (an event and the policy's
    action). Nothing happens for a task that has ended or whose pickup is done."""
    task = await uow.tasks.get(timer.subject_id, for_update=True)
    if task is None or task.state in machine.TERMINAL:
        return
    if timer.kind.startswith("task.pickup") and task.pickup_done():
        return
    breached = timer.kind.endswith("_breached")
    which = "pickup" if timer.kind.startswith("task.pickup") else "delivery"
    level = machine.SlaState.BREACHED if breached else machine.SlaState.AT_RISK
    if task.sla_state is machine.SlaState.BREACHED and not breached:
        return
    saved = await uow.tasks.save(dataclasses.replace(task, sla_state=level))
    event = TaskSlaBreached if breached else TaskSlaAtRisk
    await record_system(uow, task, saved, event, f"{which} deadline")
    if breached and (await uow.sla_policy.get()).breach_action == "manual_dispatch":
        await unassign_for_manual_dispatch(uow, saved, f"{which} deadline breached", news)


def _check_policy(policy: SlaPolicy) -> None:
    if policy.at_risk_before.total_seconds() < 0 or policy.at_risk_before.days > 7:
        raise InvalidArgument.field("policy.at_risk_before", "must be between 0 and 7 days")


_POLICY: crud.Policy[SlaPolicy, SlaPolicy] = crud.Policy(
    SLA_POLICY, "sla_policy", lambda uow: uow.sla_policy
)


async def get_policy(store: Store, caller: Caller, tenant: TenantSlug) -> SlaPolicy:
    return await _POLICY.get(store, caller, tenant)


async def update_policy(
    store: Store, caller: Caller, tenant: TenantSlug, policy: SlaPolicy, etag: str | None
) -> SlaPolicy:
    return await _POLICY.replace(store, caller, tenant, policy, etag, validate=_check_policy)
