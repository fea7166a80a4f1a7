"""NotificationRule messages <-> domain rules."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from typing import Any

from bengobox.logistics.v1 import notification_pb2
from google.protobuf import duration_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, timestamp, update_paths
from logistics.api.convert_telemetry import duration
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import NOTIFICATION_RULES
from logistics.domain.notifications import (
    Channel,
    NotificationRule,
    QuietHours,
    QuietMode,
    Recipient,
    Trigger,
)
from logistics.domain.versioning import etag_for

__all__ = ["rule_changes", "rule_from_proto", "rule_to_proto"]

Rule = notification_pb2.NotificationRule
_PREFIX = "notification_rule"

TRIGGERS: dict[int, Trigger] = {
    Rule.TRIGGER_TASK_CREATED: Trigger.TASK_CREATED,
    Rule.TRIGGER_TASK_ASSIGNED: Trigger.TASK_ASSIGNED,
    Rule.TRIGGER_TASK_STARTED: Trigger.TASK_STARTED,
    Rule.TRIGGER_TASK_PICKED_UP: Trigger.TASK_PICKED_UP,
    Rule.TRIGGER_TASK_ARRIVED: Trigger.TASK_ARRIVED,
    Rule.TRIGGER_TASK_COMPLETED: Trigger.TASK_COMPLETED,
    Rule.TRIGGER_TASK_FAILED: Trigger.TASK_FAILED,
    Rule.TRIGGER_TASK_CANCELLED: Trigger.TASK_CANCELLED,
    Rule.TRIGGER_TASK_DELAYED: Trigger.TASK_DELAYED,
    Rule.TRIGGER_ETA: Trigger.ETA,
    Rule.TRIGGER_ARRIVING: Trigger.ARRIVING,
}
RECIPIENTS: dict[int, Recipient] = {
    Rule.RECIPIENT_CUSTOMER: Recipient.CUSTOMER,
    Rule.RECIPIENT_RIDER: Recipient.RIDER,
    Rule.RECIPIENT_OUTLET: Recipient.OUTLET,
    Rule.RECIPIENT_DISPATCHER: Recipient.DISPATCHER,
}
CHANNELS: dict[int, Channel] = {
    Rule.CHANNEL_SMS: Channel.SMS,
    Rule.CHANNEL_PUSH: Channel.PUSH,
    Rule.CHANNEL_EMAIL: Channel.EMAIL,
    Rule.CHANNEL_WHATSAPP: Channel.WHATSAPP,
}
QUIET_MODES: dict[int, QuietMode] = {
    Rule.QuietHours.MODE_DEFER: QuietMode.DEFER,
    Rule.QuietHours.MODE_SUPPRESS: QuietMode.SUPPRESS,
}


def _eta_threshold(msg: Rule) -> timedelta | None:
    if not msg.HasField("eta_threshold"):
        return None
    return duration(msg.eta_threshold, f"{_PREFIX}.eta_threshold")


def _within_m(msg: Rule) -> float | None:
    if msg.within_m == 0:
        return None
    if not math.isfinite(msg.within_m):
        raise InvalidArgument.field(f"{_PREFIX}.within_m", "must be a finite number")
    return msg.within_m


def _quiet_hours(msg: Rule) -> QuietHours | None:
    if not msg.HasField("quiet_hours"):
        return None
    q = msg.quiet_hours
    mode = enum_from_proto(q.mode, QUIET_MODES, f"{_PREFIX}.quiet_hours.mode")
    return QuietHours(q.start_minute, q.end_minute, mode or QuietMode.DEFER)


def _required(value: int, table: dict[Any, Any], field: str) -> Any:
    return enum_from_proto(value, table, f"{_PREFIX}.{field}", required=True)


def rule_from_proto(msg: Rule) -> NotificationRule:
    return NotificationRule(
        id=uuid.uuid4(),
        trigger=_required(msg.trigger, TRIGGERS, "trigger"),
        recipient=_required(msg.recipient, RECIPIENTS, "recipient"),
        channel=_required(msg.channel, CHANNELS, "channel"),
        template_id=msg.template_id,
        display_name=msg.display_name,
        eta_threshold=_eta_threshold(msg),
        within_m=_within_m(msg),
        quiet_hours=_quiet_hours(msg),
        time_zone=msg.time_zone,
    )


def rule_changes(msg: Rule, mask: list[str]) -> dict[str, Any]:
    """The fields ``mask`` names (AIP-134), as domain values; a named field left unset
    clears it."""
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, _PREFIX):
        if path == "trigger":
            changes[path] = _required(msg.trigger, TRIGGERS, path)
        elif path == "recipient":
            changes[path] = _required(msg.recipient, RECIPIENTS, path)
        elif path == "channel":
            changes[path] = _required(msg.channel, CHANNELS, path)
        elif path == "eta_threshold":
            changes[path] = _eta_threshold(msg)
        elif path == "within_m":
            changes[path] = _within_m(msg)
        elif path == "quiet_hours":
            changes[path] = _quiet_hours(msg)
        else:
            changes[path] = getattr(msg, path)
    return changes


def _duration_proto(value: timedelta) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromTimedelta(value)
    return d


def rule_to_proto(tenant: TenantSlug, rule: NotificationRule) -> Rule:
    msg = Rule(
        name=NOTIFICATION_RULES.name(tenant, rule.id),
        display_name=rule.display_name,
        trigger=enum_to_proto(rule.trigger, TRIGGERS),  # type: ignore[arg-type]
        recipient=enum_to_proto(rule.recipient, RECIPIENTS),  # type: ignore[arg-type]
        channel=enum_to_proto(rule.channel, CHANNELS),  # type: ignore[arg-type]
        template_id=rule.template_id,
        within_m=rule.within_m or 0.0,
        time_zone=rule.time_zone,
        create_time=timestamp(rule.create_time),
        update_time=timestamp(rule.update_time),
        etag=etag_for(rule.version),
    )
    if rule.eta_threshold is not None:
        msg.eta_threshold.CopyFrom(_duration_proto(rule.eta_threshold))
    if rule.quiet_hours is not None:
        q = rule.quiet_hours
        msg.quiet_hours.start_minute = q.start_minute
        msg.quiet_hours.end_minute = q.end_minute
        msg.quiet_hours.mode = enum_to_proto(q.mode, QUIET_MODES)  # type: ignore[assignment]
    return msg
