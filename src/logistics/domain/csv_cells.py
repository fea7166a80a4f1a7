"""Cells of the fleet CSV: each cell's text parsed into a value (an empty cell is None: unset)
and a value formatted back, and the header checked against the columns. Pure: no I/O.

A parser raises ValueError with what the cell must be; the row collects it as a RowError."""

from __future__ import annotations

import enum
import math
import re
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import FLEETS
from logistics.domain.text import shown

_INT32 = 2**31 - 1
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})

E = TypeVar("E", bound=enum.Enum)


def parse_bool(text: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("must be true or false")


def parse_float(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    if not _NUMBER.fullmatch(value) or not math.isfinite(number := float(value)):
        raise ValueError("must be a number such as 12.5")
    return number


def parse_int(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not _INTEGER.fullmatch(value) or not -_INT32 - 1 <= (number := int(value)) <= _INT32:
        raise ValueError("must be a whole number of at most 10 digits")
    return number


def parse_enum(text: str, kind: type[E]) -> E | None:
    value = text.strip().lower()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"must be one of {', '.join(m.value for m in kind)}") from None


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time with its offset (``2026-12-03T14:30:00+03:00``, ``...Z``), in UTC."""
    value = text.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a time such as 2026-12-03T14:30:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("must carry its offset from UTC, such as Z or +03:00")
    return moment.astimezone(UTC)


def format_time(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else ""


def parse_fleet(text: str, tenant: TenantSlug) -> uuid.UUID | None:
    """A fleet id, or its resource name ``tenants/{tenant}/fleets/{id}`` in this tenant."""
    value = text.strip()
    if not value:
        return None
    if "/" not in value:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError("must be a fleet id or tenants/{tenant}/fleets/{id}") from None
    try:
        name = FLEETS.parse(value)
    except InvalidArgument:
        raise ValueError("must be a fleet id or tenants/{tenant}/fleets/{id}") from None
    if name.tenant != tenant:
        raise ValueError(f"names a fleet of tenant {shown(name.tenant)}, not {shown(tenant)}")
    return name.id


def format_float(value: float) -> str:
    """The shortest text that parses back to ``value``: 500, 2.5, 1e-05."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_bool(value: bool) -> str:
    return "true" if value else "false"


# The position of an ``optional`` column the header leaves out.
ABSENT = -1


def check_header(
    cells: Sequence[str], columns: Sequence[str], optional: Collection[str] = ()
) -> tuple[int, ...]:
    """The position of each of ``columns`` in a header that must hold exactly those columns,
    in any order, except that it may leave out the ``optional`` ones (their position is
    ``ABSENT``: each row reads them as empty). Raises InvalidArgument naming unknown, repeated
    and missing columns."""
    names = [c.strip().lower() for c in cells]
    out: list[FieldViolation] = []
    seen: set[str] = set()
    for name in names:
        if name not in columns:
            out.append(FieldViolation("header", f"unknown column {shown(name)}"))
        elif name in seen:
            out.append(FieldViolation("header", f"column {shown(name)} appears twice"))
        seen.add(name)
    out.extend(
        FieldViolation("header", f"missing column {shown(c)}")
        for c in columns
        if c not in seen and c not in optional
    )
    if out:
        raise InvalidArgument(out)
    return tuple(names.index(c) if c in seen else ABSENT for c in columns)
