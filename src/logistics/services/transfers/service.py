"""Transfer use cases: create (idempotent, its work made in the same transaction), read,
list, and withdraw (CancelTransfer: before pickup its work is cancelled, after pickup the
goods go back to the source)."""

from __future__ import annotations

import dataclasses
import logging
import math
import uuid
from collections.abc import Awaitable, Callable

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import InvalidArgument
from logistics.domain.events import TransferCancelled, TransferCreated
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import TASKS, TRANSFERS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.tasks import Task
from logistics.domain.transfers import (
    Transfer,
    TransferFilter,
    TransferState,
    require_withdrawable,
    validate,
)
from logistics.domain.versioning import check_etag
from logistics.outages import OutageLog
from logistics.services.directory import Outlets
from logistics.services.idempotency import check_request_id, claim_create
from logistics.services.transfers import journal
from logistics.services.transfers.follow import emit, record_change, scheduled_detail, send_back
from logistics.services.transfers.schedule import schedule
from logistics.services.transfers.tasks import cancel_task, set_items, without
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

CREATE_METHOD = "CreateTransfer"
UNPLACED = (math.nan, math.nan)


def placed(point: tuple[float, float]) -> bool:
    return not (math.isnan(point[0]) or math.isnan(point[1]))


class TransferService:
    """Creating and withdrawing needs ``logistics:dispatch``; reading ``logistics:read``."""

    def __init__(
        self,
        store: Store,
        outlets: Outlets,
        clock: Clock,
        *,
        on_rider_change: Callable[[TenantSlug, uuid.UUID], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._outlets = outlets
        self._clock = clock
        self._on_rider_change = on_rider_change
        self._outages = OutageLog()

    async def create(
        self, caller: Caller, tenant: TenantSlug, asked: Transfer, request_id: str | None
    ) -> Transfer:
        """``asked``: the transfer as sent; a location not given is ``UNPLACED``. The
        warehouses' locations come from the outlet registry (the request's where it has
        none). Its work is made in the same transaction: on the earliest shuttle run that
        fits, else a TRANSFER task of its own."""
        caller.require(Scope.DISPATCH, tenant)
        check_request_id(request_id)
        validate(asked, has_source=True, has_destination=True)  # all but the registry
        async with self._store.write(tenant) as uow:
            earlier = await claim_create(uow, CREATE_METHOD, request_id, asked)
            if earlier is not None:
                return await uow.load(uow.transfers, TRANSFERS, earlier)
            t = await self._located(uow, asked)
            created = await uow.transfers.add(t)
            now = self._clock.now()
            scheduled = await schedule(caller, uow, created, now)
            flow_id = await journal.start(uow, scheduled, scheduled_detail(scheduled), now)
            if scheduled.template_id is None:
                await journal.join(uow, flow_id, scheduled.task_id)
            saved = await uow.transfers.save(dataclasses.replace(scheduled, flow_id=flow_id))
            await emit(caller, uow, None, saved, TransferCreated)
        return saved

    async def _located(self, uow: UnitOfWork, t: Transfer) -> Transfer:
        """The transfer placed at its warehouses' registry locations (registering outlets
        not known yet, as a task naming them does)."""
        await self._outlets.ensure(uow, [t.source_outlet_id, t.destination_outlet_id])
        found = await uow.outlets.get_many([t.source_outlet_id, t.destination_outlet_id])
        points = []
        for outlet_id, given in (
            (t.source_outlet_id, t.source),
            (t.destination_outlet_id, t.destination),
        ):
            outlet = found.get(outlet_id)
            if outlet is not None and outlet.latitude is not None and outlet.longitude is not None:
                points.append((outlet.latitude, outlet.longitude))
            else:
                points.append(given)
        t = dataclasses.replace(t, source=points[0], destination=points[1])
        validate(t, has_source=placed(t.source), has_destination=placed(t.destination))
        return t

    async def get(self, caller: Caller, name: ResourceName) -> Transfer:
        caller.require(Scope.READ, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.transfers, TRANSFERS, name.id)

    async def list_transfers(
        self, caller: Caller, tenant: TenantSlug, page: PageRequest, f: TransferFilter
    ) -> Page[Transfer]:
        caller.require(Scope.READ, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.transfers.find(page, f)

    async def cancel(
        self, caller: Caller, name: ResourceName, reason: str | None, etag: str | None
    ) -> Transfer:
        """Withdraws the transfer: before pickup, CANCELLED, its TRANSFER task cancelled or
        its lines taken off the shuttle (cancelled when no other transfer is left on it);
        after pickup, RETURNING with a RETURN task to the source. FAILED_PRECONDITION once
        it ended or is already going back. The task is locked before the transfer, as a
        task's own transitions do."""
        caller.require(Scope.DISPATCH, name.tenant)
        why = (reason or "").strip() or "withdrawn"
        if len(why) > 1000:
            raise InvalidArgument.field("reason", "is longer than 1000 characters")
        riders: set[uuid.UUID] = set()
        async with self._store.write(name.tenant) as uow:
            task, t = await self._locked(uow, name)
            check_etag(etag, t.version)
            require_withdrawable(t)
            withdrawn = dataclasses.replace(t, reason=why)
            if task is None or t.task_id != task.id:  # no work made: nothing to undo
                gone = dataclasses.replace(withdrawn, state=TransferState.CANCELLED)
                return await record_change(caller, uow, withdrawn, gone, TransferCancelled)
            if t.state is TransferState.PICKED_UP:
                t = await self._send_back(caller, uow, withdrawn, task, why)
            else:
                await self._take_off(caller, uow, t, task, f"transfer {t.id} withdrawn: {why}")
                gone = dataclasses.replace(withdrawn, state=TransferState.CANCELLED)
                t = await record_change(caller, uow, withdrawn, gone, TransferCancelled)
            if task.rider_id is not None:
                riders.add(task.rider_id)
        await self._riders_changed(name.tenant, riders)
        return t

    async def _locked(self, uow: UnitOfWork, name: ResourceName) -> tuple[Task | None, Transfer]:
        """The transfer's task, then the transfer, locked: in the order a task's transitions
        lock them. A transfer rescheduled onto another task meanwhile is read again."""
        while True:
            first = await uow.load(uow.transfers, TRANSFERS, name.id)
            task = None
            if first.task_id is not None:
                task = await uow.load_for_update(uow.tasks, TASKS, first.task_id)
            t = await uow.load_for_update(uow.transfers, TRANSFERS, name.id)
            if t.task_id == first.task_id:
                return task, t

    async def _send_back(
        self, caller: Caller, uow: UnitOfWork, t: Transfer, task: Task, why: str
    ) -> Transfer:
        shuttle = t.template_id is not None
        now = self._clock.now()
        if shuttle:
            await self._take_off(caller, uow, t, task, f"transfer {t.id} withdrawn: {why}")
        else:
            await cancel_task(caller, uow, task, f"transfer {t.id} withdrawn: {why}")
        return await send_back(caller, uow, t, task, why, now, from_drop=shuttle)

    async def _take_off(
        self, caller: Caller, uow: UnitOfWork, t: Transfer, task: Task, why: str
    ) -> None:
        """The transfer's part of its task undone: its own task cancelled; on a shuttle, its
        lines taken off, the shuttle cancelled when it carries no other transfer."""
        if t.template_id is None:
            await cancel_task(caller, uow, task, why)
            return
        others = [
            o
            for o in await uow.transfers.carried_by(task.id)
            if o.id != t.id and o.task_id == task.id and o.state in _ON_BOARD
        ]
        if not others:
            await cancel_task(caller, uow, task, why)
        else:
            await set_items(caller, uow, task, without(task.items, t.items), why)

    async def _riders_changed(self, tenant: TenantSlug, riders: set[uuid.UUID]) -> None:
        """After the commit: the riders whose load changed get their dispatch profile redone."""
        if self._on_rider_change is None:
            return
        for rider in riders:
            try:
                await self._on_rider_change(tenant, rider)
            except Exception as exc:
                self._outages.failed(logger, "riders' dispatch profiles are not refreshed", exc)


_ON_BOARD = frozenset({TransferState.SCHEDULED, TransferState.PICKED_UP})
