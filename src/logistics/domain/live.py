"""Live views: what a dispatcher's view holds and how its frames are built. Pure.

A view receives rider updates, removals, task changes and alerts as they happen, and sends a
frame every interval. Between frames a ``FrameBuffer`` coalesces: the latest state of a rider
replaces the previous one, so a slow viewer loses intermediate positions, never memory.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from logistics.domain.eta import Eta

OFFLINE = "offline"
ONLINE = "online"


class RiderUpdate(NamedTuple):
    """A rider's live state as views show it. Times are epoch milliseconds. A named tuple: one
    is made per ping batch and per rider a view receives."""

    rider_id: str
    latitude: float
    longitude: float
    heading_deg: float
    speed_mps: float
    status: str
    task: str | None
    record_ms: int
    seen_ms: int
    fleet: str | None = None


@dataclass(frozen=True, slots=True)
class TaskChange:
    task: str  # resource name
    state: str
    rider: str | None  # resource name
    eta: Eta | None = None  # at the next step, once estimated (``services.etas``)
    latitude: float | None = None  # where the task's next step is, when known
    longitude: float | None = None
    needs_address: bool = False  # a step waits for its address (``domain.addresses``)


@dataclass(frozen=True, slots=True)
class Alert:
    type: str  # the event type, such as "geofence.entered" or "rider.offline"
    rider: str | None  # resource name
    task: str | None  # resource name
    message: str
    time_ms: int
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Frame:
    sequence: int
    snapshot: bool
    upserts: list[RiderUpdate] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)  # rider ids
    tasks: list[TaskChange] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


class FrameBuffer:
    """What changed since the last frame, bounded: at most ``max_riders`` riders and
    ``max_tasks`` tasks (the latest state of each), and the ``max_alerts`` newest alerts.
    ``dropped`` counts what did not fit."""

    def __init__(self, *, max_riders: int, max_tasks: int = 1000, max_alerts: int = 100) -> None:
        self._max_riders = max_riders
        self._max_tasks = max_tasks
        self._upserts: dict[str, RiderUpdate] = {}
        self._removals: set[str] = set()
        self._tasks: dict[str, TaskChange] = {}
        self._alerts: deque[Alert] = deque(maxlen=max_alerts)
        self.dropped = 0

    def upsert(self, update: RiderUpdate) -> None:
        rider = update.rider_id
        self._removals.discard(rider)
        if rider in self._upserts or len(self._upserts) < self._max_riders:
            self._upserts[rider] = update
        else:
            self.dropped += 1

    def remove(self, rider_id: str) -> None:
        self._upserts.pop(rider_id, None)
        self._removals.add(rider_id)

    def task(self, change: TaskChange) -> None:
        if change.task in self._tasks or len(self._tasks) < self._max_tasks:
            self._tasks[change.task] = change
        else:
            self.dropped += 1

    def alert(self, alert: Alert) -> None:
        if len(self._alerts) == self._alerts.maxlen:
            self.dropped += 1
        self._alerts.append(alert)

    def __len__(self) -> int:
        return len(self._upserts) + len(self._removals) + len(self._tasks) + len(self._alerts)

    def take(self, sequence: int, *, snapshot: bool = False) -> Frame:
        """The frame of everything buffered; the buffer is empty afterwards."""
        frame = Frame(
            sequence,
            snapshot,
            list(self._upserts.values()),
            sorted(self._removals),
            list(self._tasks.values()),
            list(self._alerts),
        )
        self._upserts, self._removals, self._tasks = {}, set(), {}
        self._alerts.clear()
        return frame
