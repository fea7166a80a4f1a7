"""SQL for keeping proof files safe: the tenant's retention policy, a task's legal hold, and the
sweep's queries (the files due, marking them purged, when the next one falls due)."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain.ids import TenantId
from logistics.domain.proof_retention import ProofHold, ProofRetentionPolicy
from logistics.store.db import Connection

# Files not held whose retention has run out: photos stored before $1, signatures before $2.
_DUE = """FROM proofs p
    WHERE p.blob_key IS NOT NULL AND p.purge_time IS NULL
      AND ((p.kind = 'photo' AND p.create_time < $1)
           OR (p.kind = 'signature' AND p.create_time < $2))
      AND NOT EXISTS (SELECT 1 FROM proof_holds h WHERE h.task_id = p.task_id AND h.held)"""


class ProofRetentionRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> ProofRetentionPolicy:
        row = await self._conn.fetchrow("SELECT * FROM proof_retention_policies")
        if row is None:
            return ProofRetentionPolicy()
        return ProofRetentionPolicy(
            row["photo_days"], row["signature_days"], row["update_time"], row["version"]
        )

    async def put(self, policy: ProofRetentionPolicy) -> ProofRetentionPolicy:
        await self._conn.execute(
            """INSERT INTO proof_retention_policies (tenant_id, photo_days, signature_days)
               VALUES ($1, $2, $3)
               ON CONFLICT (tenant_id) DO UPDATE SET photo_days = EXCLUDED.photo_days,
                   signature_days = EXCLUDED.signature_days, update_time = now(),
                   version = proof_retention_policies.version + 1""",
            self._tenant_id,
            policy.photo_days,
            policy.signature_days,
        )
        return await self.get()

    async def hold(self, task_id: uuid.UUID) -> ProofHold:
        row = await self._conn.fetchrow("SELECT * FROM proof_holds WHERE task_id = $1", task_id)
        if row is None:
            return ProofHold()
        return ProofHold(row["held"], row["reason"], row["update_time"], row["version"])

    async def lock_files(self, task_id: uuid.UUID) -> None:
        """Waits for a sweep purging this task's files to commit; a sweep that starts later
        skips them until this transaction ends (the sweep locks with SKIP LOCKED)."""
        await self._conn.execute(
            "SELECT 1 FROM proofs WHERE task_id = $1 AND blob_key IS NOT NULL FOR UPDATE",
            task_id,
        )

    async def put_hold(self, task_id: uuid.UUID, hold: ProofHold) -> ProofHold:
        await self._conn.execute(
            """INSERT INTO proof_holds (tenant_id, task_id, held, reason) VALUES ($1, $2, $3, $4)
               ON CONFLICT (tenant_id, task_id) DO UPDATE SET held = EXCLUDED.held,
                   reason = EXCLUDED.reason, update_time = now(),
                   version = proof_holds.version + 1""",
            self._tenant_id,
            task_id,
            hold.held,
            hold.reason,
        )
        return await self.hold(task_id)

    async def due_files(
        self, photos_before: datetime, signatures_before: datetime, limit: int
    ) -> list[tuple[uuid.UUID, str]]:
        """Up to ``limit`` due files (proof id, blob key), oldest first, locked; files another
        sweep or a hold being placed has locked are skipped."""
        rows = await self._conn.fetch(
            f"""SELECT p.id, p.blob_key {_DUE}
                ORDER BY p.create_time, p.id LIMIT $3 FOR UPDATE OF p SKIP LOCKED""",
            photos_before,
            signatures_before,
            limit,
        )
        return [(r["id"], r["blob_key"]) for r in rows]

    async def mark_purged(self, proof_ids: list[uuid.UUID], when: datetime) -> None:
        await self._conn.execute(
            "UPDATE proofs SET purge_time = $2 WHERE id = ANY($1::uuid[]) AND purge_time IS NULL",
            proof_ids,
            when,
        )

    async def next_due(self, photo_days: int, signature_days: int) -> datetime | None:
        """When the earliest file not yet purged nor held falls due; None when there is none."""
        due: datetime | None = await self._conn.fetchval(
            """SELECT min(p.create_time + make_interval(
                       days => CASE p.kind WHEN 'photo' THEN $1::int ELSE $2::int END))
               FROM proofs p
               WHERE p.blob_key IS NOT NULL AND p.purge_time IS NULL
                 AND p.kind IN ('photo', 'signature')
                 AND NOT EXISTS (
                     SELECT 1 FROM proof_holds h WHERE h.task_id = p.task_id AND h.held)""",
            photo_days,
            signature_days,
        )
        return due
