"""A step that needs a temperature log, satisfied from the readings recorded for its task when
the rider gives none: the log becomes the step's TEMPERATURE_LOG proof."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from logistics.domain.tasks import ProofKind, Step, Task
from logistics.services.tasks.proofs import ProofInput
from logistics.store.unit_of_work import UnitOfWork

MAX_LOG = 10_000  # as a proof's own readings


async def recorded_log(
    uow: UnitOfWork, task: Task, step: Step, proofs: Sequence[ProofInput], at: datetime
) -> ProofInput | None:
    """The proof made of the task's readings up to ``at`` (the newest 10,000), when the step
    needs a log, none was given and some were recorded; else None."""
    if ProofKind.TEMPERATURE_LOG not in step.required_proofs:
        return None
    if any(p.kind is ProofKind.TEMPERATURE_LOG for p in proofs):
        return None
    log = await uow.temperatures.log(task.id, at, MAX_LOG)
    if not log:
        return None
    return ProofInput(
        ProofKind.TEMPERATURE_LOG,
        temperatures_c=tuple(r.celsius for r in log),
        capture_time=log[-1].record_time,
    )
