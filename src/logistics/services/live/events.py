"""Domain events as live views show them: task changes and alerts."""

from __future__ import annotations

from typing import Any

from logistics.domain.addresses import WAITING
from logistics.domain.events import (
    GeofenceDwelled,
    GeofenceEntered,
    GeofenceExited,
    RiderBackOnRoute,
    RiderOffline,
    RiderOffRoute,
    RiderSpoofingSuspected,
    TaskDelayed,
    TaskSlaAtRisk,
    TaskSlaBreached,
    TaskTemperatureExcursion,
    TaskTemperatureRecovered,
)
from logistics.domain.live import Alert, TaskChange

# From the event classes, so an alert cannot name a type nothing emits (it did: the SLA
# alerts named the timers, "task.delivery_breached", not the events, "task.sla_breached").
ALERT_TYPES = frozenset(
    kind.type
    for kind in (
        GeofenceEntered,
        GeofenceExited,
        GeofenceDwelled,
        RiderOffline,
        RiderSpoofingSuspected,
        RiderOffRoute,
        RiderBackOnRoute,
        TaskSlaAtRisk,
        TaskSlaBreached,
        TaskDelayed,
        TaskTemperatureExcursion,
        TaskTemperatureRecovered,
    )
)


_WAITING = frozenset(state.value for state in WAITING)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def task_change(data: dict[str, Any]) -> TaskChange | None:
    name = data.get("name")
    task = data.get("task")
    if not isinstance(name, str) or not isinstance(task, dict):
        return None
    steps = [s for s in task.get("steps") or [] if isinstance(s, dict)]
    current = task.get("current_step", 0)
    step = steps[min(int(current or 0), len(steps) - 1)] if steps else {}
    if _waiting(step):
        # Its point is a placeholder: shown where the task starts, if that is known.
        step = next((s for s in steps if not _waiting(s)), {})
    return TaskChange(
        name,
        str(task.get("state", "")),
        data.get("rider") if isinstance(data.get("rider"), str) else None,
        None,
        _float(step.get("latitude")),
        _float(step.get("longitude")),
        needs_address=any(_waiting(s) for s in steps),
    )


def _waiting(step: dict[str, Any]) -> bool:
    return step.get("address_state") in _WAITING


def alert_of(event_type: str, data: dict[str, Any]) -> Alert | None:
    if event_type not in ALERT_TYPES:
        return None
    rider = data.get("rider")
    task = data.get("name") if event_type.startswith("task.") else data.get("task")
    detail = data.get("detail") or data.get("reason") or ""
    change = task_change(data) if event_type.startswith("task.") else None
    latitude = _float(data.get("latitude"))
    longitude = _float(data.get("longitude"))
    if change is not None and latitude is None:
        latitude, longitude = change.latitude, change.longitude
    return Alert(
        event_type,
        rider if isinstance(rider, str) else None,
        task if isinstance(task, str) else None,
        str(detail) if detail else event_type.replace(".", " ").replace("_", " "),
        int(data.get("event_time_ms", 0)),
        latitude,
        longitude,
    )
