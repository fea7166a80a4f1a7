"""What a task's change tells the flows (``services.flows``), in the change's own unit of
work: the ``FlowHooks`` port the task use cases call, and the no-op when no flow runs."""

from __future__ import annotations

from typing import Protocol

from logistics.domain.failed_delivery import FailReason
from logistics.domain.tasks import Task
from logistics.store.unit_of_work import UnitOfWork


class FlowHooks(Protocol):
    """The flow engine (``services.flows.engine.FlowEngine``)."""

    async def task_changed(self, uow: UnitOfWork, before: Task | None, after: Task) -> None:
        """The flows waiting for ``after`` take their next steps if it has ended."""
        ...

    async def delivery_failed(self, uow: UnitOfWork, task: Task, reason: FailReason | None) -> Task:
        """A failed drop-off: the failed-delivery flow its reason calls for, started; the
        task as it now is (in its flow)."""
        ...


class NoFlows:
    """No flow engine: task changes tell nobody."""

    async def task_changed(self, uow: UnitOfWork, before: Task | None, after: Task) -> None:
        return None

    async def delivery_failed(self, uow: UnitOfWork, task: Task, reason: FailReason | None) -> Task:
        return task
