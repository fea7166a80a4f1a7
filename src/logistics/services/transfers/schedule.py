"""Making a transfer's work: a place on the earliest shuttle run that fits it (its route, its
times, its room), else a TRANSFER task of its own. Runs inside the caller's unit of work."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from logistics.domain.caller import Caller
from logistics.domain.routes import RouteTemplate
from logistics.domain.tasks import Task, TaskState
from logistics.domain.transfers import (
    Load,
    ShuttleRun,
    Transfer,
    TransferState,
    earliest,
    fits,
    runs_for,
)
from logistics.services.routes.templates import template_from_row
from logistics.services.transfers.tasks import add_task, own_task, set_items, shuttle_task
from logistics.store.unit_of_work import UnitOfWork

# A run's SHUTTLE task takes more transfers until its rider starts it.
JOINABLE = frozenset({TaskState.CREATED, TaskState.ASSIGNED})


async def schedule(caller: Caller, uow: UnitOfWork, t: Transfer, now: datetime) -> Transfer:
    """The transfer with its work made (SCHEDULED, ``task_id`` and its steps set), not yet
    saved: on the earliest fitting shuttle run, else its own TRANSFER task."""
    templates = await _templates(uow)
    runs = [r for tpl, ref in templates for r in runs_for(tpl, ref, t, now)]
    by_id = {tpl.id: tpl for tpl, _ in templates}
    for run in earliest(runs):
        joined = await _join(caller, uow, by_id[run.template_id], run, t, now)
        if joined is not None:
            return joined
    task = await add_task(caller, uow, own_task(uow.tenant, t), now)
    return dataclasses.replace(
        t,
        state=TransferState.SCHEDULED,
        task_id=task.id,
        pickup_step_id="0",
        drop_off_step_id="1",
        template_id=None,
        run_date=None,
    )


async def _join(
    caller: Caller,
    uow: UnitOfWork,
    template: RouteTemplate,
    run: ShuttleRun,
    t: Transfer,
    now: datetime,
) -> Transfer | None:
    """Puts the transfer on the run's SHUTTLE task (made now for the run's first transfer)
    when it has room and has not started; None otherwise. Transfers joining one run at once
    queue on the lock of its SHUTTLE task's row, so each sees the load of those before it;
    the first ones, before that task exists, on a lock of the run, taken only then (so a task
    change rescheduling off a run, its task's row locked, never waits for it)."""
    task_id = await uow.transfers.run_task(run.template_id, run.run_date)
    if task_id is None:
        await uow.lock("shuttle_run", f"{run.template_id}:{run.run_date.isoformat()}")
        task_id = await uow.transfers.run_task(run.template_id, run.run_date)
    if task_id is None:
        if not fits(run, Load(), t.items):
            return None
        task: Task = await add_task(caller, uow, shuttle_task(template, run, t.items), now)
        await uow.transfers.add_run(run.template_id, run.run_date, task.id)
    else:
        found = await uow.tasks.get(task_id, for_update=True)
        if found is None or found.state not in JOINABLE:
            return None
        if not fits(run, Load.of(found.items), t.items):
            return None
        reason = f"transfer {t.id} joined the run"
        task = await set_items(caller, uow, found, (*found.items, *t.items), reason)
    return dataclasses.replace(
        t,
        state=TransferState.SCHEDULED,
        task_id=task.id,
        pickup_step_id=str(run.pickup_stop),
        drop_off_step_id=str(run.drop_stop),
        template_id=run.template_id,
        run_date=run.run_date,
    )


async def _templates(uow: UnitOfWork) -> list[tuple[RouteTemplate, date]]:
    """The tenant's route templates with the day their windows are written for."""
    return [(template_from_row(r), r["reference_date"]) for r in await uow.transfers.templates()]
