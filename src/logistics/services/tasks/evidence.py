"""A failed drop-off's evidence (a photo of the door, a note): checked, its files stored
before the failure's transaction and removed again if the failure does not happen, its rows
kept as proofs of the failed step, each with the failure's location and time unless it
carries its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from logistics.blobs.interface import StoredBlob
from logistics.domain.ids import ResourceName
from logistics.domain.tasks import Task
from logistics.services.tasks.proofs import ProofFiles, ProofInput, check_proofs, proof_row
from logistics.services.tasks.trail import Location
from logistics.store.unit_of_work import Store, UnitOfWork


def hashed(evidence: Sequence[ProofInput]) -> tuple[object, ...]:
    """What of the evidence an offline-safe FailTask's fingerprint covers (nothing when there
    is none, so a failure without evidence keeps the fingerprint it had before evidence)."""
    if not evidence:
        return ()
    return ([(p.kind.value, p.text, p.content, p.location) for p in evidence],)


class Evidence:
    """One FailTask's evidence, its files stored (``store``) until kept or discarded."""

    def __init__(self, files: ProofFiles, proofs: Sequence[ProofInput]) -> None:
        check_proofs(list(proofs))
        self._files = files
        self._proofs = list(proofs)
        self._stored: list[StoredBlob | None] = []
        self._written = False
        self.kept = False

    async def store(self, store: Store, name: ResourceName) -> None:
        if self._proofs:
            tenant_id = await store.tenants.ensure(name.tenant)
            self._stored = await self._files.store(tenant_id, name.id, self._proofs)

    async def keep(
        self, uow: UnitOfWork, task: Task, location: Location | None, when: datetime
    ) -> None:
        """In the failure's transaction: the proofs of the step the task failed at."""
        step_id = task.step.id
        for proof, blob in zip(self._proofs, self._stored, strict=True):
            placed = dataclasses.replace(
                proof,
                location=proof.location or location,
                capture_time=proof.capture_time or when,
            )
            await uow.tasks.add_proof(task.id, proof_row(step_id, placed, blob))
        self._written = True

    def committed(self) -> None:
        """The failure's transaction committed: the files are kept if their rows were
        written in it (not when the call was a replay of an earlier one)."""
        self.kept = self._written

    async def discard_unless_kept(self) -> None:
        if self.kept:
            return
        for blob in self._stored:
            if blob is not None:
                await self._files.discard(blob.key)
