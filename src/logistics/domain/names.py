"""The resource names of the API, in one place: each collection once, with how its names are
written (``tenants/{tenant}/riders/{rider}``) and parsed, and what its resource is called in
messages ("rider ... not found")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from logistics.domain.errors import NotFound
from logistics.domain.ids import (
    ChildName,
    ResourceName,
    TenantSlug,
    parse_child,
    parse_name,
    parse_singleton,
)

__all__ = [
    "CARRIER_ACCOUNTS",
    "CARRIER_JOBS",
    "COMPLETION_POLICY",
    "COMPLIANCE_POLICY",
    "DELIVERIES",
    "DISPATCH_POLICY",
    "DOCUMENTS",
    "FAILED_DELIVERY_POLICY",
    "FLEETS",
    "FLOWS",
    "GEOFENCES",
    "NOTIFICATIONS",
    "NOTIFICATION_RULES",
    "PROOFS",
    "PROOF_RETENTION_POLICY",
    "RIDERS",
    "ROUTES",
    "ROUTE_PLANS",
    "ROUTE_TEMPLATES",
    "SHIFTS",
    "SLA_POLICY",
    "TASKS",
    "TELEMETRY_POLICY",
    "TRANSFERS",
    "VEHICLES",
    "WEBHOOKS",
    "ChildCollection",
    "Children",
    "Collection",
    "Names",
    "Singleton",
]


class Names(Protocol):
    """How the resources of one collection are named, by id: a tenant's fleets, or one
    rider's shifts (``SHIFTS.of(rider_id)``); ``noun`` names one of them in messages."""

    @property
    def noun(self) -> str: ...

    def name(self, tenant: TenantSlug, resource_id: uuid.UUID, /) -> str: ...

    def not_found(self, tenant: TenantSlug, resource_id: uuid.UUID, /) -> NotFound: ...


@dataclass(frozen=True)
class Collection:
    """A tenant's collection: ``tenants/{tenant}/{id}/{resource id}``; ``noun`` names one of
    its resources in messages."""

    id: str
    noun: str

    def __str__(self) -> str:
        return self.id

    def name(self, tenant: TenantSlug, resource_id: uuid.UUID | str) -> str:
        """The name of one resource; a ``str`` id is one already in its canonical form."""
        return f"tenants/{tenant}/{self.id}/{resource_id}"

    def resource(self, tenant: TenantSlug, resource_id: uuid.UUID) -> ResourceName:
        return ResourceName(tenant, self.id, resource_id)

    def parse(self, value: str, field: str = "name") -> ResourceName:
        """Parses a name of this collection (INVALID_ARGUMENT on ``field`` if it is not one)."""
        return parse_name(value, self.id, field)

    def not_found(self, tenant: TenantSlug, resource_id: uuid.UUID) -> NotFound:
        return NotFound(f"{self.noun} {self.name(tenant, resource_id)} not found")


@dataclass(frozen=True)
class ChildCollection:
    """A collection inside a resource: ``tenants/{tenant}/{parent}/{id}/{id}/{child id}``."""

    parent: Collection
    id: str
    noun: str

    def __str__(self) -> str:
        return self.id

    def name(self, tenant: TenantSlug, parent_id: uuid.UUID, resource_id: uuid.UUID) -> str:
        return f"{self.parent.name(tenant, parent_id)}/{self.id}/{resource_id}"

    def parse(self, value: str, field: str = "name") -> ChildName:
        return parse_child(value, self.parent.id, self.id, field)

    def not_found(
        self, tenant: TenantSlug, parent_id: uuid.UUID, resource_id: uuid.UUID
    ) -> NotFound:
        return NotFound(f"{self.noun} {self.name(tenant, parent_id, resource_id)} not found")

    def of(self, parent_id: uuid.UUID) -> Children:
        """The resources of one parent, named by their own id."""
        return Children(self, parent_id)


@dataclass(frozen=True)
class Children:
    """One parent's resources of a child collection (a rider's shifts)."""

    collection: ChildCollection
    parent_id: uuid.UUID

    @property
    def noun(self) -> str:
        return self.collection.noun

    def name(self, tenant: TenantSlug, resource_id: uuid.UUID) -> str:
        return self.collection.name(tenant, self.parent_id, resource_id)

    def not_found(self, tenant: TenantSlug, resource_id: uuid.UUID) -> NotFound:
        return self.collection.not_found(tenant, self.parent_id, resource_id)


@dataclass(frozen=True)
class Singleton:
    """One resource per tenant: ``tenants/{tenant}/{id}``, such as its SLA policy."""

    id: str

    def __str__(self) -> str:
        return self.id

    def name(self, tenant: TenantSlug) -> str:
        return f"tenants/{tenant}/{self.id}"

    def parse(self, value: str, field: str = "name") -> TenantSlug:
        return parse_singleton(value, self.id, field)


FLEETS = Collection("fleets", "fleet")
RIDERS = Collection("riders", "rider")
VEHICLES = Collection("vehicles", "vehicle")
GEOFENCES = Collection("geofences", "geofence")
WEBHOOKS = Collection("webhooks", "webhook")
TASKS = Collection("tasks", "task")
ROUTES = Collection("routes", "route")
ROUTE_PLANS = Collection("routePlans", "route plan")
ROUTE_TEMPLATES = Collection("routeTemplates", "route template")
NOTIFICATION_RULES = Collection("notificationRules", "notification rule")
NOTIFICATIONS = Collection("notifications", "notification")
FLOWS = Collection("flows", "flow")
CARRIER_ACCOUNTS = Collection("carrierAccounts", "carrier account")
TRANSFERS = Collection("transfers", "transfer")

DOCUMENTS = ChildCollection(RIDERS, "documents", "document")
SHIFTS = ChildCollection(RIDERS, "shifts", "shift")
DELIVERIES = ChildCollection(WEBHOOKS, "deliveries", "delivery")
PROOFS = ChildCollection(TASKS, "proofs", "proof")
CARRIER_JOBS = ChildCollection(TASKS, "carrierJobs", "carrier job")

COMPLETION_POLICY = Singleton("completionPolicy")
FAILED_DELIVERY_POLICY = Singleton("failedDeliveryPolicy")
COMPLIANCE_POLICY = Singleton("compliancePolicy")
PROOF_RETENTION_POLICY = Singleton("proofRetentionPolicy")
DISPATCH_POLICY = Singleton("dispatchPolicy")
SLA_POLICY = Singleton("slaPolicy")
TELEMETRY_POLICY = Singleton("telemetryPolicy")
