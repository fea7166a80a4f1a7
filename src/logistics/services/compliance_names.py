"""Resource names of a rider's documents and shifts, and the reference a request makes to one."""

from __future__ import annotations

import dataclasses
import uuid

from logistics.domain.ids import TenantSlug
from logistics.services.fleet import rider_name


@dataclasses.dataclass(frozen=True)
class DocumentRef:
    """``tenants/{tenant}/riders/{rider}/documents/{document}`` (or ``/shifts/{shift}``)."""

    tenant: TenantSlug
    rider_id: uuid.UUID
    id: uuid.UUID


def document_name(tenant: TenantSlug, rider_id: uuid.UUID, document_id: uuid.UUID) -> str:
    return f"{rider_name(tenant, rider_id)}/documents/{document_id}"


def shift_name(tenant: TenantSlug, rider_id: uuid.UUID, shift_id: uuid.UUID) -> str:
    return f"{rider_name(tenant, rider_id)}/shifts/{shift_id}"
