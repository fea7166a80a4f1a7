"""What riders took, kept for the calibrated ETAs in the transaction of their action: the leg
at an arrival, the stop at a step's completion. Once per step (the table's key), so a replayed
action adds nothing."""

from __future__ import annotations

from logistics.domain.eta_observations import leg_to, stop_at
from logistics.domain.tasks import Task
from logistics.store.unit_of_work import UnitOfWork


async def record_leg(uow: UnitOfWork, task: Task, step_id: str) -> None:
    """The leg that ended with the arrival at ``step_id`` (``task`` as the arrival saved it):
    the first from where the task was started, the others from the previous step."""
    first = bool(task.steps) and task.steps[0].id == step_id
    start = await uow.eta_observations.leg_start(task.id) if first else None
    leg = leg_to(task, step_id, start)
    if leg is None:
        return
    vehicle = None
    if task.rider_id is not None:
        rider = await uow.riders.get(task.rider_id)
        vehicle = rider.vehicle_type.value if rider and rider.vehicle_type else None
    await uow.eta_observations.add_leg(task.id, leg, vehicle)


async def record_stop(uow: UnitOfWork, task: Task, step_id: str) -> None:
    """The time from arriving at ``step_id`` to completing it (``task`` as completed)."""
    stop = stop_at(task, step_id)
    if stop is not None:
        await uow.eta_observations.add_stop(task.id, stop)
