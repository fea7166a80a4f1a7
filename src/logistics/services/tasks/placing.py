"""Pickup steps that name an outlet and give no point, placed at the outlet's registered
location (``domain.outlets.place_at_outlets``) with one read of the registry for many tasks:
CreateTask's way, and the task import's, chunk by chunk."""

from __future__ import annotations

from collections.abc import Sequence

from logistics.domain.errors import InvalidArgument
from logistics.domain.outlets import place_at_outlets
from logistics.domain.tasks import Task, unplaced
from logistics.store.unit_of_work import UnitOfWork


def needs_placing(task: Task) -> bool:
    return any(s.outlet_id and unplaced(s) for s in task.steps)


async def placed_at_outlets(uow: UnitOfWork, tasks: Sequence[Task]) -> list[Task | InvalidArgument]:
    """Each task placed, or the INVALID_ARGUMENT naming the step whose outlet is not
    registered or has no location (``task.steps[0].outlet_id``)."""
    wanted = sorted({s.outlet_id for t in tasks for s in t.steps if s.outlet_id and unplaced(s)})
    if not wanted:
        return list(tasks)
    known = await uow.outlets.get_many(wanted)
    out: list[Task | InvalidArgument] = []
    for task in tasks:
        try:
            out.append(place_at_outlets(task, known))
        except InvalidArgument as exc:
            out.append(exc)
    return out
