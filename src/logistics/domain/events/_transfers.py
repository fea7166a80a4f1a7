"""Events of inventory transfers (``domain/transfers.py``): each carries the transfer after
the change, and is written in the transaction of the task change that caused it."""

from __future__ import annotations

from dataclasses import dataclass

from logistics.domain.events._base import Event
from logistics.domain.transfers import Line, Transfer, TransferState


@dataclass(frozen=True)
class TransferEvent(Event):
    """A transfer changed: ``transfer`` is the transfer after it, ``from_state`` the state
    before (none on create), ``task`` the name of the task carrying it."""

    name: str
    transfer: Transfer
    from_state: TransferState | None = None
    task: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TransferCreated(TransferEvent):
    """A transfer was accepted and its work made: its own TRANSFER task, or a place on a
    shuttle run's SHUTTLE task (``transfer.route_template``, ``transfer.run_date``)."""

    type = "transfer.created"


@dataclass(frozen=True)
class TransferRescheduled(TransferEvent):
    """The task carrying a transfer failed before its pickup: new work was made for it
    (``task``), as on create."""

    type = "transfer.rescheduled"


@dataclass(frozen=True)
class TransferPickedUp(TransferEvent):
    """The goods were picked up at the source."""

    type = "transfer.picked_up"


@dataclass(frozen=True)
class TransferDelivered(TransferEvent):
    """Every line arrived in full at the destination."""

    type = "transfer.delivered"


@dataclass(frozen=True)
class TransferShort(TransferEvent):
    """Fewer items arrived than were sent: ``missing`` lists the lines short (sku and how
    many), ``transfer.received_items`` what arrived."""

    type = "transfer.short"

    missing: tuple[Line, ...] = ()


@dataclass(frozen=True)
class TransferCancelled(TransferEvent):
    """Withdrawn (CancelTransfer) or its task cancelled before pickup: its work was
    cancelled (a shuttle carries the others' goods on), nothing moved."""

    type = "transfer.cancelled"


@dataclass(frozen=True)
class TransferReturning(TransferEvent):
    """After pickup, withdrawn or its drop-off failed: a RETURN task
    (``transfer.return_task``) brings the goods back to the source."""

    type = "transfer.returning"


@dataclass(frozen=True)
class TransferReturned(TransferEvent):
    """The goods are back at the source (its RETURN task completed)."""

    type = "transfer.returned"
