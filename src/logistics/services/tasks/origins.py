"""A linked task's forward task (``Task.origin_task_id``): checked on create (it exists in the
tenant and has reached the state the purpose needs), and told on its own trail that a return,
exchange or re-attempt was made for it.

The states a purpose needs (``returns.ORIGIN_STATE``) are final ones, so a forward task found
in one cannot leave it before the linked task commits: no lock is taken. The foreign key keeps
the link to a task of the same tenant whatever happens meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

from logistics.domain.caller import Caller
from logistics.domain.errors import DomainError, FailedPrecondition
from logistics.domain.names import TASKS
from logistics.domain.returns import ORIGIN_STATE, TaskPurpose, origin_trail_type
from logistics.domain.tasks import Task
from logistics.store.unit_of_work import UnitOfWork


async def check_origins(uow: UnitOfWork, tasks: Sequence[Task]) -> list[DomainError | None]:
    """For each task, in order: None when it names no forward task or a fitting one, else
    NOT_FOUND (no such task in the tenant) or FAILED_PRECONDITION (the forward task is not in
    the state the purpose needs, reason ``ORIGIN_TASK_STATE``). One read for all of them."""
    wanted = list({t.origin_task_id for t in tasks if t.origin_task_id is not None})
    if not wanted:
        return [None] * len(tasks)
    found = {o.id: o for o in await uow.tasks.get_many(wanted)}
    out: list[DomainError | None] = []
    for task in tasks:
        origin_id = task.origin_task_id
        if origin_id is None:
            out.append(None)
            continue
        origin = found.get(origin_id)
        if origin is None:
            out.append(TASKS.not_found(uow.tenant, origin_id))
            continue
        needed = ORIGIN_STATE.get(task.purpose)
        if needed is not None and origin.state._value_ != needed:
            out.append(
                FailedPrecondition(
                    f"a {task.purpose.value} task needs its origin task {needed}; "
                    f"{TASKS.name(uow.tenant, origin_id)} is {origin.state.value}",
                    reason="ORIGIN_TASK_STATE",
                    details={"origin_task": TASKS.name(uow.tenant, origin_id), "state": needed},
                )
            )
            continue
        out.append(None)
    return out


async def require_origin(uow: UnitOfWork, task: Task) -> None:
    """``check_origins`` for one task: raises its error."""
    (error,) = await check_origins(uow, [task])
    if error is not None:
        raise error


async def record_links(caller: Caller, uow: UnitOfWork, created: Sequence[Task]) -> None:
    """On each forward task's trail, an entry naming the linked task just created
    (``return_created``, ``exchange_created`` or ``linked_task_created``): one statement."""
    linked = [t for t in created if t.origin_task_id is not None]
    if not linked:
        return
    await uow.tasks.add_link_entries(
        [
            (
                t.origin_task_id,
                origin_trail_type(t.kind._value_, t.purpose),
                _named(uow, t),
            )
            for t in linked
            if t.origin_task_id is not None
        ],
        caller.subject,
    )


def _named(uow: UnitOfWork, task: Task) -> str:
    """The trail entry's reason: the linked task's name, and its purpose when it has one."""
    name = TASKS.name(uow.tenant, task.id)
    return name if task.purpose is TaskPurpose.UNSPECIFIED else f"{name} ({task.purpose.value})"
