"""Telling a rider's open stream of changes to its tasks that someone else made: an edit, an
assignment (by a dispatcher, a batch, a route plan), the task taken away or cancelled. After
the commit and best effort: the message is a nudge on core NATS, and an app that was not
connected reads its tasks again when it reconnects."""

from __future__ import annotations

import logging
from typing import Protocol

from logistics.domain.caller import Caller
from logistics.domain.ids import ResourceName
from logistics.domain.offers import InboxMessage, TaskChangeToRider
from logistics.domain.tasks import TERMINAL, Task, TaskState
from logistics.domain.versioning import etag_for
from logistics.outages import OutageLog

logger = logging.getLogger(__name__)

CARRIED = frozenset({TaskState.ASSIGNED, TaskState.EN_ROUTE, TaskState.ARRIVED})


class RiderMessages(Protocol):
    """A rider's open stream, wherever it is held (``events.rider_inbox.NatsRiderInbox``)."""

    async def send(self, tenant: str, rider_id: str, message: InboxMessage) -> None: ...


class RiderNews:
    def __init__(self, riders: RiderMessages | None) -> None:
        self._riders = riders
        self._outages = OutageLog()

    async def edited(self, name: ResourceName, task: Task, changed: tuple[str, ...]) -> None:
        """An edit of a task the rider carries."""
        if task.rider_id is not None and task.state in CARRIED:
            await self._send(name, str(task.rider_id), _change(name, task, changed))

    async def moved(
        self, caller: Caller | None, name: ResourceName, before: Task, after: Task
    ) -> None:
        """A transition: the rider it was assigned to and the one it was taken from are told,
        and the rider of a task moved or ended by someone else (a dispatcher's cancel, or the
        worker: ``caller`` None). A rider is not told of its own action (accepting an offer,
        completing)."""
        old, new = before.rider_id, after.rider_id
        changed: tuple[str, ...] = ("rider",) if old != new else ()
        if before.state is not after.state:
            changed += ("state",)
        if not changed:
            return
        if new is not None:
            ended = after.state in TERMINAL
            await self._send(name, str(new), _change(name, after, changed, ended), caller)
        if old is not None and old != new and before.state in CARRIED:
            await self._send(name, str(old), _change(name, after, changed, True), caller)

    async def _send(
        self,
        name: ResourceName,
        rider_id: str,
        message: TaskChangeToRider,
        caller: Caller | None = None,
    ) -> None:
        if self._riders is None or (caller is not None and caller.rider_id == rider_id):
            return
        try:
            await self._riders.send(str(name.tenant), rider_id, message)
        except Exception as exc:
            self._outages.failed(logger, "riders are not told of changes to their tasks", exc)


def _change(
    name: ResourceName, task: Task, changed: tuple[str, ...], unassigned: bool = False
) -> TaskChangeToRider:
    return TaskChangeToRider(
        str(name), changed, etag_for(task.version), task.state.value, unassigned
    )
