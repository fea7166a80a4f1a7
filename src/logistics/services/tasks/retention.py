"""Proof files kept safe: the tenant's retention policy, a task's legal hold, and the sweep that
deletes files past retention from the blob store (run by the worker's PostgreSQL timers).

The sweep is one pending timer per tenant (``SWEEP_TIMER``, subject: the tenant's id). It fires
in the tenant's transaction, locks a batch of due files (``SKIP LOCKED``), deletes each from the
blob store, then marks them purged; the timer is marked fired in the same transaction. A crash
before the commit undoes the marks and the timer fires again: the files already deleted are
deleted again (a no-op), so each proof is recorded purged once. It re-arms itself for the next
file due, at the latest a day later, so a changed policy applies within a day (at once: its
update re-arms it).
"""

from __future__ import annotations

import dataclasses
import logging

from logistics.blobs.errors import BlobError
from logistics.blobs.interface import BlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import Unavailable
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import PROOF_RETENTION_POLICY, TASKS
from logistics.domain.proof_retention import (
    SWEEP_AT_LEAST,
    SWEEP_BATCH,
    SWEEP_TIMER,
    ProofHold,
    ProofRetentionPolicy,
    validate_hold,
    validate_retention_policy,
)
from logistics.domain.timers import DueTimer
from logistics.domain.versioning import check_etag
from logistics.services import crud
from logistics.services.tasks.access import authorise_proof_reader
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

_POLICY: crud.Policy[ProofRetentionPolicy, ProofRetentionPolicy] = crud.Policy(
    PROOF_RETENTION_POLICY, "proof_retention_policy", lambda uow: uow.proof_retention
)


def hold_name(task: ResourceName) -> str:
    return f"{TASKS.name(task.tenant, task.id)}/proofHold"


class ProofRetention:
    def __init__(self, store: Store, blobs: BlobStore, clock: Clock) -> None:
        self._store = store
        self._blobs = blobs
        self._clock = clock

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> ProofRetentionPolicy:
        return await _POLICY.get(self._store, caller, tenant)

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, policy: ProofRetentionPolicy, etag: str | None
    ) -> ProofRetentionPolicy:
        """Replaces the policy; the sweep runs at once under it."""
        updated = await _POLICY.replace(
            self._store, caller, tenant, policy, etag, validate=validate_retention_policy
        )
        async with self._store.write(tenant) as uow:
            await uow.timers.set(SWEEP_TIMER, uow.tenant_id, self._clock.now())
        return updated

    async def terms(
        self, caller: Caller, task: ResourceName
    ) -> tuple[ProofRetentionPolicy, ProofHold]:
        """What decides when the task's files go: the tenant's policy and the task's hold (for
        whoever may read the task's proofs)."""
        authorise_proof_reader(caller, task)
        async with self._store.read(task.tenant) as uow:
            await uow.load(uow.tasks, TASKS, task.id)
            return await uow.proof_retention.get(), await uow.proof_retention.hold(task.id)

    async def get_hold(self, caller: Caller, task: ResourceName) -> ProofHold:
        caller.require(Scope.READ, task.tenant)
        async with self._store.read(task.tenant) as uow:
            await uow.load(uow.tasks, TASKS, task.id)
            return await uow.proof_retention.hold(task.id)

    async def update_hold(
        self, caller: Caller, task: ResourceName, hold: ProofHold, etag: str | None
    ) -> ProofHold:
        """Places or releases the task's legal hold (``logistics:dispatch``). Placing waits for
        a sweep purging the task's files to finish, so no file goes once the hold is stored;
        a release has the sweep look at once."""
        caller.require(Scope.DISPATCH, task.tenant)
        validate_hold(hold)
        async with self._store.write(task.tenant) as uow:
            await uow.load(uow.tasks, TASKS, task.id)
            await uow.proof_retention.lock_files(task.id)
            current = await uow.proof_retention.hold(task.id)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(hold, reason=hold.reason.strip())
            updated = await uow.proof_retention.put_hold(task.id, wanted)
            await uow.audit(
                caller.subject,
                "proof_hold.place" if updated.held else "proof_hold.release",
                hold_name(task),
                before=current,
                after=updated,
            )
            if current.held and not updated.held:
                await uow.timers.set(SWEEP_TIMER, uow.tenant_id, self._clock.now())
        return updated

    async def handle_sweep_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Purges up to ``SWEEP_BATCH`` due files of the timer's tenant and arms the next sweep.
        A blob store failure raises: the transaction is undone and the timer retried."""
        now = self._clock.now()
        policy = await uow.proof_retention.get()
        due = await uow.proof_retention.due_files(*policy.cutoffs(now), SWEEP_BATCH)
        for _, key in due:
            try:
                await self._blobs.delete(key)
            except BlobError as exc:
                raise Unavailable(f"the blob store failed deleting a proof file: {exc}") from exc
        if due:
            await uow.proof_retention.mark_purged([proof_id for proof_id, _ in due], now)
            await uow.audit(
                "system",
                "proof.purge",
                PROOF_RETENTION_POLICY.name(uow.tenant),
                after={"proofs": [str(proof_id) for proof_id, _ in due], "purge_time": now},
            )
            logger.info("purged %d proof files of tenant %s", len(due), uow.tenant)
        if len(due) == SWEEP_BATCH:
            following = now
        else:
            upcoming = await uow.proof_retention.next_due(policy.photo_days, policy.signature_days)
            if upcoming is None:
                return  # no file left to purge: the next stored file arms the sweep again
            following = min(max(upcoming, now), now + SWEEP_AT_LEAST)
        await uow.timers.set(timer.kind, timer.subject_id, following)
