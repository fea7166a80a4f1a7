"""A rider's compliance facts, as the matcher and the compliance use cases read them, and the
``rider.compliance_changed`` event a document's change or expiry emits."""

from __future__ import annotations

import uuid
from datetime import datetime

from logistics.domain.compliance import Document, RiderFacts, evaluate
from logistics.domain.events import RiderComplianceChanged
from logistics.domain.names import DOCUMENTS, RIDERS
from logistics.store.unit_of_work import UnitOfWork

# The timer a document's expiry sets (see ``services.timers``).
DOCUMENT_EXPIRY = "document.expiry"


async def rider_facts(uow: UnitOfWork, rider_id: uuid.UUID, at: datetime) -> RiderFacts:
    """What decides the rider's eligibility at ``at``; NOT_FOUND for an unknown rider."""
    rider = await uow.load(uow.riders, RIDERS, rider_id)
    vehicle = await uow.vehicles.get(rider.vehicle_id) if rider.vehicle_id else None
    return RiderFacts(
        rider=rider,
        vehicle=vehicle,
        shifts=await uow.shifts.covering(rider_id, at),
        documents=await uow.documents.of_rider(rider_id),
        policy=await uow.policy.get(),
    )


async def emit_compliance_changed(
    uow: UnitOfWork, rider_id: uuid.UUID, at: datetime, cause: str, document: Document
) -> None:
    eligibility = evaluate(await rider_facts(uow, rider_id, at), at)
    await uow.emit(
        RiderComplianceChanged(
            rider=RIDERS.name(uow.tenant, rider_id),
            document=DOCUMENTS.name(uow.tenant, rider_id, document.id),
            kind=document.kind,
            verification=document.verification,
            expire_time=document.expire_time,
            cause=cause,
            eligible=eligibility.eligible,
            reasons=tuple(r.code for r in eligibility.reasons),
        )
    )
