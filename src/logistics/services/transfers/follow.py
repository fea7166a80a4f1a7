"""How transfers follow the tasks that carry them, inside the task change's own unit of work
(so a transfer's event commits with the task change that caused it): a pickup completed
picks the goods up, a drop-off completed counts them in (DELIVERED or SHORT), a task failed
or cancelled before pickup reschedules or cancels the transfer, after pickup sends the goods
back; a RETURN task completed returns them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from logistics.domain.caller import Caller
from logistics.domain.clock import Clock
from logistics.domain.errors import InvalidArgument
from logistics.domain.events import (
    TransferCancelled,
    TransferDelivered,
    TransferEvent,
    TransferPickedUp,
    TransferRescheduled,
    TransferReturned,
    TransferReturning,
    TransferShort,
)
from logistics.domain.flows import FlowState
from logistics.domain.names import TASKS, TRANSFERS
from logistics.domain.tasks import StepState, Task, TaskKind, TaskState
from logistics.domain.transfers import ENDED, Line, Transfer, TransferState, count_in
from logistics.services.transfers import journal
from logistics.services.transfers.schedule import schedule
from logistics.services.transfers.tasks import add_task, assign_to, return_task
from logistics.store.unit_of_work import UnitOfWork

# Each change of a transfer is a step of its flow: (step, the forward step it undoes, the
# flow's state after it; None: as it is).
STEPS: dict[type[TransferEvent], tuple[str, str | None, FlowState | None]] = {
    TransferRescheduled: (journal.SCHEDULE, None, None),
    TransferPickedUp: (journal.PICK_UP, None, None),
    TransferDelivered: (journal.COUNT_IN, None, FlowState.COMPLETED),
    TransferShort: (journal.COUNT_IN, None, FlowState.COMPLETED),
    TransferCancelled: (journal.CANCEL_LEG, journal.SCHEDULE, FlowState.COMPENSATED),
    TransferReturning: (journal.RETURN_GOODS, journal.PICK_UP, FlowState.COMPENSATING),
    TransferReturned: (journal.GOODS_RETURNED, None, FlowState.COMPENSATED),
}


def scheduled_detail(t: Transfer) -> str:
    """What scheduling made, in words."""
    if t.template_id is not None and t.run_date is not None:
        day, steps = t.run_date.isoformat(), f"{t.pickup_step_id} to {t.drop_off_step_id}"
        return f"on the shuttle run of {day} (steps {steps})"
    return "a TRANSFER task of its own"


def _detail(event: type[TransferEvent], t: Transfer) -> str:
    if event is TransferShort:
        short = ", ".join(f"{x.sku} x{x.quantity}" for x in t.missing or ())
        return f"short at {t.destination_outlet_id}: {short}"
    words = {
        TransferRescheduled: f"rescheduled ({t.reason}): {scheduled_detail(t)}",
        TransferPickedUp: f"picked up at {t.source_outlet_id}",
        TransferDelivered: f"delivered in full at {t.destination_outlet_id}",
        TransferCancelled: f"work cancelled: {t.reason}",
        TransferReturning: f"goods going back to {t.source_outlet_id}: {t.reason}",
        TransferReturned: f"goods back at {t.source_outlet_id}",
    }
    return words.get(event, "")


async def record_change(
    caller: Caller,
    uow: UnitOfWork,
    before: Transfer,
    after: Transfer,
    event: type[TransferEvent],
    **extra: object,
) -> Transfer:
    """Saves the transfer, with its audit row, its event and the step of its flow, in the
    unit of work."""
    saved = await uow.transfers.save(after)
    await emit(caller, uow, before.state, saved, event, **extra)
    name, undoes, state = STEPS[event]
    returning = event in (TransferReturning, TransferReturned)
    task_id = saved.return_task_id if returning else saved.task_id
    now = saved.update_time or datetime.now(UTC)  # the transaction's time
    await journal.step(
        uow, saved.flow_id, name, task_id, _detail(event, saved), now, undoes=undoes, state=state
    )
    return saved


async def emit(
    caller: Caller,
    uow: UnitOfWork,
    from_state: TransferState | None,
    t: Transfer,
    event: type[TransferEvent],
    **extra: object,
) -> None:
    name = TRANSFERS.name(uow.tenant, t.id)
    await uow.record(
        caller.subject,
        event.type,
        name,
        after=t,
        event=event(
            name=name,
            transfer=t,
            from_state=from_state,
            task=TASKS.name(uow.tenant, t.task_id) if t.task_id else None,
            reason=t.reason,
            **extra,  # type: ignore[arg-type]
        ),
    )


async def send_back(
    caller: Caller,
    uow: UnitOfWork,
    t: Transfer,
    carrier: Task,
    reason: str,
    now: datetime,
    *,
    from_drop: bool,
) -> Transfer:
    """After pickup: a RETURN task brings the goods to the source. ``from_drop``: they ride
    on to the drop-off's place (a shuttle carrying others' goods) and are fetched there;
    else the carrying rider, who holds them, gets the task. Saves the transfer RETURNING."""
    point = None
    if from_drop:
        step = next(s for s in carrier.steps if s.id == t.drop_off_step_id)
        point = (step.latitude, step.longitude)
    back = await add_task(caller, uow, return_task(t, uow.tenant, carrier, point), now)
    await journal.join(uow, t.flow_id, back.id)
    if not from_drop and carrier.rider_id is not None:
        held = f"holds the goods of {TRANSFERS.name(uow.tenant, t.id)}"
        back = await assign_to(caller, uow, back, carrier.rider_id, held)
    after = dataclasses.replace(
        t, state=TransferState.RETURNING, return_task_id=back.id, reason=reason
    )
    return await record_change(caller, uow, t, after, TransferReturning)


class TransferFollower:
    """Called by ``TaskService`` after every transition it makes, in its unit of work."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def task_changed(
        self,
        caller: Caller,
        uow: UnitOfWork,
        before: Task,
        after: Task,
        received: Sequence[Line],
        reason: str | None = None,
    ) -> None:
        """``received``: the lines counted in at a completed step (``received_items``),
        refused unless the step drops off transfers."""
        done = _step_completed(before, after)
        carried = await uow.transfers.carried_by(after.id) if _may_carry(after) else []
        dropping: list[Transfer] = [
            t
            for t in carried
            if t.task_id == after.id
            and t.drop_off_step_id == done
            and t.state is TransferState.PICKED_UP
        ]
        if received and not dropping:
            raise InvalidArgument.field(
                "received_items", "the step drops off no transfer's goods: send none"
            )
        if dropping:
            await self._count_in(caller, uow, dropping, received)
        now = self._clock.now()
        for t in carried:
            if t.state in ENDED or t.id in {d.id for d in dropping}:
                continue
            if t.return_task_id == after.id:
                if after.state is TaskState.COMPLETED:
                    back = dataclasses.replace(t, state=TransferState.RETURNED)
                    await record_change(caller, uow, t, back, TransferReturned)
            elif t.task_id == after.id:
                await self._carried(caller, uow, t, after, done, reason, now)

    async def _count_in(
        self, caller: Caller, uow: UnitOfWork, dropping: list[Transfer], received: Sequence[Line]
    ) -> None:
        counts = count_in([t.items for t in dropping], received)
        for t, (got, missing) in zip(dropping, counts, strict=True):
            state = TransferState.SHORT if missing else TransferState.DELIVERED
            after = dataclasses.replace(t, state=state, received=got, missing=missing)
            if missing:
                await record_change(caller, uow, t, after, TransferShort, missing=missing)
            else:
                await record_change(caller, uow, t, after, TransferDelivered)

    async def _carried(
        self,
        caller: Caller,
        uow: UnitOfWork,
        t: Transfer,
        task: Task,
        done: str | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        if done is not None and done == t.pickup_step_id and t.state is TransferState.SCHEDULED:
            picked = dataclasses.replace(t, state=TransferState.PICKED_UP)
            await record_change(caller, uow, t, picked, TransferPickedUp)
            return
        if task.state is TaskState.FAILED:
            why = f"its task failed: {reason}" if reason else "its task failed"
            if t.state is TransferState.PICKED_UP:
                await send_back(caller, uow, t, task, why, now, from_drop=False)
            else:
                again = await schedule(caller, uow, dataclasses.replace(t, reason=why), now)
                if again.template_id is None:
                    await journal.join(uow, again.flow_id, again.task_id)
                await record_change(caller, uow, t, again, TransferRescheduled)
        elif task.state is TaskState.CANCELLED:
            why = f"its task was cancelled: {reason}" if reason else "its task was cancelled"
            if t.state is TransferState.PICKED_UP:
                await send_back(caller, uow, t, task, why, now, from_drop=False)
            else:
                gone = dataclasses.replace(t, state=TransferState.CANCELLED, reason=why)
                await record_change(caller, uow, t, gone, TransferCancelled)


def _may_carry(task: Task) -> bool:
    return task.kind in (TaskKind.TRANSFER, TaskKind.SHUTTLE, TaskKind.RETURN)


def _step_completed(before: Task, after: Task) -> str | None:
    """The step this change completed, if any."""
    for old, new in zip(before.steps, after.steps, strict=True):
        if old.state is not StepState.COMPLETED and new.state is StepState.COMPLETED:
            return new.id
    return None
