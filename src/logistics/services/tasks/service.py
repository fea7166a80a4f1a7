"""Task use cases: create (idempotent), read, list, the transitions of the state machine with
their audit trail and events, proof of delivery, SLA timers and the tenant's SLA policy."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.blobs.errors import BlobEmpty, BlobError, BlobTooLarge, BlobTypeNotAllowed
from logistics.blobs.interface import BlobStore, StoredBlob
from logistics.domain import tasks as machine
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Unavailable,
)
from logistics.domain.events import (
    TaskArrived,
    TaskAssigned,
    TaskCancelled,
    TaskCompleted,
    TaskCreated,
    TaskEnRoute,
    TaskEvent,
    TaskFailed,
    TaskManualDispatch,
    TaskSlaAtRisk,
    TaskSlaBreached,
    TaskStepCompleted,
)
from logistics.domain.fleet import RiderState
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import RIDERS, SLA_POLICY, TASKS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.task_records import ProofRow, SlaPolicy, TaskEventRow, TaskFilter
from logistics.domain.tasks import ProofKind, Task, TaskState
from logistics.domain.text import shown
from logistics.domain.versioning import check_etag
from logistics.outages import OutageLog
from logistics.services.codes import code_matches, hash_code, new_code
from logistics.services.directory import Outlets
from logistics.services.idempotency import claim_create
from logistics.store.snapshot import snapshot
from logistics.store.timers import DueTimer
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

PROOF_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic"})
SLA_TIMERS = (
    "task.pickup_at_risk",
    "task.pickup_breached",
    "task.delivery_at_risk",
    "task.delivery_breached",
)
Location = tuple[float, float]


def public(task: Task) -> dict[str, Any]:
    """The task as events and audit rows show it: never a code's hash."""
    data: dict[str, Any] = snapshot(task, public=True)
    return data


@dataclass(frozen=True)
class CreatedTask:
    task: Task
    issued_codes: dict[str, str]  # step id -> one-time code the service made (first create only)


@dataclass(frozen=True)
class ProofInput:
    kind: ProofKind
    text: str | None = None
    content: bytes | None = None
    temperatures_c: tuple[float, ...] = ()
    location: Location | None = None
    capture_time: datetime | None = None


class TaskService:
    """Creating and reading tasks needs ``logistics:dispatch`` (reads: ``logistics:read``);
    rider transitions need ``logistics:dispatch`` or the rider's own token (``logistics:telemetry``
    with the task's rider id)."""

    def __init__(
        self,
        store: Store,
        outlets: Outlets,
        blobs: BlobStore,
        clock: Clock,
        *,
        max_proof_bytes: int = 10 * 1024 * 1024,
        on_rider_change: Callable[[TenantSlug, uuid.UUID], Awaitable[None]] | None = None,
        max_active_tasks: int = 1,
    ) -> None:
        self._store = store
        self._outlets = outlets
        self._blobs = blobs
        self._clock = clock
        self._max_proof_bytes = max_proof_bytes
        self._on_rider_change = on_rider_change
        self._max_active_tasks = max_active_tasks
        self._outages = OutageLog()

    # Create and read

    async def create(
        self,
        caller: Caller,
        tenant: TenantSlug,
        task: Task,
        codes: dict[str, str],
        request_id: str | None,
    ) -> CreatedTask:
        """``codes``: one-time codes given by the caller per step id; a step that needs one and
        has none gets one made here, returned once."""
        caller.require(Scope.DISPATCH, tenant)
        machine.validate_task(task)
        fingerprint_of = dataclasses.replace(task, metadata=dict(task.metadata))
        issued: dict[str, str] = {}
        steps = []
        for step in task.steps:
            if ProofKind.ONE_TIME_CODE in step.required_proofs:
                code = codes.get(step.id) or new_code()
                if step.id not in codes:
                    issued[step.id] = code
                step = dataclasses.replace(step, code_hash=hash_code(code))
            steps.append(step)
        ready = dataclasses.replace(task, steps=tuple(steps), state=TaskState.CREATED)
        async with self._store.write(tenant) as uow:
            # The codes are secrets: they stay out of the stored fingerprint (a plain hash of a
            # short code is easily reversed), so a retry with other codes counts as the same.
            earlier = await claim_create(uow, "CreateTask", request_id, fingerprint_of)
            if earlier is not None:
                return CreatedTask(await uow.load(uow.tasks, TASKS, earlier), {})
            await self._outlets.ensure(uow, [task.outlet_id, *(s.outlet_id for s in task.steps)])
            created = await uow.tasks.add(ready)
            await self._record(caller, uow, None, created, TaskCreated)
            await self._set_sla_timers(uow, created)
        return CreatedTask(created, issued)

    async def get(self, caller: Caller, name: ResourceName) -> Task:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.tasks, TASKS, name.id)

    async def list_tasks(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest, f: TaskFilter
    ) -> Page[Task]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.tasks.find(page, f)

    async def events(
        self, caller: Caller, name: ResourceName, after_seq: int, limit: int
    ) -> list[tuple[int, TaskEventRow]]:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            await uow.load(uow.tasks, TASKS, name.id)
            return await uow.tasks.events(name.id, after_seq, limit)

    async def proofs(self, caller: Caller, name: ResourceName) -> list[ProofRow]:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            await uow.load(uow.tasks, TASKS, name.id)
            return await uow.tasks.proofs(name.id)

    async def open_proof_file(self, key: str) -> AsyncIterator[bytes]:
        with _blob_errors():
            return await self._blobs.open(key)

    # Transitions

    async def assign(
        self,
        caller: Caller,
        name: ResourceName,
        rider: ResourceName,
        reason: str | None,
        etag: str | None,
        *,
        only_if_unassigned: bool = False,
    ) -> Task:
        """A dispatcher's manual choice or override (audited with its reason), or the end of an
        accepted offer (``only_if_unassigned``: a task someone else took stays theirs).

        Atomic: the task's row and then the rider's row are locked, so however many
        assignments run at once a task has one assignee and a rider never holds more than
        ``max_active_tasks`` active tasks."""
        caller.require(Scope.DISPATCH)
        if rider.tenant != name.tenant:
            raise InvalidArgument.field("rider", "names a rider of another tenant")

        async def check(uow: UnitOfWork, task: Task) -> Task:
            if only_if_unassigned and task.state is not TaskState.CREATED:
                raise FailedPrecondition("the task is already taken", reason="TASK_TAKEN")
            found = await uow.load_for_update(uow.riders, RIDERS, rider.id)
            if found.state is not RiderState.ACTIVE:
                raise FailedPrecondition(
                    f"rider {rider} is {found.state.value}", reason="RIDER_NOT_ACTIVE"
                )
            if task.rider_id != rider.id:
                active = await uow.tasks.active_count(rider.id)
                if active >= self._max_active_tasks:
                    raise FailedPrecondition(
                        f"rider {rider} already has {active} active task(s)",
                        reason="RIDER_AT_CAPACITY",
                    )
            return machine.assign(task, rider.id)

        return await self._transition(caller, name, etag, TaskAssigned, check, reason=reason)

    async def start(
        self, caller: Caller, name: ResourceName, location: Location | None, etag: str | None
    ) -> Task:
        return await self._transition(
            caller, name, etag, TaskEnRoute, _pure(machine.start), location=location, rider_may=True
        )

    async def arrive(
        self,
        caller: Caller,
        name: ResourceName,
        step_id: str,
        location: Location | None,
        etag: str | None,
    ) -> Task:
        now = self._clock.now()
        return await self._transition(
            caller,
            name,
            etag,
            TaskArrived,
            _pure(lambda t: machine.arrive(t, step_id, now)),
            location=location,
            step_id=step_id,
            rider_may=True,
        )

    async def fail(
        self,
        caller: Caller,
        name: ResourceName,
        reason: str,
        location: Location | None,
        etag: str | None,
    ) -> Task:
        if not reason.strip():
            raise InvalidArgument.field("reason", "is required")
        return await self._transition(
            caller,
            name,
            etag,
            TaskFailed,
            _pure(machine.fail),
            reason=reason,
            location=location,
            rider_may=True,
        )

    async def cancel(
        self, caller: Caller, name: ResourceName, reason: str | None, etag: str | None
    ) -> Task:
        return await self._transition(
            caller, name, etag, TaskCancelled, _pure(machine.cancel), reason=reason
        )

    async def complete_step(
        self,
        caller: Caller,
        name: ResourceName,
        step_id: str,
        proofs: list[ProofInput],
        location: Location | None,
        etag: str | None,
    ) -> Task:
        """Completes the current step with its proofs (files stored first, removed again if the
        completion does not happen). A wrong one-time code is counted even though the call
        fails; after too many the code is locked."""
        self._authorise(caller, name)
        _check_proofs(proofs)
        stored = await self._store_files(name, proofs)
        kept = False
        try:
            wrong_code = False
            async with self._store.write(name.tenant) as uow:
                task = await uow.load_for_update(uow.tasks, TASKS, name.id)
                self._authorise_rider(caller, task)
                check_etag(etag, task.version)
                machine.require_allowed(task, machine.Action.COMPLETE_STEP)
                step = task.step
                if step.id != step_id:
                    raise FailedPrecondition(
                        f"step {shown(step_id)} is not the current step ({shown(step.id)})",
                        reason="NOT_CURRENT_STEP",
                    )
                given = {p.kind for p in proofs}
                override: str | None = None
                locked = step.code_attempts >= machine.MAX_CODE_ATTEMPTS
                if (
                    locked
                    and ProofKind.ONE_TIME_CODE not in given
                    and caller.has(Scope.DISPATCH)
                    and not caller.rider_id
                ):
                    # A dispatcher takes over a step whose code was locked (audited as such).
                    given.add(ProofKind.ONE_TIME_CODE)
                    override = "one-time code locked; completed by a dispatcher"
                elif (
                    ProofKind.ONE_TIME_CODE in step.required_proofs
                    and ProofKind.ONE_TIME_CODE in given
                ):
                    if step.code_attempts >= machine.MAX_CODE_ATTEMPTS:
                        raise FailedPrecondition(
                            "the one-time code is locked after too many wrong attempts; "
                            "a dispatcher must handle this step",
                            reason="CODE_LOCKED",
                        )
                    code = next(p.text for p in proofs if p.kind is ProofKind.ONE_TIME_CODE) or ""
                    if not step.code_hash or not code_matches(code, step.code_hash):
                        await uow.tasks.save(machine.record_code_attempt(task, step_id))
                        wrong_code = True
                if not wrong_code:
                    done = machine.complete_step(task, step_id, frozenset(given), self._clock.now())
                    for proof, blob in zip(proofs, stored, strict=True):
                        await uow.tasks.add_proof(task.id, _proof_row(step_id, proof, blob))
                    saved = await uow.tasks.save(done)
                    done_event = (
                        TaskCompleted if saved.state is TaskState.COMPLETED else TaskStepCompleted
                    )
                    await self._record(
                        caller,
                        uow,
                        task,
                        saved,
                        done_event,
                        location=location,
                        step_id=step_id,
                        reason=override,
                    )
                    if saved.state is TaskState.COMPLETED:
                        await self._clear_sla_timers(uow, saved)
            if wrong_code:
                raise FailedPrecondition("the one-time code is wrong", reason="WRONG_CODE")
            kept = True
        finally:
            if not kept:
                for blob in stored:
                    if blob is not None:
                        await self._discard(blob.key)
        if saved.state is TaskState.COMPLETED:
            await self._riders_changed(name.tenant, task, saved)
        return saved

    async def note(
        self, caller: Caller, name: ResourceName, event: type[TaskEvent], reason: str
    ) -> None:
        """A step of dispatch that changes nothing but belongs in the trail and the events."""
        async with self._store.write(name.tenant) as uow:
            task = await uow.load(uow.tasks, TASKS, name.id)
            await self._record(caller, uow, task, task, event, reason=reason)

    async def hand_to_manual(self, caller: Caller, name: ResourceName, reason: str) -> Task:
        async with self._store.write(name.tenant) as uow:
            task = await uow.load_for_update(uow.tasks, TASKS, name.id)
            return await self.unassign_for_manual_dispatch(uow, task, reason)

    async def unassign_for_manual_dispatch(self, uow: UnitOfWork, task: Task, reason: str) -> Task:
        """SLA escalation: a task not yet started goes back to the dispatchers."""
        if task.state is TaskState.ASSIGNED:
            changed = machine.unassign(task, manual_dispatch=True)
        elif task.state is TaskState.CREATED:
            changed = dataclasses.replace(task, manual_dispatch=True)
        else:
            return task
        saved = await uow.tasks.save(changed)
        await self._record_system(uow, task, saved, TaskManualDispatch, reason)
        return saved

    async def _transition(
        self,
        caller: Caller,
        name: ResourceName,
        etag: str | None,
        event: type[TaskEvent],
        change: Any,
        *,
        reason: str | None = None,
        location: Location | None = None,
        step_id: str | None = None,
        rider_may: bool = False,
    ) -> Task:
        if rider_may:
            self._authorise(caller, name)
        else:
            caller.require(Scope.DISPATCH, name.tenant)
        async with self._store.write(name.tenant) as uow:
            task = await uow.load_for_update(uow.tasks, TASKS, name.id)
            if rider_may:
                self._authorise_rider(caller, task)
            check_etag(etag, task.version)
            changed = await change(uow, task)
            saved = await uow.tasks.save(changed)
            await self._record(
                caller, uow, task, saved, event, reason=reason, location=location, step_id=step_id
            )
            if saved.state in machine.TERMINAL:
                await self._clear_sla_timers(uow, saved)
        await self._riders_changed(name.tenant, task, saved)
        return saved

    async def _riders_changed(self, tenant: TenantSlug, before: Task, after: Task) -> None:
        """After a commit: the riders whose load changed get their dispatch profile redone."""
        if self._on_rider_change is None:
            return
        riders = {r for r in (before.rider_id, after.rider_id) if r is not None}
        if before.state is after.state and before.rider_id == after.rider_id:
            return
        for rider in riders:
            try:
                await self._on_rider_change(tenant, rider)
            except Exception as exc:
                self._outages.failed(logger, "riders' dispatch profiles are not refreshed", exc)

    @staticmethod
    def _authorise(caller: Caller, name: ResourceName) -> None:
        caller.require_tenant(name.tenant)
        if not (caller.has(Scope.DISPATCH) or (caller.rider_id and caller.has(Scope.TELEMETRY))):
            caller.require(Scope.DISPATCH)

    @staticmethod
    def _authorise_rider(caller: Caller, task: Task) -> None:
        """A rider's own token may move only the tasks assigned to that rider."""
        if caller.has(Scope.DISPATCH):
            return
        if task.rider_id is None or str(task.rider_id) != caller.rider_id:
            raise PermissionDenied("this task is not assigned to you", reason="NOT_YOUR_TASK")

    async def _record(
        self,
        caller: Caller,
        uow: UnitOfWork,
        before: Task | None,
        after: Task,
        event: type[TaskEvent],
        *,
        reason: str | None = None,
        location: Location | None = None,
        step_id: str | None = None,
    ) -> None:
        """The task's audit trail, the audit log and the outbox event, in one transaction."""
        name = TASKS.name(uow.tenant, after.id)
        kind = event.kind()
        await uow.tasks.add_event(
            after.id,
            kind,
            caller.subject,
            from_state=before.state if before else None,
            to_state=after.state,
            reason=reason,
            location=location,
            step_id=step_id,
        )
        await uow.record(
            caller.subject,
            f"task.{kind}",
            name,
            before=public(before) if before else None,
            after=public(after),
            event=event(
                name=name,
                task=after,
                from_state=before.state if before else None,
                reason=reason,
                step_id=step_id,
                rider=RIDERS.name(uow.tenant, after.rider_id) if after.rider_id else None,
            ),
        )

    async def _record_system(
        self, uow: UnitOfWork, before: Task, after: Task, event: type[TaskEvent], reason: str
    ) -> None:
        system = Caller(uow.tenant, "system", frozenset({Scope.ADMIN}))
        await self._record(system, uow, before, after, event, reason=reason)

    # SLA

    async def _set_sla_timers(self, uow: UnitOfWork, task: Task) -> None:
        policy = await uow.tasks.sla_policy()
        now = self._clock.now()
        for prefix, deadline in (
            ("task.pickup", task.pickup_deadline),
            ("task.delivery", task.delivery_deadline),
        ):
            at_risk = None
            if deadline is not None and deadline > now and policy.at_risk_before:
                # Created already inside the warning window: the alert is due at once.
                at_risk = max(deadline - policy.at_risk_before, now)
            await uow.timers.set(f"{prefix}_at_risk", task.id, at_risk)
            await uow.timers.set(f"{prefix}_breached", task.id, deadline)

    async def _clear_sla_timers(self, uow: UnitOfWork, task: Task) -> None:
        for kind in SLA_TIMERS:
            await uow.timers.set(kind, task.id, None)

    async def handle_sla_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Fired by the worker: at risk (an alert) or breached (an event and the policy's
        action). Nothing happens for a task that has ended or whose pickup is done."""
        task = await uow.tasks.get(timer.subject_id, for_update=True)
        if task is None or task.state in machine.TERMINAL:
            return
        if timer.kind.startswith("task.pickup") and task.pickup_done():
            return
        breached = timer.kind.endswith("_breached")
        which = "pickup" if timer.kind.startswith("task.pickup") else "delivery"
        level = machine.SlaState.BREACHED if breached else machine.SlaState.AT_RISK
        if task.sla_state is machine.SlaState.BREACHED and not breached:
            return
        saved = await uow.tasks.save(dataclasses.replace(task, sla_state=level))
        event = TaskSlaBreached if breached else TaskSlaAtRisk
        await self._record_system(uow, task, saved, event, f"{which} deadline")
        if breached and (await uow.tasks.sla_policy()).breach_action == "manual_dispatch":
            await self.unassign_for_manual_dispatch(uow, saved, f"{which} deadline breached")

    async def get_sla_policy(self, caller: Caller, tenant: TenantSlug) -> SlaPolicy:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.tasks.sla_policy()

    async def update_sla_policy(
        self, caller: Caller, tenant: TenantSlug, policy: SlaPolicy, etag: str | None
    ) -> SlaPolicy:
        caller.require(Scope.ADMIN, tenant)
        if policy.at_risk_before.total_seconds() < 0 or policy.at_risk_before.days > 7:
            raise InvalidArgument.field("policy.at_risk_before", "must be between 0 and 7 days")
        async with self._store.write(tenant) as uow:
            await uow.lock("sla_policy", "")
            current = await uow.tasks.sla_policy()
            check_etag(etag, current.version)
            updated = await uow.tasks.put_sla_policy(policy)
            name = SLA_POLICY.name(tenant)
            await uow.audit(
                caller.subject, "sla_policy.update", name, before=current, after=updated
            )
            return updated

    # Files

    async def _store_files(
        self, name: ResourceName, proofs: list[ProofInput]
    ) -> list[StoredBlob | None]:
        tenant_id = await self._store.tenants.ensure(name.tenant)

        async def one(proof: ProofInput) -> StoredBlob | None:
            if proof.kind not in (ProofKind.PHOTO, ProofKind.SIGNATURE):
                return None
            key = f"tenants/{tenant_id}/tasks/{name.id}/proofs/{uuid.uuid4().hex}"
            with _blob_errors():
                return await self._blobs.put(
                    key,
                    _once(proof.content or b""),
                    max_bytes=self._max_proof_bytes,
                    allowed_types=PROOF_IMAGE_TYPES,
                )

        results = await asyncio.gather(*(one(p) for p in proofs), return_exceptions=True)
        stored = [r for r in results if isinstance(r, StoredBlob)]
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            for blob in stored:
                await self._discard(blob.key)
            raise failure
        return [r if isinstance(r, StoredBlob) else None for r in results]

    async def _discard(self, key: str) -> None:
        try:
            await self._blobs.delete(key)
        except BlobError:
            logger.warning("could not delete blob %s; it is orphaned", key, exc_info=True)


def _pure(step: Any) -> Any:
    async def change(uow: UnitOfWork, task: Task) -> Task:
        return step(task)  # type: ignore[no-any-return]

    return change


def _check_proofs(proofs: list[ProofInput]) -> None:
    kinds = [p.kind for p in proofs if p.kind is not ProofKind.PHOTO]  # photos may be several
    if len(kinds) != len(set(kinds)):
        raise InvalidArgument.field("proofs", "gives a kind of proof twice")
    for i, p in enumerate(proofs):
        field = f"proofs[{i}]"
        texts = (ProofKind.ONE_TIME_CODE, ProofKind.NFC_TAG, ProofKind.RECIPIENT_NAME)
        if p.kind in texts and (not (p.text or "").strip() or len(p.text or "") > 200):
            raise InvalidArgument.field(
                f"{field}.text", f"is required for {p.kind.value} (at most 200 characters)"
            )
        if p.kind in (ProofKind.PHOTO, ProofKind.SIGNATURE) and not p.content:
            raise InvalidArgument.field(f"{field}.content", f"is required for a {p.kind.value}")
        if p.kind is ProofKind.TEMPERATURE_LOG:
            if not p.temperatures_c or len(p.temperatures_c) > 10_000:
                raise InvalidArgument.field(f"{field}.temperatures_c", "needs 1 to 10,000 readings")
            if any(not -100 <= t <= 200 for t in p.temperatures_c):
                raise InvalidArgument.field(f"{field}.temperatures_c", "has a reading out of range")


def _proof_row(step_id: str, proof: ProofInput, blob: StoredBlob | None) -> ProofRow:
    keep_text = proof.kind in (ProofKind.NFC_TAG, ProofKind.RECIPIENT_NAME)
    return ProofRow(
        id=uuid.uuid4(),
        step_id=step_id,
        kind=proof.kind,
        text=proof.text if keep_text else None,  # a one-time code is never stored
        temperatures_c=proof.temperatures_c,
        blob_key=blob.key if blob else None,
        file_sha256=blob.sha256 if blob else None,
        content_type=blob.content_type if blob else None,
        file_size=blob.size if blob else 0,
        latitude=proof.location[0] if proof.location else None,
        longitude=proof.location[1] if proof.location else None,
        capture_time=proof.capture_time,
    )


@contextlib.contextmanager
def _blob_errors() -> Iterator[None]:
    try:
        yield
    except (BlobTooLarge, BlobTypeNotAllowed, BlobEmpty) as exc:
        raise InvalidArgument.field("proofs.content", str(exc)) from exc
    except BlobError as exc:
        raise Unavailable(f"the blob store failed: {exc}") from exc


async def _once(content: bytes) -> AsyncIterator[bytes]:
    if content:
        yield content
