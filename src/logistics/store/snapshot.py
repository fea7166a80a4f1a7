"""Turns domain values into JSON-ready dicts for the audit log and the outbox: the one encoding
of events' data, which the bus and webhooks carry as it is stored."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from logistics.domain.events import BASE_FIELDS, Event


def snapshot(value: Any, *, public: bool = False) -> Any:
    """A JSON-compatible copy of a dataclass, enum, UUID, datetime or container: datetimes
    and times of day in ISO 8601 (RFC 3339 when they carry a zone), durations in seconds,
    enums as their values.
    ``public`` leaves out dataclass fields marked ``metadata={"secret": True}``."""
    # Bulk imports snapshot tens of thousands of tasks: how to convert a value is decided
    # once per type (and public), not by a chain of isinstance checks per value.
    kind = type(value)
    if kind in _PLAIN:
        return value
    convert = _CONVERTERS.get((kind, public))
    if convert is None:
        convert = _CONVERTERS[kind, public] = _converter(kind, public)
    return convert(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_CONVERTERS: dict[tuple[type, bool], Callable[[Any], Any]] = {}


def _converter(kind: type, public: bool) -> Callable[[Any], Any]:
    """How ``snapshot`` converts a value of type ``kind``."""
    if dataclasses.is_dataclass(kind):
        names = tuple(
            f.name for f in dataclasses.fields(kind) if not (public and f.metadata.get("secret"))
        )

        def fields(v: Any) -> dict[str, Any]:
            out = {}
            for n in names:  # inline: most fields are plain, and a task has a hundred
                x = getattr(v, n)
                out[n] = x if type(x) in _PLAIN else snapshot(x, public=public)
            return out

        return fields
    if issubclass(kind, enum.Enum):
        return lambda v: v._value_
    if issubclass(kind, uuid.UUID):
        return str
    if issubclass(kind, datetime):
        return datetime.isoformat
    if issubclass(kind, date):
        return date.isoformat
    if issubclass(kind, time):
        return time.isoformat
    if issubclass(kind, timedelta):
        return timedelta.total_seconds
    if issubclass(kind, dict):
        return lambda v: {
            str(k): x if type(x) in _PLAIN else snapshot(x, public=public) for k, x in v.items()
        }
    if issubclass(kind, set | frozenset):
        # Sorted: a set's order changes from one process to the next (an enum hashes by its
        # name's string hash), and a request's fingerprint must not.
        return lambda v: sorted(
            (x if type(x) in _PLAIN else snapshot(x, public=public) for x in v), key=str
        )
    if issubclass(kind, list | tuple):
        return lambda v: [x if type(x) in _PLAIN else snapshot(x, public=public) for x in v]
    return lambda v: v


def event_data(
    event: Event, known: dict[str, Any] | None = None, *, tenant: str | None = None
) -> dict[str, Any]:
    """An event's ``data`` as the outbox stores it and the bus and webhooks carry it: the
    tenant (``tenant``, else the event's), then each of the event's own fields, secrets left
    out. ``known``: the public snapshots of some fields, already made (a batch snapshots a
    task once for its audit row and its event)."""
    data: dict[str, Any] = {"tenant": event.tenant if tenant is None else tenant}
    for f in dataclasses.fields(event):
        if f.name not in BASE_FIELDS:
            if known and f.name in known:
                data[f.name] = known[f.name]
            else:
                data[f.name] = snapshot(getattr(event, f.name), public=True)
    return data
