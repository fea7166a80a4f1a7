"""Who may move a task (a dispatcher, or the rider the task is assigned to), and who may read
its proofs (a reader of the tenant, or the customer holding the task's tracking token)."""

from __future__ import annotations

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import PermissionDenied
from logistics.domain.ids import ResourceName
from logistics.domain.tasks import Task


def authorise(caller: Caller, name: ResourceName) -> None:
    """Before the task is read: a dispatcher of the tenant, or one of its riders."""
    caller.require_tenant(name.tenant)
    if not (caller.has(Scope.DISPATCH) or (caller.rider_id and caller.has(Scope.TELEMETRY))):
        caller.require(Scope.DISPATCH)


def authorise_rider(caller: Caller, task: Task) -> None:
    """A rider's own token may move only the tasks assigned to that rider."""
    if caller.has(Scope.DISPATCH):
        return
    if task.rider_id is None or str(task.rider_id) != caller.rider_id:
        raise PermissionDenied("this task is not assigned to you", reason="NOT_YOUR_TASK")


def authorise_proof_reader(caller: Caller, name: ResourceName) -> None:
    """``logistics:read``, or a tracking token of this very task: the customer's page shows
    the proof of delivery."""
    if caller.task_id is not None and caller.task_id == str(name.id):
        caller.require_tenant(name.tenant)
    else:
        caller.require(Scope.READ, name.tenant)
