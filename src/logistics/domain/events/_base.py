"""What every event is: a frozen past-tense dataclass naming its type and its resource; event
type and webhook pattern syntax, and which patterns take which type.

The unit of work gives an event its tenant when it queues it; the id, made with the event, is
its id on the bus and in webhooks (what consumers de-duplicate on).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

_TYPE = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
# "task.completed" (an exact type) or "task.*" (a family, or any deeper prefix).
_PATTERN = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*\.(?:\*|[a-z0-9_]+)")
BASE_FIELDS = frozenset({"id", "tenant"})


@dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened to one resource of a tenant.

    A concrete event class sets ``type`` (``"task.assigned"``: subject ``logistics.<type>``)
    and ``resource_field``, the field holding the name of the resource it is about
    (``Event.resource`` on the wire). Its other fields are its data.
    """

    type: ClassVar[str]
    resource_field: ClassVar[str] = "name"

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str = ""

    @property
    def resource(self) -> str:
        value = getattr(self, self.resource_field)
        return value if isinstance(value, str) else ""


def is_event_type(text: str) -> bool:
    """A dotted lower-case name of two tokens or more: ``task.created``."""
    return _TYPE.fullmatch(text) is not None


def is_pattern(text: str) -> bool:
    """What a webhook may subscribe to: a type (``task.completed``) or a family (``task.*``,
    or any deeper prefix)."""
    return _PATTERN.fullmatch(text) is not None


def family_of(event_type: str) -> str:
    """The first token of an event type: ``task`` for ``task.created``."""
    return event_type.split(".", 1)[0]


def patterns_taking(event_type: str) -> tuple[str, ...]:
    """Every pattern that takes ``event_type``: the type itself and each of its prefixes
    followed by ``.*`` (``task.assigned``, ``task.*``). The one definition of matching: the
    webhook fan-out's SQL intersects a webhook's patterns with these."""
    parts = event_type.split(".")
    return (event_type, *(".".join(parts[:n]) + ".*" for n in range(len(parts) - 1, 0, -1)))


def takes(patterns: Collection[str], event_type: str) -> bool:
    """Whether a subscription to ``patterns`` (none: every type) gets ``event_type``."""
    return not patterns or not set(patterns).isdisjoint(patterns_taking(event_type))


def _concrete(cls: type[Event]) -> Iterator[type[Event]]:
    for sub in cls.__subclasses__():
        if "type" in vars(sub):
            yield sub
        yield from _concrete(sub)


def collect(base: type[Event] = Event) -> Mapping[str, type[Event]]:
    """Every concrete event class defined so far, by type; refuses a malformed or repeated
    type and a resource field the class does not have."""
    found: dict[str, type[Event]] = {}
    for cls in _concrete(base):
        if not is_event_type(cls.type):
            raise TypeError(f"{cls.__name__}.type {cls.type!r} is not a dotted lower-case name")
        if cls.type in found:
            raise TypeError(f"{cls.__name__} and {found[cls.type].__name__} share {cls.type!r}")
        if cls.resource_field not in cls.__dataclass_fields__:
            raise TypeError(f"{cls.__name__} has no field {cls.resource_field!r}")
        found[cls.type] = cls
    return dict(sorted(found.items()))
