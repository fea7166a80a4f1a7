"""Events of carrier accounts and carrier jobs: a tenant's accounts changed, a job booked, a
job's status reported, a carrier failing a job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from logistics.domain.events._base import Event


@dataclass(frozen=True)
class CarrierAccountShown:
    """A carrier account as its events show it: never its credentials nor its URL."""

    id: uuid.UUID
    display_name: str
    adapter: str
    mode: str
    kind: str
    vehicle_types: tuple[str, ...]
    zones: tuple[str, ...]
    priority: int
    disabled: bool


@dataclass(frozen=True)
class CarrierAccountCreated(Event):
    """A carrier account was added."""

    type = "carrier.account_created"

    name: str
    account: CarrierAccountShown


@dataclass(frozen=True)
class CarrierAccountUpdated(Event):
    """A carrier account was changed (its credentials perhaps: never shown)."""

    type = "carrier.account_updated"

    name: str
    account: CarrierAccountShown


@dataclass(frozen=True)
class CarrierAccountDeleted(Event):
    """A carrier account was deleted; its jobs stay on record."""

    type = "carrier.account_deleted"

    name: str


@dataclass(frozen=True)
class CarrierJobBooked(Event):
    """A carrier accepted a task: `job` is the job's name, `carrier_ref` the carrier's id for
    it, `quoted_amount` its price in minor units of `currency`."""

    type = "carrier.job_booked"
    resource_field = "job"

    job: str
    task: str
    account: str
    carrier_ref: str
    quoted_amount: int
    currency: str


@dataclass(frozen=True)
class CarrierJobUpdated(Event):
    """A carrier reported a new status of a job (`status`; `carrier_status` in its own words),
    with its courier when it has one."""

    type = "carrier.job_updated"
    resource_field = "job"

    job: str
    task: str
    status: str
    carrier_status: str
    courier_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class CarrierFailure(Event):
    """A carrier failed or cancelled a job, or could not be booked: `reason` says why; the task
    went back to dispatch (manual) or failed with it."""

    type = "carrier.failure"
    resource_field = "task"

    task: str
    account: str
    reason: str
    carrier_job: str | None = None
