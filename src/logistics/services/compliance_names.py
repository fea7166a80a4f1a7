"""Resource names of a rider's documents and shifts, and the reference a request makes to one."""

from __future__ import annotations

import dataclasses
import uuid

from logistics.domain.ids import TenantSlug
from logistics.domain.names import DOCUMENTS, SHIFTS


@dataclasses.dataclass(frozen=True)
class DocumentRef:
    """``tenants/{tenant}/riders/{rider}/documents/{document}`` (or ``/shifts/{shift}``)."""

    tenant: TenantSlug
    rider_id: uuid.UUID
    id: uuid.UUID


# Kept for services/compliance.py, which names documents and shifts with them; new code writes
# ``DOCUMENTS.name`` and ``SHIFTS.name``.
document_name = DOCUMENTS.name
shift_name = SHIFTS.name
