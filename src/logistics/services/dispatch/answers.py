"""A rider's answer to an offer (RespondToOffer, or the stream's OfferResponse), offline-safe
when it carries an action id: the first outcome is stored in ``rider_actions`` with the
answer's transaction, so a replay after reconnect gets it again, even once the live index has
forgotten the offer.

With an action id an acceptance is answered only once the assignment is decided (the
dispatcher waiting for the answer assigns the task, on whatever replica it runs): ``assigned``
then says whether the task is the rider's, so an app that sends its buffered actions oldest
first, each after the one before has its answer, starts a task it holds. The server's clock
decides whether the offer was still open; the device time is only checked.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import DomainError, FailedPrecondition, NotFound, PermissionDenied
from logistics.domain.names import TASKS
from logistics.domain.rider_actions import ActionStamp, OfferAnswer, device_time
from logistics.domain.tasks import TaskState
from logistics.domain.text import shown
from logistics.services.dispatch.offers import Offers
from logistics.services.tasks.offline import apply_once, fingerprint
from logistics.store.unit_of_work import Store, UnitOfWork

METHOD = "RespondToOffer"
# How often an acceptance looks whether the dispatcher has assigned the task yet.
POLL_S = 0.05


class OfferResponder:
    def __init__(self, store: Store, offers: Offers, clock: Clock, wait: timedelta) -> None:
        """``wait``: how long an acceptance waits for the assignment (the offer's timeout)."""
        self._store = store
        self._offers = offers
        self._clock = clock
        self._wait = wait

    async def respond(
        self,
        caller: Caller,
        offer_id: str,
        accept: bool,
        reason: str | None,
        stamp: ActionStamp | None = None,
    ) -> bool:
        """Without an action id: True when the acceptance was recorded (the assignment
        follows). With one: True when the task is now the rider's."""
        if caller.rider_id is None:
            raise PermissionDenied("answering offers needs a rider token (rider_id claim)")
        caller.require(Scope.TELEMETRY)
        if stamp is None or stamp.action_id is None:
            if stamp is not None:
                device_time(stamp, self._clock.now(), None)
            await self._resolve(caller, offer_id, accept)
            return accept

        async def apply() -> OfferAnswer:
            device_time(stamp, self._clock.now(), None)
            task = await self._resolve(caller, offer_id, accept)
            assigned = accept and await self._assigned(uow, caller, task)
            return OfferAnswer(offer_id, assigned)

        request_hash = fingerprint(METHOD, offer_id, accept, reason)
        async with self._store.write(caller.tenant) as uow:
            outcome, _ = await apply_once(uow, caller, stamp, METHOD, request_hash, apply)
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome.assigned

    async def _resolve(self, caller: Caller, offer_id: str, accept: bool) -> str:
        """Records the answer in the live index; returns the offered task's name."""
        found = await self._offers.offer_of(caller.tenant, offer_id)
        if found is None:
            raise NotFound(f"offer {shown(offer_id)} not found")
        rider, task = found
        if rider != caller.rider_id:
            raise PermissionDenied("this offer was made to another rider", reason="NOT_YOUR_OFFER")
        wanted = "accepted" if accept else "declined"
        state = await self._offers.resolve(
            caller.tenant, offer_id, rider, wanted, self._clock.now()
        )
        if state != wanted:
            raise FailedPrecondition(f"the offer is {state}", reason="OFFER_CLOSED")
        return task

    async def _assigned(self, uow: UnitOfWork, caller: Caller, task: str) -> bool:
        """Waits until the dispatcher has decided: the task assigned (to this rider or another)
        or left open past the wait (the rider filled up meanwhile, or the dispatcher died)."""
        task_id = TASKS.parse(task, "offer").id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait.total_seconds()
        while True:
            # Each statement sees what committed before it (READ COMMITTED).
            found = await uow.tasks.get(task_id)
            if found is None:
                return False
            if found.state is not TaskState.CREATED:
                return found.rider_id is not None and str(found.rider_id) == caller.rider_id
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(POLL_S)
