"""A carrier's status callback applied: verified by the account's connector, recorded once in
the job's history, and, when it moves the job forward, the job updated and the task moved
through the state machine (``domain/carriers.py`` ``follow``) with its trail and events.

The job's row is locked while a callback is applied, so callbacks that arrive together are
applied one after the other; a repeated callback (the carrier's event id seen before) changes
nothing, and one overtaken by a later status is kept in the history, not applied. A failure
or a cancellation by the carrier emits ``carrier.failure`` with the carrier's reason."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Protocol

from logistics.carriers.interface import StatusReport
from logistics.domain.caller import Caller, Scope
from logistics.domain.carrier_records import CarrierJob, JobEvent
from logistics.domain.carriers import CarrierStatus, Move, follow, is_ahead
from logistics.domain.clock import Clock
from logistics.domain.errors import NotFound
from logistics.domain.events import (
    CarrierFailure,
    CarrierJobUpdated,
    TaskArrived,
    TaskCompleted,
    TaskEnRoute,
    TaskEvent,
    TaskFailed,
    TaskManualDispatch,
    TaskStepCompleted,
)
from logistics.domain.ids import TenantSlug
from logistics.domain.names import CARRIER_ACCOUNTS, CARRIER_JOBS, TASKS
from logistics.domain.tasks import TERMINAL, Action, Task, TaskState
from logistics.secrets_box import Keyring
from logistics.services.carriers.ports import Connectors
from logistics.services.tasks.sla import clear_sla_timers
from logistics.services.tasks.trail import record
from logistics.store.unit_of_work import Store, UnitOfWork

__all__ = ["CarrierCallbacks"]

_ENDS = (CarrierStatus.FAILED, CarrierStatus.CANCELLED)


class TaskFollowers(Protocol):
    """What follows a task's transition in its unit of work: the transfers it carries and the
    flows waiting for it (``services.tasks.service.TaskService.followed``)."""

    async def followed(
        self, caller: Caller, uow: UnitOfWork, before: Task, after: Task, reason: str | None
    ) -> None: ...


class CarrierCallbacks:
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        connectors: Connectors,
        clock: Clock,
        followers: TaskFollowers | None = None,
    ) -> None:
        """``followers``: told of each move of a task, as a rider's own would tell them."""
        self._followers = followers
        self._store = store
        self._keyring = keyring
        self._connectors = connectors
        self._clock = clock

    async def receive(
        self, tenant: TenantSlug, account_id: uuid.UUID, headers: Mapping[str, str], body: bytes
    ) -> bool:
        """Applies one callback; True when it moved the job. ``CallbackRefused`` for one that
        is not the carrier's (forged, stale), NOT_FOUND for an unknown account or job."""
        async with self._store.read(tenant) as uow:
            accounts = uow.carrier_accounts(self._keyring)
            account = await uow.load(accounts, CARRIER_ACCOUNTS, account_id)
        name = CARRIER_ACCOUNTS.name(tenant, account_id)
        report = self._connectors.connector(name, account).parse_callback(
            headers, body, self._clock.now()
        )
        async with self._store.write(tenant) as uow:
            job = await uow.carrier_jobs.by_ref(account_id, report.carrier_ref, for_update=True)
            if job is None:
                raise NotFound(f"carrier account {name} has no job {report.carrier_ref[:64]!r}")
            ahead = is_ahead(job.status, report.status)
            fresh = await uow.carrier_jobs.add_event(job.id, _event(report, ahead))
            if not (fresh and ahead):
                return False
            await self._apply(uow, name, job, report)
            return True

    async def _apply(
        self, uow: UnitOfWork, account: str, job: CarrierJob, report: StatusReport
    ) -> None:
        tenant = uow.tenant
        courier = dataclasses.asdict(report.courier) if report.courier else job.courier
        updated = await uow.carrier_jobs.update(
            dataclasses.replace(
                job,
                status=report.status,
                carrier_status=report.carrier_status,
                status_time=report.occurred,
                courier=courier,
                final_amount=report.final_price.amount if report.final_price else job.final_amount,
                fee_amount=report.fee.amount if report.fee else job.fee_amount,
                failure_reason=report.reason if report.status in _ENDS else None,
            )
        )
        job_name = CARRIER_JOBS.name(tenant, job.task_id, job.id)
        task_name = TASKS.name(tenant, job.task_id)
        await uow.emit(
            CarrierJobUpdated(
                job=job_name,
                task=task_name,
                status=updated.status.value,
                carrier_status=updated.carrier_status,
                courier_name=report.courier.name if report.courier else None,
                latitude=report.courier.latitude if report.courier else None,
                longitude=report.courier.longitude if report.courier else None,
            )
        )
        carrier = Caller(tenant, f"carrier:{account}", frozenset({Scope.DISPATCH}))
        task = await uow.load_for_update(uow.tasks, TASKS, job.task_id)
        reason = _reason(report)
        for move in follow(task, report.status, self._clock.now()):
            saved = await uow.tasks.save(move.after)
            await record(
                carrier,
                uow,
                task,
                saved,
                _task_event(move),
                reason=reason,
                step_id=move.step_id,
            )
            if self._followers is not None:
                await self._followers.followed(carrier, uow, task, saved, reason)
            task = saved
        if task.state in TERMINAL:
            await clear_sla_timers(uow, task)
        if report.status in _ENDS:
            await uow.emit(
                CarrierFailure(
                    task=task_name, account=account, reason=reason or "", carrier_job=job_name
                )
            )


def _reason(report: StatusReport) -> str | None:
    if report.status in _ENDS:
        word = "failed" if report.status is CarrierStatus.FAILED else "cancelled"
        return f"the carrier {word} the job: {report.reason or report.carrier_status}"[:500]
    return f"carrier: {report.carrier_status}"


def _task_event(move: Move) -> type[TaskEvent]:
    if move.action is Action.COMPLETE_STEP:
        return TaskCompleted if move.after.state is TaskState.COMPLETED else TaskStepCompleted
    return _TASK_EVENTS[move.action]


_TASK_EVENTS: dict[Action, type[TaskEvent]] = {
    Action.START: TaskEnRoute,
    Action.ARRIVE: TaskArrived,
    Action.FAIL: TaskFailed,
    Action.UNASSIGN: TaskManualDispatch,
}


def _event(report: StatusReport, applied: bool) -> JobEvent:
    detail = {"reason": report.reason} if report.reason else {}
    return JobEvent(
        report.event_id,
        report.status,
        report.carrier_status,
        report.occurred,
        applied=applied,
        detail=detail,
    )
