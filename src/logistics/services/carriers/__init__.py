"""Carrier use cases: a tenant's carrier accounts, jobs booked for tasks, and the carriers'
status callbacks applied to jobs and tasks (docs/carriers.md)."""

from __future__ import annotations

from logistics.services.carriers.accounts import CarrierAccounts
from logistics.services.carriers.callbacks import CarrierCallbacks
from logistics.services.carriers.jobs import CarrierJobs, JobRecord
from logistics.services.carriers.ports import Connectors

__all__ = ["CarrierAccounts", "CarrierCallbacks", "CarrierJobs", "Connectors", "JobRecord"]
