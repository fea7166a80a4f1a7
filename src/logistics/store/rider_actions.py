"""SQL for offline-safe rider actions: each action's first outcome (the task returned or the
error raised), written in the action's own transaction, and the retention sweep."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.domain.errors import DomainError, FieldViolation, InvalidArgument
from logistics.domain.ids import TenantId
from logistics.domain.rider_actions import STORED_ERRORS, OfferAnswer, Outcome
from logistics.domain.tasks import Task
from logistics.store.db import Connection, Database
from logistics.store.task_repo import task_from_json, task_json

_ERRORS: dict[str, type[DomainError]] = {c.__name__: c for c in STORED_ERRORS}


@dataclass(frozen=True)
class StoredAction:
    method: str
    request_hash: str
    outcome: Outcome


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    if isinstance(outcome, Task):
        return {"task": task_json(outcome)}
    if isinstance(outcome, OfferAnswer):
        return {"offer": {"offer_id": outcome.offer_id, "assigned": outcome.assigned}}
    kind = type(outcome).__name__
    if kind not in _ERRORS:
        raise ValueError(f"{kind} is not an outcome kept for replays")
    violations = getattr(outcome, "violations", ())
    return {
        "error": kind,
        "message": outcome.message,
        "reason": outcome.reason,
        "violations": [[v.field, v.description] for v in violations],
        "details": dict(outcome.details),
    }


def outcome_from_json(d: dict[str, Any]) -> Outcome:
    if "task" in d:
        return task_from_json(d["task"])
    if "offer" in d:
        return OfferAnswer(d["offer"]["offer_id"], d["offer"]["assigned"])
    cls = _ERRORS[d["error"]]
    if cls is InvalidArgument:
        return InvalidArgument([FieldViolation(f, text) for f, text in d["violations"]])
    return cls(d["message"], reason=d["reason"], details=d.get("details"))


class RiderActionRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def lock(self, actor: str, action_id: uuid.UUID) -> None:
        """Serialises the transactions of one action id: a racing replay waits here for the
        first to commit, then finds its outcome."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{self._tenant_id}:rider_action:{actor}:{action_id}",
        )

    async def find(self, actor: str, action_id: uuid.UUID) -> StoredAction | None:
        row = await self._conn.fetchrow(
            """SELECT method, request_hash, outcome FROM rider_actions
               WHERE actor = $1 AND action_id = $2""",
            actor,
            action_id,
        )
        if row is None:
            return None
        return StoredAction(row["method"], row["request_hash"], outcome_from_json(row["outcome"]))

    async def add(
        self, actor: str, action_id: uuid.UUID, method: str, request_hash: str, outcome: Outcome
    ) -> None:
        """The first outcome; the primary key refuses a second (the lock makes that moot)."""
        await self._conn.execute(
            """INSERT INTO rider_actions
                   (tenant_id, actor, action_id, method, request_hash, outcome)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            self._tenant_id,
            actor,
            action_id,
            method,
            request_hash,
            outcome_json(outcome),
        )


async def sweep_rider_actions(db: Database, before: datetime) -> int:
    """Deletes every tenant's outcomes recorded before ``before``; returns how many."""
    async with db.worker_transaction() as conn:
        status: str = await conn.execute("DELETE FROM rider_actions WHERE create_time < $1", before)
    return int(status.split()[-1])
