"""The dispute case of a task: the task, its whole trail, its proofs with the retention that
applies to them, and the rider's track near each step's arrival and completion (the window of
``domain.disputes``); and the proofs' files, read for the bundle. The transport writes the
signed bundle (``api/dispute_http.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from logistics.blobs.errors import BlobError, BlobNotFound
from logistics.blobs.interface import BlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.disputes import AROUND_TIME, MAX_POINTS, Moment, NearPoint, near
from logistics.domain.errors import Unavailable
from logistics.domain.ids import ResourceName
from logistics.domain.names import TASKS
from logistics.domain.proof_retention import ProofHold, ProofRetentionPolicy
from logistics.domain.task_records import ProofRow, TaskEventRow
from logistics.domain.tasks import Task
from logistics.services.telemetry.ports import Tracks
from logistics.store.unit_of_work import Store

TRAIL_PAGE = 1000


@dataclass(frozen=True)
class StepTrack:
    moment: Moment
    points: list[NearPoint]


@dataclass(frozen=True)
class DisputeCase:
    task: Task
    trail: list[TaskEventRow]
    proofs: list[ProofRow]
    policy: ProofRetentionPolicy
    hold: ProofHold
    tracks: list[StepTrack]


def moments(task: Task) -> list[Moment]:
    """Each step's arrival and completion that happened, in step order."""
    found = []
    for step in task.steps:
        for what, when in (("arrive", step.arrive_time), ("complete", step.complete_time)):
            if when is not None:
                found.append(Moment(step.id, what, when, step.latitude, step.longitude))
    return found


class DisputeExports:
    def __init__(self, store: Store, blobs: BlobStore, tracks: Tracks) -> None:
        self._store = store
        self._blobs = blobs
        self._tracks = tracks

    async def case(self, caller: Caller, name: ResourceName) -> DisputeCase:
        """Everything of the bundle but the files (``logistics:read``: a customer's tracking
        token sees the proofs, never the trail or the rider's track)."""
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            task = await uow.load(uow.tasks, TASKS, name.id)
            trail: list[TaskEventRow] = []
            after = 0
            while page := await uow.tasks.events(name.id, after, TRAIL_PAGE):
                trail.extend(row for _, row in page)
                after = page[-1][0]
            proofs = await uow.tasks.proofs(name.id)
            policy = await uow.proof_retention.get()
            hold = await uow.proof_retention.hold(name.id)
            tenant_id = uow.tenant_id
        tracks = []
        if task.rider_id is not None:
            for moment in moments(task):
                points = await self._tracks.read(
                    tenant_id,
                    task.rider_id,
                    moment.time - AROUND_TIME,
                    moment.time + AROUND_TIME,
                    MAX_POINTS * 4,
                )
                tracks.append(StepTrack(moment, near(moment, points)))
        return DisputeCase(task, trail, proofs, policy, hold, tracks)

    async def open_file(self, key: str) -> AsyncIterator[bytes] | None:
        """A proof's file as stored; None when the blob store has none under ``key``."""
        try:
            return await self._blobs.open(key)
        except BlobNotFound:
            return None
        except BlobError as exc:
            raise Unavailable(f"the blob store failed: {exc}") from exc
