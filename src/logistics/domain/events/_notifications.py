"""Events of notification rules, and the notification requests the rules make."""

from __future__ import annotations

from dataclasses import dataclass

from logistics.domain.events._base import Event
from logistics.domain.notifications import NotificationRule


@dataclass(frozen=True)
class NotificationRuleCreated(Event):
    """A notification rule was created."""

    type = "notification.rule.created"

    name: str
    rule: NotificationRule


@dataclass(frozen=True)
class NotificationRuleUpdated(Event):
    """A notification rule was changed."""

    type = "notification.rule.updated"

    name: str
    rule: NotificationRule


@dataclass(frozen=True)
class NotificationRuleDeleted(Event):
    """A notification rule was deleted."""

    type = "notification.rule.deleted"

    name: str


@dataclass(frozen=True)
class NotificationRequested(Event):
    """A rule fired for a task: the notifications service should send template
    `template_id` on `channel` to `recipient` (`to`: a phone number for the customer, a
    rider's or an outlet's name, empty for the dispatchers). `trigger` says what fired it
    (`task.started`, `task.eta`, `task.arriving`, ...); `tracking_link` is the customer's
    page for the task; `eta_seconds` and `distance_m` are the rider's, when known;
    `deferred_until` is set when quiet hours held the request back until then. At most one
    per task, trigger, recipient and channel."""

    type = "notification.requested"

    name: str
    task: str
    rule: str
    trigger: str
    recipient: str
    to: str
    recipient_name: str
    channel: str
    template_id: str
    tracking_link: str
    task_state: str
    rider: str | None = None
    eta_seconds: float | None = None
    distance_m: float | None = None
    deferred_until: str | None = None
