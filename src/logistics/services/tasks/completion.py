"""Completing a task's current step: its proofs checked and stored (a temperature log taken
from the task's recorded readings when none is given), a wrong one-time code counted, the
rider's position checked against the step's (``presence``), offline-safe when the rider's app
stamps the action; the time spent at the stop kept for the calibrated ETAs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from logistics.domain import tasks as machine
from logistics.domain.caller import Caller
from logistics.domain.clock import Clock
from logistics.domain.errors import DomainError, FailedPrecondition
from logistics.domain.events import TaskCompleted, TaskStepCompleted
from logistics.domain.exchanges import GivenProof, check_items, require_findings, with_findings
from logistics.domain.ids import ResourceName
from logistics.domain.names import TASKS
from logistics.domain.proof_retention import SWEEP_AT_LEAST, SWEEP_TIMER
from logistics.domain.rider_actions import ActionStamp, device_time
from logistics.domain.tasks import ProofKind, Task, TaskState
from logistics.domain.text import shown
from logistics.domain.versioning import check_etag
from logistics.services.codes import code_matches
from logistics.services.coldchain.proof_log import recorded_log
from logistics.services.tasks.access import authorise, authorise_rider
from logistics.services.tasks.flow_hooks import FlowHooks
from logistics.services.tasks.observations import record_stop
from logistics.services.tasks.offline import apply_once, fingerprint
from logistics.services.tasks.presence import PresenceChecker, SentPosition, record_flag
from logistics.services.tasks.proofs import (
    ProofFiles,
    ProofInput,
    check_proofs,
    proof_row,
    proofs_given,
)
from logistics.services.tasks.sla import clear_sla_timers
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import Store

if TYPE_CHECKING:
    from logistics.domain.transfers import Line
    from logistics.services.tasks.service import TaskFollower


class StepCompletion:
    def __init__(
        self,
        store: Store,
        files: ProofFiles,
        clock: Clock,
        presence: PresenceChecker,
        flows: FlowHooks,
        *,
        follower: TaskFollower | None = None,
    ) -> None:
        self._flows = flows
        self._follower = follower
        self._store = store
        self._files = files
        self._clock = clock
        self._presence = presence

    async def complete(
        self,
        caller: Caller,
        name: ResourceName,
        step_id: str,
        proofs: list[ProofInput],
        sent: SentPosition,
        etag: str | None,
        stamp: ActionStamp | None = None,
        *,
        received: Sequence[Line] = (),
    ) -> tuple[Task | None, Task]:
        """Completes the current step with its proofs (files stored first, removed again if the
        completion does not happen). A wrong one-time code is counted even though the call
        fails; after too many the code is locked. Returns the task before (None when nothing
        changed: a replay) and after. Outside the step's area the step is flagged, or the
        completion refused where the tenant's policy says so."""
        location = sent.location
        authorise(caller, name)
        check_proofs(proofs)
        request_hash = fingerprint(
            "CompleteStep",
            str(name),
            step_id,
            location,
            [(p.kind.value, p.text, p.content, p.temperatures_c, p.location) for p in proofs],
            *sent.hashed(),
            # Items only when shown, so actions buffered before them keep their fingerprints.
            *(
                [[[(f.item, f.condition.value) for f in p.items] for p in proofs]]
                if any(p.items for p in proofs)
                else []
            ),
            *([[(x.sku, x.quantity) for x in received]] if received else []),
        )
        tenant_id = await self._store.tenants.ensure(name.tenant)
        stored = await self._files.store(tenant_id, name.id, proofs)
        before: Task | None = None

        async def apply() -> Task | DomainError:
            nonlocal before
            task = before = await uow.load_for_update(uow.tasks, TASKS, name.id)
            authorise_rider(caller, task)
            check_etag(etag, task.version)
            when = device_time(stamp or ActionStamp(), self._clock.now(), task.create_time)
            machine.require_allowed(task, machine.Action.COMPLETE_STEP)
            step = task.step
            if step.id != step_id:
                raise FailedPrecondition(
                    f"step {shown(step_id)} is not the current step ({shown(step.id)})",
                    reason="NOT_CURRENT_STEP",
                )
            given, override, code = proofs_given(caller, step, proofs)
            logged = await recorded_log(uow, task, step, proofs, when)
            if logged is not None:
                given.add(ProofKind.TEMPERATURE_LOG)
            if code is not None and (not step.code_hash or not code_matches(code, step.code_hash)):
                await uow.tasks.save(machine.record_code_attempt(task, step_id))
                return FailedPrecondition("the one-time code is wrong", reason="WRONG_CODE")
            machine.complete_step(task, step_id, frozenset(given), when)  # missing proof first
            given_items = [GivenProof(p.kind, p.items) for p in proofs]
            check_items(task, given_items)
            require_findings(task, step, given_items)
            check = await self._presence.check(uow, caller, task, sent, when, "complete")
            done = machine.complete_step(task, step_id, frozenset(given), when, check)
            rows = [proof_row(step_id, p, blob) for p, blob in zip(proofs, stored, strict=True)]
            done = with_findings(done, step_id, given_items, [r.id for r in rows])
            for row in rows:
                await uow.tasks.add_proof(task.id, row)
            if any(stored):  # the retention sweep finds when the file falls due
                await uow.timers.arm(SWEEP_TIMER, uow.tenant_id, self._clock.now() + SWEEP_AT_LEAST)
            if logged is not None:
                await uow.tasks.add_proof(task.id, proof_row(step_id, logged, None))
            saved = await uow.tasks.save(done)
            done_event = TaskCompleted if saved.state is TaskState.COMPLETED else TaskStepCompleted
            await record(
                caller,
                uow,
                task,
                saved,
                done_event,
                location=location,
                step_id=step_id,
                reason=override,
                occurred=when if stamp is not None and stamp.occurred is not None else None,
            )
            if self._follower is not None:
                await self._follower.task_changed(caller, uow, task, saved, received)
            await record_stop(uow, saved, step_id)
            await record_flag(caller, uow, saved, step_id, "complete")
            if saved.state is TaskState.COMPLETED:
                await clear_sla_timers(uow, saved)
            await self._flows.task_changed(uow, task, saved)
            return saved

        kept = False
        try:
            async with self._store.write(name.tenant) as uow:
                outcome, replayed = await apply_once(
                    uow, caller, stamp, "step_completed", request_hash, apply
                )
            kept = isinstance(outcome, Task) and not replayed
        finally:
            if not kept:
                for blob in stored:
                    if blob is not None:
                        await self._files.discard(blob.key)
        if isinstance(outcome, DomainError):
            raise outcome
        return (before if kept else None), outcome
