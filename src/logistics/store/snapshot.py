"""Turns domain values into JSON-ready dicts for the audit log and the outbox: the one encoding
of events' data, which the bus and webhooks carry as it is stored."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import datetime, timedelta
from typing import Any

from logistics.domain.events import BASE_FIELDS, Event


def snapshot(value: Any, *, public: bool = False) -> Any:
    """A JSON-compatible copy of a dataclass, enum, UUID, datetime or container: datetimes
    in ISO 8601 (RFC 3339 when they carry a zone), durations in seconds, enums as their values.
    ``public`` leaves out dataclass fields marked ``metadata={"secret": True}``."""
    # Bulk imports snapshot tens of thousands of tasks: plain values return at once and a
    # dataclass's field names are looked up once per class.
    if type(value) in _PLAIN:
        return value
    names = _field_names(type(value), public)
    if names is not None:
        return {n: snapshot(getattr(value, n), public=public) for n in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): snapshot(v, public=public) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v, public=public) for v in value]
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})


_FIELD_NAMES: dict[tuple[type, bool], tuple[str, ...] | None] = {}


def _field_names(kind: type, public: bool) -> tuple[str, ...] | None:
    """The fields a snapshot of a ``kind`` dataclass shows; None if it is not one."""
    try:
        return _FIELD_NAMES[kind, public]
    except KeyError:
        pass
    names = None
    if dataclasses.is_dataclass(kind):
        names = tuple(
            f.name for f in dataclasses.fields(kind) if not (public and f.metadata.get("secret"))
        )
    _FIELD_NAMES[kind, public] = names
    return names


def event_data(event: Event, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """An event's ``data`` as the outbox stores it and the bus and webhooks carry it: the
    tenant, then each of the event's own fields, secrets left out. ``known``: the public
    snapshots of some fields, already made (a batch snapshots a task once for its audit row
    and its event)."""
    data: dict[str, Any] = {"tenant": event.tenant}
    for f in dataclasses.fields(event):
        if f.name not in BASE_FIELDS:
            if known and f.name in known:
                data[f.name] = known[f.name]
            else:
                data[f.name] = snapshot(getattr(event, f.name), public=True)
    return data
