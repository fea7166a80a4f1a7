"""Carrier jobs: a task waiting for dispatch handed to a carrier account (quoted, booked under
an idempotency key, the task assigned to the carrier), and a task's jobs read back with their
history. Booking needs ``logistics:dispatch``; reading ``logistics:read``.

The carrier is asked outside any transaction; the job and the task's assignment are then
written together, the task's row locked. A task taken meanwhile (a rider, another carrier)
refuses the job, and the booking just made is cancelled. A carrier that fails or declines
emits ``carrier.failure`` with its reason; the task stays with the dispatchers."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import uuid
from dataclasses import dataclass

from logistics.carriers.errors import CarrierError
from logistics.carriers.interface import Booking, Place, Quote, QuoteRequest
from logistics.domain.caller import Caller, Scope
from logistics.domain.carrier_records import CarrierAccount, CarrierJob, JobEvent
from logistics.domain.carriers import hand_to_carrier, require_carriable
from logistics.domain.clock import Clock
from logistics.domain.errors import DomainError, FailedPrecondition, InvalidArgument
from logistics.domain.events import (
    CarrierFailure,
    CarrierJobBooked,
    TaskAssigned,
    TaskManualDispatch,
)
from logistics.domain.ids import ChildName, ResourceName
from logistics.domain.names import CARRIER_ACCOUNTS, CARRIER_JOBS, TASKS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.tasks import Step, Task, TaskState
from logistics.secrets_box import Keyring
from logistics.services.carriers.ports import Connectors
from logistics.services.carriers.tendering import Bidder, Offer, Strategy, ask_quotes, rank
from logistics.services.idempotency import check_request_id
from logistics.services.tasks.trail import record, record_system
from logistics.store.unit_of_work import Store, UnitOfWork

__all__ = ["DEFAULT_DEADLINE_S", "CarrierJobs", "JobRecord"]

DEFAULT_DEADLINE_S = 5.0
MAX_BIDDERS = 50


@dataclass(frozen=True)
class JobRecord:
    """A job with every status its carrier reported, in the order received."""

    job: CarrierJob
    history: tuple[JobEvent, ...]


class CarrierJobs:
    def __init__(
        self, store: Store, keyring: Keyring, connectors: Connectors, clock: Clock
    ) -> None:
        self._store = store
        self._keyring = keyring
        self._connectors = connectors
        self._clock = clock

    async def book(
        self,
        caller: Caller,
        task_name: ResourceName,
        account_name: ResourceName,
        request_id: str | None,
    ) -> JobRecord:
        caller.require(Scope.DISPATCH, task_name.tenant)
        if account_name.tenant != task_name.tenant:
            raise InvalidArgument.field("carrier_account", "names an account of another tenant")
        check_request_id(request_id)
        job_id = _job_id(task_name, request_id)
        async with self._store.read(task_name.tenant) as uow:
            if request_id and (earlier := await uow.carrier_jobs.get(job_id)) is not None:
                return await _with_history(uow, earlier)
            task = await uow.load(uow.tasks, TASKS, task_name.id)
            accounts = uow.carrier_accounts(self._keyring)
            account = await uow.load(accounts, CARRIER_ACCOUNTS, account_name.id)
        _check_fit(task, account)
        carrier = self._connectors.connector(str(account_name), account)
        request = _request(task, account)
        try:
            quote = await carrier.quote(request)
        except CarrierError as exc:
            await self._failed(task_name, [(str(account_name), str(exc))])
            raise
        bidder = Bidder(str(account_name), account, carrier, request)
        return await self._book(caller, task_name, job_id, Offer(bidder, quote))

    async def tender(
        self,
        caller: Caller,
        task_name: ResourceName,
        strategy: Strategy,
        request_id: str | None,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> JobRecord:
        """Asks every enabled account that fits the task for a quote at once, within
        ``deadline_s``, and books the offers in ``strategy``'s order, the next when one is
        refused or fails. When none books, the task goes to manual dispatch and the call is
        FAILED_PRECONDITION ``NO_CARRIER``; each carrier's failure is a ``carrier.failure``."""
        caller.require(Scope.DISPATCH, task_name.tenant)
        check_request_id(request_id)
        job_id = _job_id(task_name, request_id)
        async with self._store.read(task_name.tenant) as uow:
            if request_id and (earlier := await uow.carrier_jobs.get(job_id)) is not None:
                return await _with_history(uow, earlier)
            task = await uow.load(uow.tasks, TASKS, task_name.id)
            accounts = await uow.carrier_accounts(self._keyring).list(PageRequest(MAX_BIDDERS))
        require_carriable(task)
        bidders = [
            Bidder(
                name, account, self._connectors.connector(name, account), _request(task, account)
            )
            for account in accounts.items
            if _fits(task, account)
            for name in [CARRIER_ACCOUNTS.name(task_name.tenant, account.id)]
        ]
        offers, failures = await ask_quotes(bidders, deadline_s)
        failed = [(b.name, reason) for b, reason in failures]
        for offer in rank(offers, strategy):
            try:
                return await self._book(caller, task_name, job_id, offer, report=False)
            except CarrierError as exc:
                failed.append((offer.bidder.name, str(exc)))
        await self._failed(task_name, failed, to_manual=True)
        raise FailedPrecondition(
            f"no carrier took the task ({len(bidders)} asked, {len(offers)} quoted); it went "
            "to manual dispatch",
            reason="NO_CARRIER",
        )

    async def _book(
        self,
        caller: Caller,
        task_name: ResourceName,
        job_id: uuid.UUID,
        offer: Offer,
        *,
        report: bool = True,
    ) -> JobRecord:
        """Books ``offer`` and records the job; a carrier failure is reported (``report``)
        and raised; a task taken meanwhile cancels the fresh booking."""
        bidder = offer.bidder
        try:
            booking = await bidder.carrier.book(offer.quote, bidder.request, str(job_id))
        except CarrierError as exc:
            if report:
                await self._failed(task_name, [(bidder.name, str(exc))])
            raise
        try:
            return await self._record(
                caller, task_name, bidder.account, job_id, offer.quote, booking
            )
        except DomainError:
            with contextlib.suppress(CarrierError):
                await bidder.carrier.cancel(booking.carrier_ref, "the task was taken meanwhile")
            raise

    async def _record(
        self,
        caller: Caller,
        task_name: ResourceName,
        account: CarrierAccount,
        job_id: uuid.UUID,
        quote: Quote,
        booking: Booking,
    ) -> JobRecord:
        tenant = task_name.tenant
        now = self._clock.now()
        async with self._store.write(tenant) as uow:
            if (earlier := await uow.carrier_jobs.get(job_id)) is not None:
                return await _with_history(uow, earlier)  # a concurrent retry recorded it
            task = await uow.load_for_update(uow.tasks, TASKS, task_name.id)
            saved = await uow.tasks.save(hand_to_carrier(task))
            job = await uow.carrier_jobs.add(
                CarrierJob(
                    id=job_id,
                    task_id=task.id,
                    account_id=account.id,
                    carrier_ref=booking.carrier_ref,
                    status=booking.status,
                    carrier_status=booking.status.value,
                    quote_id=quote.id,
                    currency=booking.price.currency,
                    quoted_amount=booking.price.amount,
                    status_time=now,
                    tracking_url=booking.tracking_url,
                )
            )
            await uow.carrier_jobs.add_event(
                job.id, JobEvent("", booking.status, booking.status.value, now, applied=True)
            )
            account_name = CARRIER_ACCOUNTS.name(tenant, account.id)
            await record(
                caller,
                uow,
                task,
                saved,
                TaskAssigned,
                reason=f"to carrier {account.display_name} ({account_name})",
            )
            await uow.emit(
                CarrierJobBooked(
                    job=CARRIER_JOBS.name(tenant, task.id, job.id),
                    task=str(task_name),
                    account=account_name,
                    carrier_ref=job.carrier_ref,
                    quoted_amount=job.quoted_amount,
                    currency=job.currency,
                )
            )
            return await _with_history(uow, job)

    async def _failed(
        self, task: ResourceName, failures: list[tuple[str, str]], *, to_manual: bool = False
    ) -> None:
        """``carrier.failure`` per (account, reason); ``to_manual``: the task, if still waiting,
        goes to manual dispatch (``task.manual_dispatch``)."""
        async with self._store.write(task.tenant) as uow:
            for account, reason in failures:
                await uow.emit(CarrierFailure(task=str(task), account=account, reason=reason))
            if not to_manual:
                return
            found = await uow.load_for_update(uow.tasks, TASKS, task.id)
            if found.state is TaskState.CREATED and not found.manual_dispatch:
                saved = await uow.tasks.save(dataclasses.replace(found, manual_dispatch=True))
                await record_system(
                    uow, found, saved, TaskManualDispatch, "no carrier took the task"
                )

    async def get(self, caller: Caller, name: ChildName) -> JobRecord:
        tenant = name.parent.tenant
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            job = await uow.carrier_jobs.get(name.id)
            if job is None or job.task_id != name.parent.id:
                raise CARRIER_JOBS.not_found(tenant, name.parent.id, name.id)
            return await _with_history(uow, job)

    async def list(
        self, caller: Caller, task_name: ResourceName, page: PageRequest
    ) -> Page[JobRecord]:
        caller.require(Scope.READ, task_name.tenant)
        async with self._store.read(task_name.tenant) as uow:
            await uow.load(uow.tasks, TASKS, task_name.id)
            jobs = await uow.carrier_jobs.for_task(task_name.id, page)
            return Page([await _with_history(uow, j) for j in jobs.items], jobs.next)


async def _with_history(uow: UnitOfWork, job: CarrierJob) -> JobRecord:
    return JobRecord(job, tuple(await uow.carrier_jobs.events(job.id)))


def _job_id(task: ResourceName, request_id: str | None) -> uuid.UUID:
    """The job's id, which is also the carrier's idempotency key: made from the request id, so
    a retried request books the same job, else new."""
    if not request_id:
        return uuid.uuid4()
    digest = hashlib.sha256(f"{task}\0{request_id}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _request(task: Task, account: CarrierAccount) -> QuoteRequest:
    return QuoteRequest(
        reference=str(task.id),
        pickup=_place(task.steps[0]),
        drop_off=_place(task.steps[1]),
        weight_kg=_weight(task),
        vehicle_type=account.vehicle_types[0] if account.vehicle_types else None,
    )


def _weight(task: Task) -> float:
    return sum(i.weight_kg * i.quantity for i in task.items)


def _fits(task: Task, account: CarrierAccount) -> bool:
    try:
        _check_fit(task, account)
    except FailedPrecondition:
        return False
    return True


def _check_fit(task: Task, account: CarrierAccount) -> None:
    require_carriable(task)
    if account.disabled:
        raise FailedPrecondition(
            "the carrier account is disabled", reason="CARRIER_ACCOUNT_DISABLED"
        )
    weight = _weight(task)
    if account.max_weight_kg and weight > account.max_weight_kg:
        raise FailedPrecondition(
            f"the task's items weigh {weight:g} kg; the account takes at most "
            f"{account.max_weight_kg:g} kg",
            reason="CARRIER_LIMIT_EXCEEDED",
        )


def _place(step: Step) -> Place:
    return Place(step.latitude, step.longitude, step.address, step.contact_name, step.contact_phone)
