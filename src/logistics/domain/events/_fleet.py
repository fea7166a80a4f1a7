"""Events of fleets, riders, vehicles, shifts, compliance and outlets: the records a tenant
keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logistics.domain.compliance import (
    CompliancePolicy,
    DocumentKind,
    ReasonCode,
    Shift,
    Vehicle,
    Verification,
)
from logistics.domain.events._base import Event
from logistics.domain.fleet import Fleet, Rider
from logistics.domain.outlets import Outlet


@dataclass(frozen=True)
class FleetCreated(Event):
    """A fleet was created."""

    type = "fleet.created"

    name: str
    fleet: Fleet


@dataclass(frozen=True)
class FleetUpdated(Event):
    """A fleet was changed: ``fleet`` as it is now."""

    type = "fleet.updated"

    name: str
    fleet: Fleet


@dataclass(frozen=True)
class FleetDeleted(Event):
    """A fleet was deleted."""

    type = "fleet.deleted"

    name: str


@dataclass(frozen=True)
class RiderCreated(Event):
    """A rider was created (one at a time, by an upsert or by a CSV import)."""

    type = "rider.created"

    name: str
    rider: Rider


@dataclass(frozen=True)
class RiderUpdated(Event):
    """A rider was changed (one at a time, by an upsert or by a CSV import)."""

    type = "rider.updated"

    name: str
    rider: Rider


@dataclass(frozen=True)
class RiderDeleted(Event):
    """A rider was deleted."""

    type = "rider.deleted"

    name: str


@dataclass(frozen=True)
class VehicleCreated(Event):
    """A vehicle was created (one at a time or by a CSV import)."""

    type = "vehicle.created"

    name: str
    vehicle: Vehicle


@dataclass(frozen=True)
class VehicleUpdated(Event):
    """A vehicle was changed (one at a time or by a CSV import)."""

    type = "vehicle.updated"

    name: str
    vehicle: Vehicle


@dataclass(frozen=True)
class VehicleDeleted(Event):
    """A vehicle was deleted."""

    type = "vehicle.deleted"

    name: str


@dataclass(frozen=True)
class RiderShiftCreated(Event):
    """A rider's shift was planned."""

    type = "rider.shift_created"

    name: str
    shift: Shift


@dataclass(frozen=True)
class RiderShiftUpdated(Event):
    """A rider's shift was changed."""

    type = "rider.shift_updated"

    name: str
    shift: Shift


@dataclass(frozen=True)
class RiderShiftDeleted(Event):
    """A rider's shift was deleted."""

    type = "rider.shift_deleted"

    name: str


@dataclass(frozen=True)
class CompliancePolicyUpdated(Event):
    """The tenant's compliance policy (documents required per vehicle type) was replaced."""

    type = "compliance_policy.updated"

    name: str
    policy: CompliancePolicy


@dataclass(frozen=True)
class RiderComplianceChanged(Event):
    """A rider's document was uploaded, reviewed, deleted or expired: whether the rider is
    eligible for work now, and if not why."""

    type = "rider.compliance_changed"
    resource_field = "rider"

    rider: str
    document: str
    kind: DocumentKind
    verification: Verification
    expire_time: datetime | None
    cause: str
    eligible: bool
    reasons: tuple[ReasonCode, ...]


@dataclass(frozen=True)
class OutletCreated(Event):
    """An outlet became known here: the first write naming it (a task, a rider, UpdateOutlet)
    registered it, with what the platform said of it. `outlet` as registered."""

    type = "outlet.created"

    name: str
    outlet: Outlet


@dataclass(frozen=True)
class OutletUpdated(Event):
    """An outlet's details were changed (UpdateOutlet): `changed` names the fields that changed
    (`display_name`, `location`, `address`, `pickup_instructions`, `time_zone`,
    `opening_hours`), `outlet` is the outlet after the change."""

    type = "outlet.updated"

    name: str
    outlet: Outlet
    changed: tuple[str, ...] = ()
