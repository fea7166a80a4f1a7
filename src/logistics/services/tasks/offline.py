"""Offline-safe rider actions: an action sent with an ``action_id`` is applied once, and its
first outcome (the task returned or the error raised) is stored in the action's own
transaction, so a replay after reconnect gets that same answer, however the task has moved on.
See ``domain.rider_actions`` for the rules of device time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from logistics.domain.caller import Caller
from logistics.domain.errors import AlreadyExists, DomainError
from logistics.domain.rider_actions import STORED_ERRORS, ActionStamp, OfferAnswer
from logistics.domain.tasks import Task
from logistics.store.unit_of_work import UnitOfWork

# What an action of one method comes to (a task, or an offer's answer), besides an error.
R = TypeVar("R", Task, OfferAnswer)


def fingerprint(method: str, *parts: Any) -> str:
    """SHA-256 of what the request asks for (bytes by their own digest)."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return hashlib.sha256(value).hexdigest()
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value if value is None or isinstance(value, int | float | str) else str(value)

    text = json.dumps([method, *(plain(p) for p in parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def actor_of(caller: Caller) -> str:
    """Whose action ids these are: the rider's, or a dispatcher's token subject."""
    return f"rider:{caller.rider_id}" if caller.rider_id else f"subject:{caller.subject}"


async def apply_once(
    uow: UnitOfWork,
    caller: Caller,
    stamp: ActionStamp | None,
    method: str,
    request_hash: str,
    apply: Callable[[], Awaitable[R | DomainError]],
) -> tuple[R | DomainError, bool]:
    """Runs ``apply`` in ``uow`` unless the action was seen before; returns the outcome and
    whether it is a replay. ``apply`` returns an error it wants committed with its changes
    (a wrong one-time code counts); an error it raises undoes its changes. Either kind of
    error is stored when the same request would meet it again (``STORED_ERRORS``).

    The same id with another request is ALREADY_EXISTS; racing replays are serialised by a
    lock on the id, so one of them applies the action and the others read its outcome."""
    if stamp is None or stamp.action_id is None:
        return await apply(), False
    actor = actor_of(caller)
    await uow.rider_actions.lock(actor, stamp.action_id)
    earlier = await uow.rider_actions.find(actor, stamp.action_id)
    if earlier is not None:
        if (earlier.method, earlier.request_hash) != (method, request_hash):
            raise AlreadyExists(
                f"action_id {stamp.action_id} was already used for a different action",
                reason="ACTION_ID_REUSED",
            )
        # The same method stores the same kind of outcome.
        return cast("R | DomainError", earlier.outcome), True
    outcome: R | DomainError
    try:
        async with uow.savepoint():
            outcome = await apply()
    except STORED_ERRORS as exc:
        outcome = exc
    if isinstance(outcome, DomainError) and not isinstance(outcome, STORED_ERRORS):
        raise outcome
    await uow.rider_actions.add(actor, stamp.action_id, method, request_hash, outcome)
    return outcome, False
