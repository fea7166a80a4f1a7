"""Task use cases: create (idempotent), read, list, edit, the transitions of the state machine,
completing a step with its proofs, and the tenant's SLA policy. (The trail, the SLA timers,
editing and the proofs' files have modules of their own.)"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from logistics.blobs.interface import BlobStore
from logistics.domain import tasks as machine
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import DomainError, FailedPrecondition, InvalidArgument
from logistics.domain.events import (
    TaskArrived,
    TaskAssigned,
    TaskCancelled,
    TaskCreated,
    TaskEnRoute,
    TaskEvent,
    TaskFailed,
    TaskReady,
)
from logistics.domain.failed_delivery import FailReason
from logistics.domain.fleet import RiderState
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import RIDERS, TASKS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.presence import CompletionPolicy
from logistics.domain.rider_actions import ActionStamp, device_time
from logistics.domain.task_records import ProofRow, SlaPolicy, TaskEventRow, TaskFilter
from logistics.domain.tasks import Task, TaskState
from logistics.domain.timers import DueTimer
from logistics.domain.transfers import Line
from logistics.domain.versioning import check_etag
from logistics.outages import OutageLog
from logistics.services.directory import Outlets
from logistics.services.idempotency import claim_create
from logistics.services.tasks import presence, sla
from logistics.services.tasks.access import authorise, authorise_proof_reader, authorise_rider
from logistics.services.tasks.addresses import ask_geocoding
from logistics.services.tasks.batch import BatchCreator, NewTask, Outcome
from logistics.services.tasks.completion import StepCompletion
from logistics.services.tasks.delays import arm_delay_check
from logistics.services.tasks.editing import TaskEditor
from logistics.services.tasks.evidence import Evidence, hashed
from logistics.services.tasks.flow_hooks import FlowHooks, NoFlows
from logistics.services.tasks.intake import (
    CREATE_METHOD,
    CreatedTask,
    fingerprinted,
    task_fingerprint,
    with_codes,
)
from logistics.services.tasks.observations import record_leg
from logistics.services.tasks.offline import apply_once, fingerprint
from logistics.services.tasks.origins import record_links, require_origin
from logistics.services.tasks.placing import needs_placing, placed_at_outlets
from logistics.services.tasks.presence import (
    PresenceChecker,
    RiderPositions,
    SentPosition,
    record_flag,
)
from logistics.services.tasks.proofs import (
    ProofFiles,
    ProofInput,
    with_items,
)
from logistics.services.tasks.rider_news import RiderMessages, RiderNews
from logistics.services.tasks.sla import clear_sla_timers, set_sla_timers
from logistics.services.tasks.trail import Location, notify_curbside, record
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)


class TaskFollower(Protocol):
    """What follows a task's transitions in their unit of work (the transfers it carries,
    ``services.transfers.follow``): ``received``, the lines counted in at a completed step;
    ``reason``, a failure's or cancellation's."""

    async def task_changed(
        self,
        caller: Caller,
        uow: UnitOfWork,
        before: Task,
        after: Task,
        received: Sequence[Line],
        reason: str | None = None,
    ) -> None: ...


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
        riders: RiderMessages | None = None,
        positions: RiderPositions | None = None,
        flows: FlowHooks | None = None,
        follower: TaskFollower | None = None,
    ) -> None:
        """``riders``: the riders' open streams, told of edits to the tasks they carry;
        ``positions``: the live index, for verified completion (``presence``); ``flows``:
        the flow engine, told of each change in its unit of work; ``follower``: what follows
        each transition in its transaction (transfers)."""
        self._store = store
        self._riders = RiderNews(riders)
        self._editor = TaskEditor(store, clock, self._riders)
        self._batch = BatchCreator(store, outlets, clock)
        self._outlets = outlets
        self._files = ProofFiles(blobs, max_proof_bytes)
        self._presence = PresenceChecker(positions)
        self._flows: FlowHooks = flows if flows is not None else NoFlows()
        self._follower = follower
        self._completion = StepCompletion(
            store, self._files, clock, self._presence, self._flows, follower=follower
        )
        self._clock = clock
        self._on_rider_change = on_rider_change
        self._max_active_tasks = max_active_tasks
        self._outages = OutageLog()

    async def followed(
        self, caller: Caller, uow: UnitOfWork, before: Task, after: Task, reason: str | None
    ) -> None:
        """In a transition's unit of work, whoever made it (these use cases, or a carrier's
        callback): the transfers the task carries and the flows waiting for it follow."""
        if self._follower is not None:
            await self._follower.task_changed(caller, uow, before, after, (), reason)
        await self._flows.task_changed(uow, before, after)

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
        asked = fingerprinted(task)  # as sent: a retry matches whatever the outlet says now
        task = await self._placed(tenant, task)
        machine.validate_task(task)
        ready, issued = with_codes(task, codes)
        async with self._store.write(tenant) as uow:
            earlier = await claim_create(
                uow, CREATE_METHOD, request_id, asked, task_fingerprint(asked)
            )
            if earlier is not None:
                return CreatedTask(await uow.load(uow.tasks, TASKS, earlier), {})
            await self._outlets.ensure(uow, [task.outlet_id, *(s.outlet_id for s in task.steps)])
            await require_origin(uow, task)
            created = await uow.tasks.add(ready)
            await record(caller, uow, None, created, TaskCreated)
            await record_links(caller, uow, [created])
            await set_sla_timers(uow, created, self._clock.now())
            await ask_geocoding(uow, created, self._clock.now())
        return CreatedTask(created, issued)

    async def _placed(self, tenant: TenantSlug, task: Task) -> Task:
        """Pickup steps naming an outlet without a point, placed at the outlet."""
        if not needs_placing(task):
            return task
        async with self._store.read(tenant) as uow:
            (placed,) = await placed_at_outlets(uow, [task])
        if isinstance(placed, InvalidArgument):
            raise placed
        return placed

    async def update(
        self, caller: Caller, name: ResourceName, changes: Mapping[str, Any], etag: str | None
    ) -> Task:
        """UpdateTask (see ``editing``): ``changes`` by update-mask path."""
        return await self._editor.update(caller, name, changes, etag)

    async def batch_create(
        self,
        caller: Caller,
        tenant: TenantSlug,
        items: Sequence[NewTask | InvalidArgument],
        *,
        all_or_nothing: bool,
    ) -> list[Outcome]:
        """BatchCreateTasks (see ``batch``): one outcome per item."""
        return await self._batch.create(caller, tenant, items, all_or_nothing=all_or_nothing)

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
        authorise_proof_reader(caller, name)
        async with self._store.read(name.tenant) as uow:
            task = await uow.load(uow.tasks, TASKS, name.id)
            return with_items(task, await uow.tasks.proofs(name.id))

    async def open_proof_file(self, key: str) -> AsyncIterator[bytes]:
        return await self._files.open(key)

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

        async def check(uow: UnitOfWork, task: Task, when: datetime) -> Task:
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

    # Rider actions: ``stamp`` makes them offline-safe (see ``offline``).

    async def start(
        self,
        caller: Caller,
        name: ResourceName,
        location: Location | None,
        etag: str | None,
        stamp: ActionStamp | None = None,
    ) -> Task:
        return await self._transition(
            caller,
            name,
            etag,
            TaskEnRoute,
            _pure(machine.start),
            location=location,
            rider=RiderAction(stamp, fingerprint("StartTask", str(name), location)),
        )

    async def arrive(
        self,
        caller: Caller,
        name: ResourceName,
        step_id: str,
        location: Location | None,
        etag: str | None,
        stamp: ActionStamp | None = None,
        accuracy_m: float = 0.0,
    ) -> Task:
        """At a curbside pickup the arrival also emits ``task.rider_arrived`` for the outlet.
        The leg just ridden is kept for the calibrated ETAs (``tasks.observations``). The
        rider's position is checked against the step's (``presence``): outside, the step is
        flagged, or the arrival refused where the tenant's policy says so."""
        sent = SentPosition(location, accuracy_m)

        async def change(uow: UnitOfWork, task: Task, when: datetime) -> Task:
            machine.arrive(task, step_id, when)  # an illegal arrival is refused first
            check = await self._presence.check(uow, caller, task, sent, when, "arrive")
            return machine.arrive(task, step_id, when, check)

        async def then(uow: UnitOfWork, saved: Task) -> None:
            await notify_curbside(caller, uow, saved, step_id)
            await record_flag(caller, uow, saved, step_id, "arrive")
            await record_leg(uow, saved, step_id)

        return await self._transition(
            caller,
            name,
            etag,
            TaskArrived,
            change,
            location=location,
            step_id=step_id,
            rider=RiderAction(
                stamp, fingerprint("ArriveAtStep", str(name), step_id, location, *sent.hashed())
            ),
            then=then,
        )

    async def mark_ready(self, caller: Caller, name: ResourceName, etag: str | None) -> Task:
        """MarkTaskReady: the upstream's word that the order is ready, once (a repeat returns the
        task unchanged and records nothing). Needs the scope CreateTask needs."""
        caller.require(Scope.DISPATCH, name.tenant)
        async with self._store.write(name.tenant) as uow:
            task = await uow.load_for_update(uow.tasks, TASKS, name.id)
            check_etag(etag, task.version)
            marked = machine.mark_ready(task, self._clock.now())
            if marked is task:
                return task
            saved = await uow.tasks.save(marked)
            await record(caller, uow, task, saved, TaskReady)
        return saved

    async def fail(
        self,
        caller: Caller,
        name: ResourceName,
        reason: str,
        location: Location | None,
        etag: str | None,
        stamp: ActionStamp | None = None,
        reason_code: FailReason | None = None,
        evidence: Sequence[ProofInput] = (),
    ) -> Task:
        """``reason_code``: why a drop-off failed; the tenant's failed-delivery policy then
        starts the flow that re-attempts, holds or returns it (``services.flows``).
        ``evidence``: the rider's proofs of the attempt, kept with the failed step."""
        if not reason.strip():
            raise InvalidArgument.field("reason", "is required")
        kept = Evidence(self._files, evidence)

        async def then(uow: UnitOfWork, saved: Task) -> Task:
            when = stamp.occurred if stamp is not None and stamp.occurred else self._clock.now()
            await kept.keep(uow, saved, location, when)
            return await self._flows.delivery_failed(uow, saved, reason_code)

        # A code or evidence, when given, is part of the action (a stamp reused with others is
        # refused).
        code = (reason_code.value,) if reason_code is not None else ()
        request = fingerprint("FailTask", str(name), reason, location, *code, *hashed(evidence))
        await kept.store(self._store, name)
        try:
            failed = await self._transition(
                caller,
                name,
                etag,
                TaskFailed,
                _pure(machine.fail),
                reason=reason,
                location=location,
                rider=RiderAction(stamp, request),
                then=then,
            )
            kept.committed()
            return failed
        finally:
            await kept.discard_unless_kept()

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
        stamp: ActionStamp | None = None,
        accuracy_m: float = 0.0,
        received: Sequence[Line] = (),
    ) -> Task:
        """See ``completion.StepCompletion``; ``received``: the lines counted in at a
        transfer's drop-off."""
        before, done = await self._completion.complete(
            caller,
            name,
            step_id,
            proofs,
            SentPosition(location, accuracy_m),
            etag,
            stamp,
            received=received,
        )
        if before is not None and done.state is TaskState.COMPLETED:
            await self._riders_changed(name.tenant, before, done)
        return done

    async def note(
        self, caller: Caller, name: ResourceName, event: type[TaskEvent], reason: str
    ) -> None:
        """A step of dispatch that changes nothing but belongs in the trail and the events."""
        async with self._store.write(name.tenant) as uow:
            task = await uow.load(uow.tasks, TASKS, name.id)
            await record(caller, uow, task, task, event, reason=reason)

    async def hand_to_manual(self, caller: Caller, name: ResourceName, reason: str) -> Task:
        async with self._store.write(name.tenant) as uow:
            task = await uow.load_for_update(uow.tasks, TASKS, name.id)
            return await self.unassign_for_manual_dispatch(uow, task, reason)

    async def unassign_for_manual_dispatch(self, uow: UnitOfWork, task: Task, reason: str) -> Task:
        """SLA escalation: a task not yet started goes back to the dispatchers."""
        return await sla.unassign_for_manual_dispatch(uow, task, reason)

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
        rider: RiderAction | None = None,
        then: Callable[[UnitOfWork, Task], Awaitable[Task | None]] | None = None,
    ) -> Task:
        """``rider``: a rider's action (the rider's own token may make it), offline-safe when
        it carries a stamp. ``then``: more to record in the same transaction, given the task
        as saved (returning the task as it then is, if it changed it). The flows waiting for
        the task hear of it in the same transaction."""
        if rider is not None:
            authorise(caller, name)
        else:
            caller.require(Scope.DISPATCH, name.tenant)
        before: Task | None = None
        stamp = rider.stamp if rider is not None else None

        async def apply() -> Task:
            nonlocal before
            task = before = await uow.load_for_update(uow.tasks, TASKS, name.id)
            if rider is not None:
                authorise_rider(caller, task)
            check_etag(etag, task.version)
            when = device_time(stamp or ActionStamp(), self._clock.now(), task.create_time)
            saved = await uow.tasks.save(await change(uow, task, when))
            occurred = when if stamp is not None and stamp.occurred is not None else None
            await record(
                caller,
                uow,
                task,
                saved,
                event,
                reason=reason,
                location=location,
                step_id=step_id,
                occurred=occurred,
            )
            if then is not None:
                saved = await then(uow, saved) or saved
            await self.followed(caller, uow, task, saved, reason)
            if saved.state in machine.TERMINAL:
                await clear_sla_timers(uow, saved)
            else:
                await arm_delay_check(uow, task, saved, self._clock.now())
            return saved

        async with self._store.write(name.tenant) as uow:
            method, request_hash = (event.kind(), rider.request_hash) if rider else ("", "")
            outcome, replayed = await apply_once(uow, caller, stamp, method, request_hash, apply)
        if isinstance(outcome, DomainError):
            raise outcome
        if before is not None and not replayed:
            await self._riders_changed(name.tenant, before, outcome)
            await self._riders.moved(caller, name, before, outcome)
        return outcome

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

    # SLA

    async def handle_sla_timer(self, uow: UnitOfWork, timer: DueTimer) -> None:
        """Fired by the worker (see ``sla.handle_sla_timer``)."""
        await sla.handle_sla_timer(uow, timer, self._riders)

    async def get_sla_policy(self, caller: Caller, tenant: TenantSlug) -> SlaPolicy:
        return await sla.get_policy(self._store, caller, tenant)

    async def update_sla_policy(
        self, caller: Caller, tenant: TenantSlug, policy: SlaPolicy, etag: str | None
    ) -> SlaPolicy:
        return await sla.update_policy(self._store, caller, tenant, policy, etag)

    # Verified completion

    async def get_completion_policy(self, caller: Caller, tenant: TenantSlug) -> CompletionPolicy:
        return await presence.get_policy(self._store, caller, tenant)

    async def update_completion_policy(
        self, caller: Caller, tenant: TenantSlug, policy: CompletionPolicy, etag: str | None
    ) -> CompletionPolicy:
        return await presence.update_policy(self._store, caller, tenant, policy, etag)


def _pure(step: Any) -> Any:
    async def change(uow: UnitOfWork, task: Task, when: datetime) -> Task:
        return step(task)  # type: ignore[no-any-return]

    return change


@dataclass(frozen=True)
class RiderAction:
    """A rider's action on its way to ``_transition``: its stamp and its request's hash."""

    stamp: ActionStamp | None
    request_hash: str
