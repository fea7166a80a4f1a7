"""Domain events: one frozen past-tense dataclass per event type (``TaskAssigned``), and the
registry from which the type strings, the resources, the event families (the relay's stream
subjects) and the docs' event table derive."""

from __future__ import annotations

from collections.abc import Mapping

from logistics.domain.events._base import (
    BASE_FIELDS,
    Event,
    collect,
    family_of,
    is_event_type,
    is_pattern,
    patterns_taking,
    takes,
)
from logistics.domain.events._fleet import (
    CompliancePolicyUpdated,
    FleetCreated,
    FleetDeleted,
    FleetUpdated,
    RiderComplianceChanged,
    RiderCreated,
    RiderDeleted,
    RiderShiftCreated,
    RiderShiftDeleted,
    RiderShiftUpdated,
    RiderUpdated,
    VehicleCreated,
    VehicleDeleted,
    VehicleUpdated,
)
from logistics.domain.events._tasks import (
    RouteCompleted,
    TaskArrived,
    TaskAssigned,
    TaskCancelled,
    TaskCompleted,
    TaskCreated,
    TaskDispatchWidened,
    TaskEnRoute,
    TaskEvent,
    TaskFailed,
    TaskManualDispatch,
    TaskSlaAtRisk,
    TaskSlaBreached,
    TaskStepCompleted,
)
from logistics.domain.events._telemetry import (
    GeofenceCreated,
    GeofenceDeleted,
    GeofenceDwelled,
    GeofenceEntered,
    GeofenceExited,
    GeofenceTransition,
    GeofenceUpdated,
    RiderOffline,
    RiderOnline,
    RiderSpoofingSuspected,
)
from logistics.domain.events._webhooks import (
    SecretShown,
    WebhookCreated,
    WebhookDeleted,
    WebhookDisabled,
    WebhookSecretRotated,
    WebhookShown,
    WebhookUpdated,
)

EVENTS: Mapping[str, type[Event]] = collect()
"""Every event class by its type, sorted by type."""
FAMILIES: tuple[str, ...] = tuple(sorted({family_of(t) for t in EVENTS}))
"""The first tokens of the types (``task``, ``rider``, ...): one stream subject each."""

__all__ = [
    "BASE_FIELDS",
    "EVENTS",
    "FAMILIES",
    "CompliancePolicyUpdated",
    "Event",
    "FleetCreated",
    "FleetDeleted",
    "FleetUpdated",
    "GeofenceCreated",
    "GeofenceDeleted",
    "GeofenceDwelled",
    "GeofenceEntered",
    "GeofenceExited",
    "GeofenceTransition",
    "GeofenceUpdated",
    "RiderComplianceChanged",
    "RiderCreated",
    "RiderDeleted",
    "RiderOffline",
    "RiderOnline",
    "RiderShiftCreated",
    "RiderShiftDeleted",
    "RiderShiftUpdated",
    "RiderSpoofingSuspected",
    "RiderUpdated",
    "RouteCompleted",
    "SecretShown",
    "TaskArrived",
    "TaskAssigned",
    "TaskCancelled",
    "TaskCompleted",
    "TaskCreated",
    "TaskDispatchWidened",
    "TaskEnRoute",
    "TaskEvent",
    "TaskFailed",
    "TaskManualDispatch",
    "TaskSlaAtRisk",
    "TaskSlaBreached",
    "TaskStepCompleted",
    "VehicleCreated",
    "VehicleDeleted",
    "VehicleUpdated",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookDisabled",
    "WebhookSecretRotated",
    "WebhookShown",
    "WebhookUpdated",
    "collect",
    "family_of",
    "is_event_type",
    "is_pattern",
    "patterns_taking",
    "takes",
]
