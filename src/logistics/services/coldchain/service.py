"""Cold chain use cases: RecordTemperatures (all or nothing), the rider stream's batches (each
reading stored or rejected), and a task's readings listed."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.coldchain import ExcursionRule, Problem, Reading, check_reading
from logistics.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
)
from logistics.domain.ids import ResourceName
from logistics.domain.names import TASKS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.tasks import TERMINAL, Task, TaskState
from logistics.services.coldchain.episodes import Stored, take_readings
from logistics.services.tasks.access import authorise, authorise_rider
from logistics.store.unit_of_work import Store

MAX_READINGS = 1000


class Rejection(enum.StrEnum):
    """Why the stream did not store a reading (``TemperatureRejectReason``)."""

    INVALID = "invalid"
    OUT_OF_TIME = "out_of_time"
    UNKNOWN_TASK = "unknown_task"
    TASK_ENDED = "task_ended"


@dataclass(frozen=True)
class Rejected:
    index: int
    reason: Rejection
    detail: str


@dataclass(frozen=True)
class StreamOutcome:
    stored: Stored = field(default_factory=Stored)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(frozen=True)
class TaskReading:
    """A reading as the stream carries it: the task it is for (a parse error instead when its
    name is not one), the reading, and what makes it unreadable (no record time), if anything."""

    task: ResourceName | InvalidArgument
    reading: Reading
    problem: str | None = None


class ColdChainService:
    def __init__(self, store: Store, clock: Clock, rule: ExcursionRule | None = None) -> None:
        self._store = store
        self._clock = clock
        self._rule = rule or ExcursionRule()

    async def record(
        self, caller: Caller, name: ResourceName, readings: Sequence[Reading]
    ) -> Stored:
        """RecordTemperatures: a dispatcher's (an IoT gateway's) or the assigned rider's token.
        A bad reading is INVALID_ARGUMENT naming it, and nothing is stored."""
        authorise(caller, name)
        if not 1 <= len(readings) <= MAX_READINGS:
            raise InvalidArgument.field("readings", f"needs 1 to {MAX_READINGS:,} readings")
        now = self._clock.now()
        _refuse([(i, check_reading(r, now, None)) for i, r in enumerate(readings)])
        async with self._store.write(name.tenant) as uow:
            task = await uow.load_for_update(uow.tasks, TASKS, name.id)
            authorise_rider(caller, task)
            _refuse([(i, check_reading(r, now, task.create_time)) for i, r in enumerate(readings)])
            for r in readings:
                if _after_end(task, r.record_time):
                    raise FailedPrecondition(
                        f"the task is {task.state.value}: no readings after it ended",
                        reason="TASK_ENDED",
                    )
            return await take_readings(caller, uow, task, readings, "rpc", self._rule)

    async def record_stream(self, caller: Caller, readings: Sequence[TaskReading]) -> StreamOutcome:
        """A stream's batch: each reading stored, or rejected with its reason; one transaction
        per task named."""
        now = self._clock.now()
        rejected: list[Rejected] = []
        by_task: dict[ResourceName, list[tuple[int, Reading]]] = {}
        for i, tr in enumerate(readings):
            if tr.problem is not None:
                rejected.append(Rejected(i, Rejection.INVALID, tr.problem))
            elif isinstance(tr.task, InvalidArgument):
                rejected.append(Rejected(i, Rejection.UNKNOWN_TASK, tr.task.message))
            elif tr.task.tenant != caller.tenant:
                rejected.append(Rejected(i, Rejection.UNKNOWN_TASK, "a task of another tenant"))
            else:
                by_task.setdefault(tr.task, []).append((i, tr.reading))
        total = Stored()
        for name, items in by_task.items():
            stored, refused = await self._record_task(caller, name, items, now)
            total += stored
            rejected.extend(refused)
        return StreamOutcome(total, sorted(rejected, key=lambda r: r.index))

    async def _record_task(
        self, caller: Caller, name: ResourceName, items: list[tuple[int, Reading]], now: datetime
    ) -> tuple[Stored, list[Rejected]]:
        async with self._store.write(name.tenant) as uow:
            task = await uow.tasks.get(name.id, for_update=True)
            if task is None or not _riders(caller, task):
                detail = "no such task of yours"
                return Stored(), [Rejected(i, Rejection.UNKNOWN_TASK, detail) for i, _ in items]
            rejected: list[Rejected] = []
            good: list[Reading] = []
            for i, r in items:
                problem = check_reading(r, now, task.create_time)
                if problem is not None:
                    kind, where, what = problem
                    reason = Rejection(kind.value)
                    rejected.append(Rejected(i, reason, f"{where} {what}"))
                elif _after_end(task, r.record_time):
                    rejected.append(Rejected(i, Rejection.TASK_ENDED, f"the task is {task.state}"))
                else:
                    good.append(r)
            stored = await take_readings(caller, uow, task, good, "stream", self._rule)
        return stored, rejected

    async def readings(
        self, caller: Caller, name: ResourceName, page: PageRequest
    ) -> Page[Reading]:
        """ListTemperatureReadings: ``logistics:read``."""
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            await uow.load(uow.tasks, TASKS, name.id)
            return await uow.temperatures.page(name.id, page)


def _refuse(problems: list[tuple[int, tuple[Problem, str, str] | None]]) -> None:
    violations = [
        FieldViolation(f"readings[{i}].{where}", what)
        for i, p in problems
        if p is not None
        for _, where, what in [p]
    ]
    if violations:
        raise InvalidArgument(violations)


def _after_end(task: Task, at: datetime) -> bool:
    """A cancelled task takes no readings; a completed or failed one only those recorded
    before it ended (a probe's buffer uploaded after the drop-off)."""
    if task.state is TaskState.CANCELLED:
        return True
    return task.state in TERMINAL and task.update_time is not None and at > task.update_time


def _riders(caller: Caller, task: Task) -> bool:
    try:
        authorise_rider(caller, task)
    except PermissionDenied:
        return False
    return True
