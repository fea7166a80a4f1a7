"""BatchCreateTasks (AIP-233): up to ``MAX_BATCH`` tasks in one transaction, with a few
statements whatever their number (idempotency keys, tasks, trails, audit rows, outbox rows and
SLA timers each written in one pipelined statement), not a round trip per task.

``all_or_nothing``: any bad item makes the whole call INVALID_ARGUMENT naming each bad item's
fields under ``requests[i].``, and nothing is stored. Otherwise each item gets its task or its
own error, and the good ones are stored together. Each item's ``request_id`` is a CreateTask
idempotency key: a retried batch returns the tasks the first one made.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logistics.domain import addresses
from logistics.domain import tasks as machine
from logistics.domain.addresses import GEOCODE_TIMER
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import AlreadyExists, DomainError, FieldViolation, InvalidArgument
from logistics.domain.events import TaskCreated
from logistics.domain.ids import TenantSlug
from logistics.domain.names import TASKS
from logistics.domain.tasks import Task
from logistics.domain.text import shown
from logistics.services.directory import Outlets
from logistics.services.idempotency import check_request_id, request_fingerprint, same_request
from logistics.services.tasks.intake import CREATE_METHOD, CreatedTask, fingerprinted, with_codes
from logistics.services.tasks.origins import check_origins, record_links
from logistics.services.tasks.placing import needs_placing, placed_at_outlets
from logistics.services.tasks.sla import sla_timers
from logistics.store.task_view import encode, public_view, view_fingerprint
from logistics.store.unit_of_work import Store, UnitOfWork

MAX_BATCH = 1000


@dataclass(frozen=True)
class NewTask:
    """One item of a batch as the transport read it."""

    task: Task
    codes: dict[str, str]
    request_id: str | None

    @functools.cached_property
    def view(self) -> dict[str, Any]:
        """The task's public view as sent (``public_view``): its fingerprint's and, for an
        import, its audit row's and event's (made once, while the import parses)."""
        return public_view(self.task)

    @functools.cached_property
    def fingerprint(self) -> str:
        """What its request_id stands for (``task_fingerprint``, from ``view``)."""
        return view_fingerprint(self.view)

    def placed(self, task: Task) -> NewTask:
        """This item with its task placed at its outlets (``placing``): its request_id still
        stands for the task as sent, as CreateTask's does."""
        placed = NewTask(task, self.codes, self.request_id)
        placed.__dict__["fingerprint"] = self.fingerprint  # the cached_property, as sent
        return placed

    def legacy_fingerprint(self) -> str:
        """Its fingerprint before ``view_fingerprint`` (for keys stored then)."""
        return request_fingerprint(fingerprinted(self.task))


Outcome = CreatedTask | DomainError


class BatchCreator:
    def __init__(self, store: Store, outlets: Outlets, clock: Clock) -> None:
        self._store = store
        self._outlets = outlets
        self._clock = clock

    async def create(
        self,
        caller: Caller,
        tenant: TenantSlug,
        items: Sequence[NewTask | InvalidArgument],
        *,
        all_or_nothing: bool,
    ) -> list[Outcome]:
        """One outcome per item, in order. An item may come already refused by the transport
        (``InvalidArgument``, its fields relative to the item)."""
        caller.require(Scope.DISPATCH, tenant)
        if not 1 <= len(items) <= MAX_BATCH:
            raise InvalidArgument.field("requests", f"must hold 1 to {MAX_BATCH} requests")
        items = await self._placed(tenant, items)
        outcomes: list[Outcome | None] = [_checked(item) for item in items]
        _refuse_repeated_ids(items, outcomes)
        if all_or_nothing:
            _raise_if_any_bad(outcomes)
        async with self._store.write(tenant) as uow:
            await self._store_good(caller, uow, items, outcomes, all_or_nothing)
        return [o for o in outcomes if o is not None]

    async def _placed(
        self, tenant: TenantSlug, items: Sequence[NewTask | InvalidArgument]
    ) -> Sequence[NewTask | InvalidArgument]:
        """Pickups naming only an outlet placed at it (one read of the registry for the batch);
        an outlet unknown or without a location refuses its item, naming the step."""
        waiting = [
            i
            for i, item in enumerate(items)
            if isinstance(item, NewTask) and needs_placing(item.task)
        ]
        if not waiting:
            return items
        async with self._store.read(tenant) as uow:
            results = await placed_at_outlets(uow, [_new(items[i]).task for i in waiting])
        out = list(items)
        for i, result in zip(waiting, results, strict=True):
            out[i] = (
                result if isinstance(result, InvalidArgument) else _new(items[i]).placed(result)
            )
        return out

    async def _store_good(
        self,
        caller: Caller,
        uow: UnitOfWork,
        items: Sequence[NewTask | InvalidArgument],
        outcomes: list[Outcome | None],
        all_or_nothing: bool,
    ) -> None:
        """Fills in ``outcomes``' open slots: earlier results of retried request ids, or the
        tasks created now."""
        good = [(i, item) for i, item in enumerate(items) if outcomes[i] is None]
        fresh = [(i, item) for i, item in good if isinstance(item, NewTask)]
        earlier = await claim(uow, fresh)
        retried: dict[int, uuid.UUID] = {}
        for i, found in earlier.items():
            if isinstance(found, AlreadyExists):
                if all_or_nothing:
                    raise found
                outcomes[i] = found
            else:
                retried[i] = found
        for i, task in zip(retried, await uow.tasks.get_many(list(retried.values())), strict=True):
            outcomes[i] = CreatedTask(task, {})
        new = [(i, item) for i, item in fresh if i not in earlier]
        new = await self._known_outlets(uow, new, outcomes, all_or_nothing)
        new = await _known_origins(uow, new, outcomes, all_or_nothing)
        made = [with_codes(item.task, item.codes) for _, item in new]
        created = await uow.tasks.add_many([task for task, _ in made])
        for (i, _), task, (_, issued) in zip(new, created, made, strict=True):
            outcomes[i] = CreatedTask(task, issued)
        await _record_created(caller, uow, created, self._clock.now())
        await record_links(caller, uow, created)

    async def _known_outlets(
        self,
        uow: UnitOfWork,
        new: list[tuple[int, NewTask]],
        outcomes: list[Outcome | None],
        all_or_nothing: bool,
    ) -> list[tuple[int, NewTask]]:
        """The items whose outlets are known (registered now if the platform knows them)."""

        def outlets(item: NewTask) -> list[str | None]:
            return [item.task.outlet_id, *(s.outlet_id for s in item.task.steps)]

        if all_or_nothing:
            await self._outlets.ensure(uow, [o for _, item in new for o in outlets(item)])
            return new
        kept = []
        for i, item in new:
            try:
                await self._outlets.ensure(uow, outlets(item))
            except DomainError as exc:
                if exc.reason != "OUTLET_UNKNOWN":
                    raise  # an outage: the whole call is UNAVAILABLE
                outcomes[i] = exc
            else:
                kept.append((i, item))
        return kept


async def _known_origins(
    uow: UnitOfWork,
    new: list[tuple[int, NewTask]],
    outcomes: list[Outcome | None],
    all_or_nothing: bool,
) -> list[tuple[int, NewTask]]:
    """The items whose forward task (if any) fits (``origins.check_origins``); the others get
    their error, or, all or nothing, the first error is the call's."""
    errors = await check_origins(uow, [item.task for _, item in new])
    kept = []
    for (i, item), error in zip(new, errors, strict=True):
        if error is None:
            kept.append((i, item))
        elif all_or_nothing:
            raise error
        else:
            outcomes[i] = error
    return kept


def _new(item: NewTask | InvalidArgument) -> NewTask:
    assert isinstance(item, NewTask)
    return item


def _checked(item: NewTask | InvalidArgument) -> InvalidArgument | None:
    if isinstance(item, InvalidArgument):
        return item
    try:
        machine.validate_task(item.task)
        check_request_id(item.request_id)
    except InvalidArgument as exc:
        return exc
    return None


def _refuse_repeated_ids(
    items: Sequence[NewTask | InvalidArgument], outcomes: list[Outcome | None]
) -> None:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if isinstance(item, NewTask) and item.request_id and outcomes[i] is None:
            if item.request_id in first:
                outcomes[i] = InvalidArgument.field(
                    "request_id", f"repeats the one of requests[{first[item.request_id]}]"
                )
            else:
                first[item.request_id] = i


def _raise_if_any_bad(outcomes: list[Outcome | None]) -> None:
    violations = [
        FieldViolation(f"requests[{i}].{v.field}", v.description)
        for i, o in enumerate(outcomes)
        if isinstance(o, InvalidArgument)
        for v in o.violations
    ]
    if violations:
        raise InvalidArgument(violations)


async def claim(
    uow: UnitOfWork, fresh: list[tuple[int, NewTask]]
) -> dict[int, uuid.UUID | AlreadyExists]:
    """Claims the items' request ids at once; by item index, the task an earlier request made
    with the same content, or ALREADY_EXISTS for the same id with other content."""
    keyed = [
        (i, item.request_id, item.fingerprint, item.task.id) for i, item in fresh if item.request_id
    ]
    items = dict(fresh)
    earlier = await uow.claim_requests(CREATE_METHOD, [(r, h, t) for _, r, h, t in keyed])
    out: dict[int, uuid.UUID | AlreadyExists] = {}
    for i, request_id, fingerprint, _ in keyed:
        found = earlier.get(request_id)
        if found is None:
            continue
        if same_request(found.request_hash, fingerprint, items[i].legacy_fingerprint):
            out[i] = found.resource_id
        else:
            out[i] = AlreadyExists(
                f"request_id {shown(request_id)} was already used for a different request",
                reason="REQUEST_ID_REUSED",
            )
    return out


async def _record_created(
    caller: Caller, uow: UnitOfWork, created: list[Task], now: datetime
) -> None:
    """What ``trail.record`` writes for one created task, for all of them: the trail's
    ``created`` entries, the audit rows and the ``task.created`` events; and the SLA timers."""
    if not created:
        return
    events = [TaskCreated(name=TASKS.name(uow.tenant, t.id), task=t) for t in created]
    await uow.tasks.add_created_events(created, caller.subject)
    # One snapshot of each task, encoded once, for its audit row and its event.
    views = [encode(public_view(t)) for t in created]
    await uow.audit_and_emit_created(
        caller.subject, f"task.{TaskCreated.kind()}", events, "task", views
    )
    policy = await uow.sla_policy.get()
    await uow.timers.add_many(
        [
            (kind, task.id, due)
            for task in created
            for kind, due in sla_timers(task, now, policy)
            if due is not None
        ]
        + [(GEOCODE_TIMER, task.id, now) for task in created if addresses.pending(task)]
    )
