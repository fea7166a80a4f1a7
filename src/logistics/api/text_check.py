"""Text every request carries, checked once at the edge: PostgreSQL stores any UTF-8 text but
the NUL character (in ``text`` and in ``jsonb`` alike), so a string holding one is refused
here, naming its field, before any use case sees it.

The protobuf runtime already refuses strings that are not valid UTF-8 (and so lone
surrogates) when it parses a request. Messages whose type holds no string field at any depth
are skipped without a walk, so the check costs nothing on messages made only of numbers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.text import NUL, shown

__all__ = ["check_text", "text_violations"]

_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
# At most this many violations are reported; the rest of a hostile request is not walked.
_MAX_VIOLATIONS = 20


def check_text(message: Message, prefix: str = "") -> None:
    """Raises InvalidArgument naming every string field of ``message`` that holds a NUL."""
    if not _has_text(message.DESCRIPTOR):
        return
    violations = text_violations(message, prefix)
    if violations:
        raise InvalidArgument(violations)


def text_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    found: list[FieldViolation] = []
    with contextlib.suppress(_Enough):
        _walk(message, prefix, found)
    return found


class _Enough(Exception):
    """Enough violations to tell the caller; the rest of the request is not walked."""


def _walk(message: Message, prefix: str, found: list[FieldViolation]) -> None:
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == _STRING:
            if _is_repeated(field):
                for i, item in enumerate(value):
                    _check_string(item, f"{path}[{i}]", found)
            else:
                _check_string(value, path, found)
        elif field.type == _MESSAGE and _has_text(field.message_type):
            if field.message_type.GetOptions().map_entry:
                _walk_map(field, value, path, found)
            elif _is_repeated(field):
                for i, item in enumerate(value):
                    _walk(item, f"{path}[{i}].", found)
            else:
                _walk(value, f"{path}.", found)


def _walk_map(
    field: FieldDescriptor, value: Mapping[object, object], path: str, found: list[FieldViolation]
) -> None:
    value_field = field.message_type.fields_by_name["value"]
    for key, item in value.items():
        entry = f"{path}[{shown(key) if isinstance(key, str) else key}]"
        if isinstance(key, str):
            _check_string(key, entry, found)
        if isinstance(item, str):
            _check_string(item, entry, found)
        elif isinstance(item, Message) and _has_text(value_field.message_type):
            _walk(item, f"{entry}.", found)


def _check_string(value: str, path: str, found: list[FieldViolation]) -> None:
    if NUL in value:
        found.append(FieldViolation(path, "must not contain the NUL character (U+0000)"))
        if len(found) >= _MAX_VIOLATIONS:
            raise _Enough


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


@cache
def _has_text(descriptor: Descriptor) -> bool:
    """Whether a message of this type can hold a string at any depth."""
    return _reaches_text(descriptor, set())


def _reaches_text(descriptor: Descriptor, visiting: set[str]) -> bool:
    if descriptor.full_name in visiting:
        return False  # a recursive type: its other fields decide
    visiting.add(descriptor.full_name)
    for field in descriptor.fields:
        if field.type == _STRING:
            return True
        if field.type == _MESSAGE and _reaches_text(field.message_type, visiting):
            return True
    return False
