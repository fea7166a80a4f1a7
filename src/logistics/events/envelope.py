"""Outbox rows as the messages the relay publishes: a ``bengobox.logistics.v1.Event`` in
protobuf bytes, on the subject ``<prefix>.<event type>``, with the event id as message id.

The event's ``data`` is the row's JSON (the event's fields as ``store.snapshot.event_data``
wrote them) as a ``google.protobuf.Struct``, whose only number type
is a double: integers arrive as floats, exact up to 2**53.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bengobox.logistics.v1 import events_pb2

from logistics.domain.events import EVENTS, family_of, is_event_type
from logistics.store.outbox import OutboxRow

__all__ = [
    "DEFAULT_PREFIX",
    "MSG_ID_HEADER",
    "Message",
    "event_of",
    "family_of",
    "message_of",
    "resource_of",
    "subject_of",
]

DEFAULT_PREFIX = "logistics"
# JetStream drops a message whose id it has seen within the stream's duplicate window.
MSG_ID_HEADER = "Nats-Msg-Id"


@dataclass(frozen=True)
class Message:
    subject: str
    msg_id: str
    payload: bytes


def subject_of(prefix: str, event_type: str) -> str:
    """``logistics.task.created`` for ``task.created``; refuses a type that is not a plain
    dotted name, since a wildcard or an empty token would not be a publishable subject."""
    if not is_event_type(event_type):
        raise ValueError(f"event type {event_type!r} is not a dotted lower-case name")
    return f"{prefix}.{event_type}"


def resource_of(event_type: str, data: Mapping[str, Any]) -> str:
    """What the event is about: the field its class names (``Event.resource_field``), as it
    was stored; "" for a type this version does not know (a newer writer's)."""
    cls = EVENTS.get(event_type)
    value = data.get(cls.resource_field) if cls is not None else None
    return value if isinstance(value, str) else ""


def event_of(row: OutboxRow) -> events_pb2.Event:
    event = events_pb2.Event(
        id=str(row.id),
        type=row.event_type,
        tenant=str(row.data.get("tenant", "")),
        resource=resource_of(row.event_type, row.data),
    )
    event.event_time.FromDatetime(row.create_time)
    event.data.update(row.data)
    return event


def message_of(row: OutboxRow, prefix: str = DEFAULT_PREFIX) -> Message:
    return Message(
        subject_of(prefix, row.event_type), str(row.id), event_of(row).SerializeToString()
    )
