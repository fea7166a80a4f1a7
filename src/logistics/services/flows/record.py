"""A flow's change on record: the flow's row, its audit row and outbox event, and the trail
entries (``flow_step``) of the tasks a step concerns, in the change's unit of work."""

from __future__ import annotations

from logistics.domain.events import FlowEvent, FlowStepCompleted
from logistics.domain.flows import Flow, FlowStep
from logistics.domain.names import FLOWS, TASKS
from logistics.store.unit_of_work import UnitOfWork

SYSTEM = "system"
TRAIL_TYPE = "flow_step"


async def record_flow(uow: UnitOfWork, flow: Flow, event: type[FlowEvent], action: str) -> None:
    """The flow's audit row and its event."""
    name = FLOWS.name(uow.tenant, flow.id)
    await uow.record(
        SYSTEM,
        action,
        name,
        after=flow,
        event=event(name=name, flow=flow, task=TASKS.name(uow.tenant, flow.task_id)),
    )


async def record_step(uow: UnitOfWork, flow: Flow, step: FlowStep) -> None:
    """A step taken: its audit row, ``flow.step_completed``, and a ``flow_step`` entry in the
    trail of the flow's task and of the task the step made or acted on."""
    name = FLOWS.name(uow.tenant, flow.id)
    await uow.record(
        SYSTEM,
        f"flow.{step.name}",
        name,
        after=step,
        event=FlowStepCompleted(
            name=name, flow=flow, task=TASKS.name(uow.tenant, flow.task_id), step=step
        ),
    )
    for task_id in dict.fromkeys(t for t in (flow.task_id, step.task_id) if t is not None):
        await uow.tasks.add_event(
            task_id,
            TRAIL_TYPE,
            SYSTEM,
            from_state=None,
            to_state=None,
            reason=f"{step.name}: {step.detail}" if step.detail else step.name,
            flow=name,
        )
