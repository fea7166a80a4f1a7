"""Compliance: a rider's documents (and their files) and shifts, the tenant's document policy,
and the dispatch eligibility they decide.

A document change that can change eligibility (a new document, a review, a new expiry, a
deletion) emits ``rider.compliance_changed`` in its transaction; an expiry emits it when the
document's timer fires, from whichever worker claims it (see ``services.timers``).
"""

from __future__ import annotations

from logistics.services.compliance.eligibility import (
    DOCUMENT_EXPIRY,
    emit_compliance_changed,
    rider_facts,
)
from logistics.services.compliance.refs import DocumentRef
from logistics.services.compliance.service import ComplianceService

__all__ = [
    "DOCUMENT_EXPIRY",
    "ComplianceService",
    "DocumentRef",
    "emit_compliance_changed",
    "rider_facts",
]
