"""The reference a request makes to one of a rider's documents or shifts."""

from __future__ import annotations

import dataclasses
import uuid

from logistics.domain.ids import TenantSlug


@dataclasses.dataclass(frozen=True)
class DocumentRef:
    """``tenants/{tenant}/riders/{rider}/documents/{document}`` (or ``/shifts/{shift}``)."""

    tenant: TenantSlug
    rider_id: uuid.UUID
    id: uuid.UUID
