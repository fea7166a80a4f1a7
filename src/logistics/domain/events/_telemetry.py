"""Events of riders' presence and positions, and of geofences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logistics.domain.events._base import Event
from logistics.domain.geofence import FenceKind, Geofence


@dataclass(frozen=True)
class RiderOnline(Event):
    """A rider's first ping after being offline reached the live index."""

    type = "rider.online"
    resource_field = "rider"

    rider: str
    seen_time: datetime


@dataclass(frozen=True)
class RiderOffline(Event):
    """A rider sent no ping for the offline threshold (emitted once per transition)."""

    type = "rider.offline"
    resource_field = "rider"

    rider: str
    last_seen_time: datetime | None


@dataclass(frozen=True)
class RiderSpoofingSuspected(Event):
    """A ping implied an impossible speed: it was refused as a likely spoofed location."""

    type = "rider.spoofing_suspected"
    resource_field = "rider"

    rider: str
    sequence: int
    record_time: datetime
    latitude: float
    longitude: float
    detail: str


@dataclass(frozen=True)
class RiderRouteChange(Event):
    """A rider left or rejoined its planned path: ``route`` (its route, when the path is a
    plan's) or ``task`` (when it is the road to the task's next step), ``off_since`` when it
    left the corridor, the position and time of the ping that decided."""

    resource_field = "rider"

    rider: str
    route: str | None
    task: str | None
    off_since: datetime
    record_time: datetime
    latitude: float
    longitude: float
    distance_m: float
    max_distance_m: float


@dataclass(frozen=True)
class RiderOffRoute(RiderRouteChange):
    """A rider stayed farther than the corridor from its planned path (a route plan, or the
    road to its task's next step) for the tolerance (emitted once per deviation)."""

    type = "rider.off_route"


@dataclass(frozen=True)
class RiderBackOnRoute(RiderRouteChange):
    """A rider reported off route is back within the corridor of its path."""

    type = "rider.back_on_route"


@dataclass(frozen=True)
class GeofenceTransition(Event):
    """A rider's ping crossed or stayed in a geofence: ``kind`` is the fence's kind (none if
    the fence is gone), the position and time the ping's."""

    resource_field = "rider"

    rider: str
    geofence: str
    kind: FenceKind | None
    record_time: datetime
    latitude: float
    longitude: float


@dataclass(frozen=True)
class GeofenceEntered(GeofenceTransition):
    """A rider entered a geofence."""

    type = "geofence.entered"


@dataclass(frozen=True)
class GeofenceExited(GeofenceTransition):
    """A rider left a geofence."""

    type = "geofence.exited"


@dataclass(frozen=True)
class GeofenceDwelled(GeofenceTransition):
    """A rider stayed in a geofence for its dwell threshold."""

    type = "geofence.dwelled"


@dataclass(frozen=True)
class GeofenceCreated(Event):
    """A geofence was created."""

    type = "geofence.created"

    name: str
    geofence: Geofence


@dataclass(frozen=True)
class GeofenceUpdated(Event):
    """A geofence was changed."""

    type = "geofence.updated"

    name: str
    geofence: Geofence


@dataclass(frozen=True)
class GeofenceDeleted(Event):
    """A geofence was deleted."""

    type = "geofence.deleted"

    name: str
