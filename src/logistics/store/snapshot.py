"""Turns domain values into JSON-ready dicts for the audit log and the outbox."""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import datetime, timedelta
from typing import Any


def snapshot(value: Any) -> Any:
    """A JSON-compatible copy of a dataclass, enum, UUID, datetime or container."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(v) for v in value]
    return value
