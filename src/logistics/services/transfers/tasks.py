"""The tasks a transfer's work is made of, written inside the caller's unit of work with
their trail, audit rows, events and SLA timers: a TRANSFER task of its own, a shuttle run's
SHUTTLE task (its lines added and taken off), a RETURN task bringing goods back, and a task
cancelled because its transfers were withdrawn."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

from logistics.domain import tasks as machine
from logistics.domain.caller import Caller
from logistics.domain.compliance import Window
from logistics.domain.events import TaskAssigned, TaskCancelled, TaskCreated, TaskUpdated
from logistics.domain.ids import TenantSlug
from logistics.domain.names import TRANSFERS
from logistics.domain.returns import TaskPurpose
from logistics.domain.routes import RouteTemplate
from logistics.domain.tasks import Item, Step, StepKind, Task, TaskKind
from logistics.domain.transfers import ShuttleRun, Transfer
from logistics.services.tasks.origins import record_links
from logistics.services.tasks.sla import clear_sla_timers, set_sla_timers
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import UnitOfWork


async def add_task(caller: Caller, uow: UnitOfWork, task: Task, now: datetime) -> Task:
    """Stores a new task as CreateTask does (``task.created``, SLA timers, and on the trail
    of the task it names as its origin, ``return_created``)."""
    machine.validate_task(task)
    created = await uow.tasks.add(task)
    await record(caller, uow, None, created, TaskCreated)
    await record_links(caller, uow, [created])
    await set_sla_timers(uow, created, now)
    return created


def own_task(tenant: TenantSlug, t: Transfer) -> Task:
    """A TRANSFER task: pickup at the source, ready at the ready time; drop-off at the
    destination by the deadline."""
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.TRANSFER,
        purpose=TaskPurpose.TRANSFER,
        order_id=t.reference,
        outlet_id=t.source_outlet_id,
        items=t.items,
        ready_time=t.ready_time,
        delivery_deadline=t.deadline,
        notes=t.notes,
        metadata={"transfer": TRANSFERS.name(tenant, t.id)},
        steps=(
            Step("0", StepKind.PICKUP, *t.source, outlet_id=t.source_outlet_id),
            Step("1", StepKind.DROP_OFF, *t.destination, outlet_id=t.destination_outlet_id),
        ),
    )


def shuttle_task(template: RouteTemplate, run: ShuttleRun, items: tuple[Item, ...]) -> Task:
    """A run's SHUTTLE task: a step at each of the template's stops, in order, with the
    stop's window on the run's day (the first a pickup, the last a drop-off, the others
    hubs, where goods are loaded and unloaded alike)."""
    shift = run.pickup_window.start - _window_of(template, run.pickup_stop).start
    stops = template.request.stops
    steps = []
    for i, stop in enumerate(stops):
        kind = StepKind.PICKUP if i == 0 else StepKind.HUB
        if i == len(stops) - 1:
            kind = StepKind.DROP_OFF
        window = None
        if stop.window is not None:
            window = Window(stop.window.start + shift, stop.window.end + shift)
        steps.append(
            Step(
                str(i),
                kind,
                *stop.point,
                window=window,
                service_seconds=stop.service_seconds,
            )
        )
    ends = [s.window.end for s in steps if s.window is not None]
    starts = [s.window.start for s in steps if s.window is not None]
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.SHUTTLE,
        purpose=TaskPurpose.TRANSFER,
        items=items,
        ready_time=min(starts),
        delivery_deadline=max(ends),
        notes=f"Shuttle run of {template.name} on {run.run_date.isoformat()}",
        metadata={"route_template": template.name, "run_date": run.run_date.isoformat()},
        steps=tuple(steps),
    )


def _window_of(template: RouteTemplate, stop: int) -> Window:
    window = template.request.stops[stop].window
    assert window is not None
    return window


def return_task(
    t: Transfer, tenant: TenantSlug, carrier: Task, from_point: tuple[float, float] | None
) -> Task:
    """A RETURN task to the source, linked to the task that carried the goods (its
    ``origin_task``): a drop-off there only (the rider holds the goods), or, given
    ``from_point``, a pickup there first (where a shuttle unloads them)."""
    steps: list[Step] = []
    if from_point is not None:
        steps.append(Step("0", StepKind.PICKUP, *from_point))
    steps.append(Step(str(len(steps)), StepKind.DROP_OFF, *t.source, outlet_id=t.source_outlet_id))
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.RETURN,
        origin_task_id=carrier.id,
        order_id=t.reference,
        outlet_id=t.source_outlet_id,
        items=t.items,
        notes=f"Goods of {TRANSFERS.name(tenant, t.id)} back to {t.source_outlet_id}",
        metadata={"transfer": TRANSFERS.name(tenant, t.id)},
        steps=tuple(steps),
    )


async def assign_to(
    caller: Caller, uow: UnitOfWork, task: Task, rider_id: uuid.UUID, reason: str
) -> Task:
    """Assigns a new task to the rider holding its goods, whatever the rider's load."""
    saved = await uow.tasks.save(machine.assign(task, rider_id))
    await record(caller, uow, task, saved, TaskAssigned, reason=reason)
    return saved


async def cancel_task(caller: Caller, uow: UnitOfWork, task: Task, reason: str) -> Task:
    """Cancels a task (locked by the caller) that has not ended; an ended one stays."""
    if task.state in machine.TERMINAL:
        return task
    saved = await uow.tasks.save(machine.cancel(task))
    await record(caller, uow, task, saved, TaskCancelled, reason=reason)
    await clear_sla_timers(uow, saved)
    return saved


async def set_items(
    caller: Caller, uow: UnitOfWork, task: Task, items: tuple[Item, ...], reason: str
) -> Task:
    """A shuttle's load changed: its items replaced, ``task.updated`` naming ``items``."""
    saved = await uow.tasks.save(dataclasses.replace(task, items=items))
    await record(
        caller, uow, task, saved, TaskUpdated, reason=reason, extra={"changed": ("items",)}
    )
    return saved


def without(items: Sequence[Item], taken: Sequence[Item]) -> tuple[Item, ...]:
    """``items`` less one of each of ``taken`` (a transfer's lines off a shuttle)."""
    left = list(items)
    for item in taken:
        if item in left:
            left.remove(item)
    return tuple(left)
