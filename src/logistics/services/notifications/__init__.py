"""Notifications: a tenant's rules (``rules``) and the adapter that turns task events and
riders' approach into ``notification.requested`` events by them (``adapter``)."""

from logistics.services.notifications.adapter import NotificationAdapter, NotificationLimits
from logistics.services.notifications.ports import EstimatedEtas, Etas, TrackingLinks
from logistics.services.notifications.rules import NotificationRules

__all__ = [
    "EstimatedEtas",
    "Etas",
    "NotificationAdapter",
    "NotificationLimits",
    "NotificationRules",
    "TrackingLinks",
]
