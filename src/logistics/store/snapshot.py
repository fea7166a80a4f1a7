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
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: snapshot(getattr(value, f.name), public=public)
            for f in dataclasses.fields(value)
            if not (public and f.metadata.get("secret"))
        }
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


def event_data(event: Event) -> dict[str, Any]:
    """An event's ``data`` as the outbox stores it and the bus and webhooks carry it: the
    tenant, then each of the event's own fields, secrets left out."""
    data: dict[str, Any] = {"tenant": event.tenant}
    for f in dataclasses.fields(event):
        if f.name not in BASE_FIELDS:
            data[f.name] = snapshot(getattr(event, f.name), public=True)
    return data
