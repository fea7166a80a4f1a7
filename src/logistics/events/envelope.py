"""Outbox rows as the messages the relay publishes: a ``bengobox.logistics.v1.Event`` in
protobuf bytes, on the subject ``<prefix>.<event type>``, with the event id as message id.

The event's ``data`` is the row's JSON as a ``google.protobuf.Struct``, whose only number type
is a double: integers arrive as floats, exact up to 2**53.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bengobox.logistics.v1 import events_pb2

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

_TYPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


@dataclass(frozen=True)
class Message:
    subject: str
    msg_id: str
    payload: bytes


def family_of(event_type: str) -> str:
    """The first token of an event type: ``task`` for ``task.created``."""
    return event_type.split(".", 1)[0]


def subject_of(prefix: str, event_type: str) -> str:
    """``logistics.task.created`` for ``task.created``; refuses a type that is not a plain
    dotted name, since a wildcard or an empty token would not be a publishable subject."""
    if not _TYPE.match(event_type):
        raise ValueError(f"event type {event_type!r} is not a dotted lower-case name")
    return f"{prefix}.{event_type}"


def resource_of(data: Mapping[str, Any]) -> str:
    """What the event is about: ``data["name"]``, else the first top-level value naming a
    resource (``tenants/...``), keys taken shortest first as PostgreSQL's jsonb orders them
    (so ``rider`` before ``geofence``, whatever order the dict has); "" if there is none."""
    name = data.get("name")
    if isinstance(name, str) and name:
        return name
    for key in sorted(data, key=lambda k: (len(k.encode()), k.encode())):
        value = data[key]
        if isinstance(value, str) and value.startswith("tenants/"):
            return value
    return ""


def event_of(row: OutboxRow) -> events_pb2.Event:
    event = events_pb2.Event(
        id=str(row.id),
        type=row.event_type,
        tenant=str(row.data.get("tenant", "")),
        resource=resource_of(row.data),
    )
    event.event_time.FromDatetime(row.create_time)
    event.data.update(row.data)
    return event


def message_of(row: OutboxRow, prefix: str = DEFAULT_PREFIX) -> Message:
    return Message(
        subject_of(prefix, row.event_type), str(row.id), event_of(row).SerializeToString()
    )
