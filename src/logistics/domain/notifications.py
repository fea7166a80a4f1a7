"""Notification rules and what they decide: which task event or rider position triggers which
rule, who the recipient is and where the rider heads for them, and when quiet hours hold a
request back. No I/O: the adapter (``services.notifications``) reads and writes.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.text import shown

__all__ = [
    "EVENT_TRIGGERS",
    "NOTIFICATION_RULE_UPDATABLE",
    "POSITION_TRIGGERS",
    "REQUEST_RETENTION",
    "Addressee",
    "Channel",
    "DueRequest",
    "NotificationRule",
    "OutboxEvent",
    "QuietHours",
    "QuietMode",
    "Recipient",
    "RequestRecord",
    "Target",
    "Trigger",
    "Watch",
    "quiet_until",
    "reached",
    "recipient_of",
    "target_of",
    "triggers_of",
    "validate_rule",
    "watched_view",
]

_TEMPLATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}")
MAX_ETA_THRESHOLD = timedelta(hours=3)
REQUEST_RETENTION = timedelta(days=30)
"""How long a request's record (its de-duplication key and its personal data) is kept."""
MAX_WITHIN_M = 5000.0
MIN_WITHIN_M = 10.0


class Trigger(enum.StrEnum):
    """What makes a rule fire: a task event, or (``ETA``, ``ARRIVING``) the started task's rider
    coming close to the recipient's step."""

    TASK_CREATED = "task.created"
    TASK_ASSIGNED = "task.assigned"
    TASK_STARTED = "task.started"
    TASK_PICKED_UP = "task.picked_up"
    TASK_ARRIVED = "task.arrived"
    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    TASK_CANCELLED = "task.cancelled"
    TASK_DELAYED = "task.delayed"
    ETA = "task.eta"
    ARRIVING = "task.arriving"


POSITION_TRIGGERS = frozenset({Trigger.ETA, Trigger.ARRIVING})
EVENT_TRIGGERS = frozenset(set(Trigger) - POSITION_TRIGGERS)


class Recipient(enum.StrEnum):
    CUSTOMER = "customer"
    RIDER = "rider"
    OUTLET = "outlet"
    DISPATCHER = "dispatcher"


class Channel(enum.StrEnum):
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"
    WHATSAPP = "whatsapp"


class QuietMode(enum.StrEnum):
    DEFER = "defer"  # requested when the quiet hours end
    SUPPRESS = "suppress"  # never requested


@dataclass(frozen=True)
class QuietHours:
    """Local minutes after midnight; ``start > end`` spans midnight (22:00 to 07:00)."""

    start_minute: int
    end_minute: int
    mode: QuietMode = QuietMode.DEFER


NOTIFICATION_RULE_UPDATABLE = frozenset(
    {
        "display_name",
        "trigger",
        "recipient",
        "channel",
        "template_id",
        "eta_threshold",
        "within_m",
        "quiet_hours",
        "time_zone",
    }
)


@dataclass(frozen=True)
class NotificationRule:
    """When (``trigger``) whom (``recipient``) to tell, on which ``channel``, with which of the
    notifications service's templates. ``eta_threshold`` goes with ``Trigger.ETA``,
    ``within_m`` with ``Trigger.ARRIVING``; quiet hours are read in ``time_zone``, or in the
    task's outlet's zone when it has one."""

    id: uuid.UUID
    trigger: Trigger
    recipient: Recipient
    channel: Channel
    template_id: str
    display_name: str = ""
    eta_threshold: timedelta | None = None
    within_m: float | None = None
    quiet_hours: QuietHours | None = None
    time_zone: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


def _zone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{shown(name)} is not an IANA zone"
    return None


def validate_rule(rule: NotificationRule, prefix: str = "notification_rule") -> None:
    """Every problem of ``rule`` at once, each naming its field: INVALID_ARGUMENT."""
    bad: list[FieldViolation] = []

    def fail(field: str, description: str) -> None:
        bad.append(FieldViolation(f"{prefix}.{field}", description))

    if len(rule.display_name) > 200:
        fail("display_name", "must be at most 200 characters")
    if not rule.template_id:
        fail("template_id", "is required")
    elif not _TEMPLATE_ID.fullmatch(rule.template_id):
        fail("template_id", "must be 1 to 128 letters, digits or _ . : / - (starting alphanumeric)")
    if rule.trigger == Trigger.ETA:
        if rule.eta_threshold is None:
            fail("eta_threshold", "is required with the ETA trigger")
        elif not timedelta(minutes=1) <= rule.eta_threshold <= MAX_ETA_THRESHOLD:
            fail("eta_threshold", "must be between 1 minute and 3 hours")
    elif rule.eta_threshold is not None:
        fail("eta_threshold", "is only for the ETA trigger")
    if rule.trigger == Trigger.ARRIVING:
        if rule.within_m is None:
            fail("within_m", "is required with the arriving trigger")
        elif not MIN_WITHIN_M <= rule.within_m <= MAX_WITHIN_M:
            fail("within_m", f"must be between {MIN_WITHIN_M:g} and {MAX_WITHIN_M:g} metres")
    elif rule.within_m is not None:
        fail("within_m", "is only for the arriving trigger")
    if rule.time_zone:
        problem = _zone_problem(rule.time_zone)
        if problem:
            fail("time_zone", problem)
    quiet = rule.quiet_hours
    if quiet is not None:
        for name, minute in (
            ("start_minute", quiet.start_minute),
            ("end_minute", quiet.end_minute),
        ):
            if not 0 <= minute <= 1439:
                fail(f"quiet_hours.{name}", "must be 0 to 1439 (minutes after midnight)")
        if quiet.start_minute == quiet.end_minute:
            fail("quiet_hours.end_minute", "must differ from start_minute")
        if not rule.time_zone:
            fail("time_zone", "is required with quiet_hours")
    if bad:
        raise InvalidArgument(bad)


def _inside(quiet: QuietHours, minute: int) -> bool:
    if quiet.start_minute < quiet.end_minute:
        return quiet.start_minute <= minute < quiet.end_minute
    return minute >= quiet.start_minute or minute < quiet.end_minute


def quiet_until(quiet: QuietHours | None, zone: str, now: datetime) -> datetime | None:
    """When the quiet hours that hold ``now`` end (in UTC), or None outside them."""
    if quiet is None or not zone:
        return None
    local = now.astimezone(ZoneInfo(zone))
    if not _inside(quiet, local.hour * 60 + local.minute):
        return None
    end = datetime.combine(
        local.date(), time(quiet.end_minute // 60, quiet.end_minute % 60), local.tzinfo
    )
    if end <= local:
        end += timedelta(days=1)
    # Wall-clock arithmetic, then back to an instant: a DST change inside the window moves
    # the end by the change, as a person's 07:00 would.
    return end.replace(tzinfo=ZoneInfo(zone)).astimezone(now.tzinfo)


def triggers_of(event_type: str, data: Mapping[str, Any]) -> frozenset[Trigger]:
    """The event triggers a task event (its outbox ``data``) sets off."""
    task = data.get("task") or {}
    if event_type == "task.en_route" and data.get("from_state") == "assigned":
        return frozenset({Trigger.TASK_STARTED})
    if event_type in ("task.step_completed", "task.completed"):
        found = {Trigger.TASK_COMPLETED} if event_type == "task.completed" else set()
        step = _step(task, data.get("step_id"))
        if step is not None and step.get("kind") == "pickup":
            found.add(Trigger.TASK_PICKED_UP)
        return frozenset(found)
    try:
        trigger = Trigger(event_type)
    except ValueError:
        return frozenset()
    return frozenset({trigger}) if trigger in EVENT_TRIGGERS else frozenset()


def _step(task: Mapping[str, Any], step_id: object) -> Mapping[str, Any] | None:
    for step in task.get("steps") or ():
        if step.get("id") == step_id:
            return step  # type: ignore[no-any-return]
    return None


_OPEN = frozenset({"pending", "arrived", None})


@dataclass(frozen=True)
class Target:
    """Where the rider heads for a recipient: a step's id and place."""

    step_id: str
    latitude: float
    longitude: float


def _step_of(steps: list[Mapping[str, Any]], recipient: Recipient) -> Mapping[str, Any] | None:
    if recipient == Recipient.OUTLET:
        return next((s for s in steps if s.get("kind") == "pickup"), None)
    drops = [s for s in steps if s.get("kind") == "drop_off"]
    return drops[-1] if drops else (steps[-1] if steps else None)


def target_of(task: Mapping[str, Any], recipient: Recipient) -> Target | None:
    """The step the ETA and arrival triggers measure to, while they may fire: the first
    pickup for the outlet, the last drop-off (else the last step) for the others once every
    pickup is done (before, the rider's way runs through the pickups). None before then and
    once the rider reached the step."""
    steps = list(task.get("steps") or ())
    chosen = _step_of(steps, recipient)
    if chosen is None or chosen.get("state", "pending") != "pending":
        return None
    waiting = recipient != Recipient.OUTLET and any(
        s.get("kind") == "pickup" and s.get("state") in _OPEN for s in steps
    )
    if waiting:
        return None
    return Target(str(chosen["id"]), float(chosen["latitude"]), float(chosen["longitude"]))


def reached(task: Mapping[str, Any], recipient: Recipient) -> bool:
    """Whether the rider is at or past the recipient's step: its triggers can no longer fire."""
    chosen = _step_of(list(task.get("steps") or ()), recipient)
    return chosen is None or chosen.get("state", "pending") != "pending"


_WATCHED_TASK = ("id", "state", "rider_id", "outlet_id")
_WATCHED_STEP = (
    "id",
    "kind",
    "state",
    "latitude",
    "longitude",
    "outlet_id",
    "contact_name",
    "contact_phone",
)


def watched_view(task: Mapping[str, Any]) -> dict[str, Any]:
    """What a watch keeps of a task's snapshot: what ``target_of``, ``reached`` and
    ``recipient_of`` read, a tenth of the whole, which every watch round decodes."""
    view = {k: task.get(k) for k in _WATCHED_TASK}
    view["steps"] = [{k: s.get(k) for k in _WATCHED_STEP} for s in task.get("steps") or ()]
    return view


@dataclass(frozen=True)
class Addressee:
    """Whom a request goes to: ``key`` is what the rate limit counts against, ``to`` the
    address the notifications service delivers to (a phone number, a rider's or an outlet's
    name; empty for the dispatchers), ``display_name`` a name to greet, when known."""

    key: str
    to: str
    display_name: str = ""


def recipient_of(tenant: str, task: Mapping[str, Any], recipient: Recipient) -> Addressee:
    """The addressee of ``recipient`` for ``task`` (its event snapshot)."""
    task_id = str(task.get("id", ""))
    steps = list(task.get("steps") or ())
    if recipient == Recipient.CUSTOMER:
        drops = [s for s in steps if s.get("kind") == "drop_off"] or steps
        last = drops[-1] if drops else {}
        phone = str(last.get("contact_phone") or "")
        name = str(last.get("contact_name") or "")
        return Addressee(f"customer:{phone or 'task:' + task_id}", phone, name)
    if recipient == Recipient.RIDER:
        rider = task.get("rider_id")
        to = f"tenants/{tenant}/riders/{rider}" if rider else ""
        return Addressee(f"rider:{rider or 'none'}", to)
    if recipient == Recipient.OUTLET:
        outlet = task.get("outlet_id") or next(
            (s.get("outlet_id") for s in steps if s.get("outlet_id")), None
        )
        to = f"tenants/{tenant}/outlets/{outlet}" if outlet else ""
        return Addressee(f"outlet:{outlet or 'task:' + task_id}", to)
    # The dispatchers are a desk, not a person: their requests are limited per task.
    return Addressee(f"dispatcher:task:{task_id}", "")


@dataclass(frozen=True)
class RequestRecord:
    """One notification request as the adapter decided it."""

    id: uuid.UUID
    task_id: uuid.UUID
    rule_id: uuid.UUID
    trigger: str
    recipient: str
    channel: str
    recipient_key: str
    state: str  # requested | deferred | suppressed | rate_limited
    due_time: datetime | None
    event: Mapping[str, Any]


@dataclass(frozen=True)
class OutboxEvent:
    """An event as the adapter reads it from the outbox: its id, type and stored data."""

    id: uuid.UUID
    event_type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class DueRequest:
    """A deferred request whose quiet hours ended: its id, task, recipient key and stored
    event."""

    id: uuid.UUID
    task_id: uuid.UUID
    recipient_key: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class Watch:
    """A started task watched for the position triggers, as its last event left it."""

    tenant: TenantSlug
    task_id: uuid.UUID
    task: Mapping[str, Any]
