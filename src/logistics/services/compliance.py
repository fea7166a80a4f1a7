"""Compliance use cases: documents (and their files), shifts, the tenant's document policy,
and the derived dispatch eligibility of a rider.

A document change that can change eligibility (a new document, a review, a new expiry, a
deletion) emits ``rider.compliance_changed`` in its transaction; an expiry emits it when the
document's timer fires, from whichever worker claims it (see ``services.timers``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import Any

from logistics.blobs.interface import BlobStore, StoredBlob
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.compliance import (
    DOCUMENT_UPDATABLE,
    SHIFT_UPDATABLE,
    Capacity,
    CompliancePolicy,
    Document,
    DocumentKind,
    Eligibility,
    ReviewOutcome,
    RiderFacts,
    Shift,
    Verification,
    Window,
    evaluate,
    validate_document,
    validate_review,
    validate_shift,
)
from logistics.domain.errors import FailedPrecondition, NotFound
from logistics.domain.events import (
    CompliancePolicyUpdated,
    RiderComplianceChanged,
    RiderShiftCreated,
    RiderShiftDeleted,
    RiderShiftUpdated,
)
from logistics.domain.fleet import check_update_paths
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import RIDERS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.versioning import check_etag
from logistics.services.compliance_files import DocumentFiles, once, with_file
from logistics.services.compliance_names import DocumentRef, document_name, shift_name
from logistics.services.idempotency import claim_create
from logistics.store.unit_of_work import Store, UnitOfWork

DOCUMENT_EXPIRY = "document.expiry"


async def _rider_exists(uow: UnitOfWork, rider_id: uuid.UUID) -> None:
    if await uow.riders.get(rider_id) is None:
        raise NotFound(f"rider {RIDERS.name(uow.tenant, rider_id)} not found")


async def rider_facts(uow: UnitOfWork, rider_id: uuid.UUID, at: datetime) -> RiderFacts:
    rider = await uow.riders.get(rider_id)
    if rider is None:
        raise NotFound(f"rider {RIDERS.name(uow.tenant, rider_id)} not found")
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
            document=document_name(uow.tenant, rider_id, document.id),
            kind=document.kind,
            verification=document.verification,
            expire_time=document.expire_time,
            cause=cause,
            eligible=eligibility.eligible,
            reasons=tuple(r.code for r in eligibility.reasons),
        )
    )


class ComplianceService:
    """Documents and shifts need ``logistics:admin`` to change and ``logistics:read`` to read."""

    def __init__(
        self, store: Store, blobs: BlobStore, clock: Clock, *, max_document_bytes: int
    ) -> None:
        self._store = store
        self._files = DocumentFiles(blobs, max_bytes=max_document_bytes)
        self._clock = clock

    # Documents

    async def create_document(
        self,
        caller: Caller,
        rider: ResourceName,
        document: Document,
        content: bytes | None,
        request_id: str | None,
    ) -> Document:
        caller.require_tenant(rider.tenant)
        caller.require(Scope.ADMIN)
        document = dataclasses.replace(document, rider_id=rider.id)
        validate_document(document)
        async with self._store.read(rider.tenant) as uow:
            await _rider_exists(uow, rider.id)
        stored = (
            await self._store_file(rider.tenant, document.id, once(content)) if content else None
        )
        kept = False
        try:
            async with self._store.write(rider.tenant) as uow:
                # The file is part of the request: the same id with another file is a reuse.
                request = dataclasses.replace(
                    document, file_sha256=stored.sha256 if stored else None
                )
                earlier = await claim_create(uow, "CreateDocument", request_id, request)
                if earlier is not None:
                    return await self._document(uow, rider.id, earlier)
                await _rider_exists(uow, rider.id)
                created = await uow.documents.add(with_file(document, stored))
                await self._after_change(caller, uow, None, created, "created")
            kept = True
            return created
        finally:
            if stored is not None and not kept:  # a failed write, or a retry of an earlier one
                await self._files.discard(stored.key)

    async def upload_file(
        self, caller: Caller, ref: DocumentRef, chunks: AsyncIterable[bytes]
    ) -> Document:
        """Streams a document's file into the blob store, then records it on the document.

        A new file needs a new review: the document goes back to PENDING."""
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        async with self._store.read(ref.tenant) as uow:
            await self._document(uow, ref.rider_id, ref.id)
        stored = await self._store_file(ref.tenant, ref.id, chunks)
        try:
            async with self._store.write(ref.tenant) as uow:
                current = await self._document(uow, ref.rider_id, ref.id, for_update=True)
                wanted = dataclasses.replace(
                    with_file(current, stored),
                    verification=Verification.PENDING,
                    review_reason=None,
                )
                updated = await uow.documents.update(wanted)
                await self._after_change(caller, uow, current, updated, "uploaded")
        except BaseException:
            await self._files.discard(stored.key)
            raise
        if current.blob_key and current.blob_key != stored.key:
            await self._files.discard(current.blob_key)
        return updated

    async def open_file(
        self, caller: Caller, ref: DocumentRef
    ) -> tuple[Document, AsyncIterator[bytes]]:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.READ)
        async with self._store.read(ref.tenant) as uow:
            document = await self._document(uow, ref.rider_id, ref.id)
        if not document.blob_key:
            raise FailedPrecondition("the document has no file yet", reason="NO_FILE")
        return document, await self._files.open(document.blob_key)

    async def get_document(self, caller: Caller, ref: DocumentRef) -> Document:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.READ)
        async with self._store.read(ref.tenant) as uow:
            return await self._document(uow, ref.rider_id, ref.id)

    async def list_documents(
        self, caller: Caller, rider: ResourceName, page: PageRequest, kind: DocumentKind | None
    ) -> Page[Document]:
        caller.require_tenant(rider.tenant)
        caller.require(Scope.READ)
        async with self._store.read(rider.tenant) as uow:
            await _rider_exists(uow, rider.id)
            return await uow.documents.list(rider.id, page, kind=kind)

    async def update_document(
        self, caller: Caller, ref: DocumentRef, changes: dict[str, Any], etag: str | None
    ) -> Document:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        check_update_paths(frozenset(changes), DOCUMENT_UPDATABLE, "update_mask")
        async with self._store.write(ref.tenant) as uow:
            current = await self._document(uow, ref.rider_id, ref.id, for_update=True)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(current, **changes)
            validate_document(wanted)
            if wanted == current:
                return current
            updated = await uow.documents.update(wanted)
            await self._after_change(caller, uow, current, updated, "updated")
            return updated

    async def review_document(
        self, caller: Caller, ref: DocumentRef, outcome: ReviewOutcome, etag: str | None
    ) -> Document:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        validate_review(outcome)
        async with self._store.write(ref.tenant) as uow:
            current = await self._document(uow, ref.rider_id, ref.id, for_update=True)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(
                current, verification=outcome.verification, review_reason=outcome.reason
            )
            if wanted == current:
                return current
            updated = await uow.documents.update(wanted)
            await self._after_change(caller, uow, current, updated, "reviewed")
            return updated

    async def delete_document(self, caller: Caller, ref: DocumentRef, etag: str | None) -> None:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        async with self._store.write(ref.tenant) as uow:
            current = await self._document(uow, ref.rider_id, ref.id, for_update=True)
            check_etag(etag, current.version)
            await uow.documents.archive(ref.id)
            await self._after_change(caller, uow, current, None, "deleted")

    async def _after_change(
        self,
        caller: Caller,
        uow: UnitOfWork,
        before: Document | None,
        after: Document | None,
        verb: str,
    ) -> None:
        """Audit, the expiry timer, and the compliance event, in the change's transaction."""
        document = after or before
        assert document is not None
        name = document_name(uow.tenant, document.rider_id, document.id)
        await uow.audit(caller.subject, f"document.{verb}", name, before=before, after=after)
        now = self._clock.now()
        expiry = after.expire_time if after is not None else None
        await uow.timers.set(
            DOCUMENT_EXPIRY, document.id, expiry if expiry is not None and expiry > now else None
        )
        await emit_compliance_changed(uow, document.rider_id, now, f"document {verb}", document)

    async def _store_file(
        self, tenant: TenantSlug, document_id: uuid.UUID, chunks: AsyncIterable[bytes]
    ) -> StoredBlob:
        tenant_id = await self._store.tenants.ensure(tenant)
        return await self._files.put(tenant_id, document_id, chunks)

    @staticmethod
    async def _document(
        uow: UnitOfWork, rider_id: uuid.UUID, document_id: uuid.UUID, *, for_update: bool = False
    ) -> Document:
        found = await uow.documents.get(rider_id, document_id, for_update=for_update)
        if found is None:
            raise NotFound(f"document {document_name(uow.tenant, rider_id, document_id)} not found")
        return found

    # Shifts

    async def create_shift(
        self, caller: Caller, rider: ResourceName, shift: Shift, request_id: str | None
    ) -> Shift:
        caller.require_tenant(rider.tenant)
        caller.require(Scope.ADMIN)
        shift = dataclasses.replace(shift, rider_id=rider.id)
        validate_shift(shift)
        async with self._store.write(rider.tenant) as uow:
            earlier = await claim_create(uow, "CreateShift", request_id, shift)
            if earlier is not None:
                return await self._shift(uow, rider.id, earlier)
            await _rider_exists(uow, rider.id)
            created = await uow.shifts.add(shift)
            name = shift_name(rider.tenant, rider.id, created.id)
            await uow.audit(caller.subject, "shift.create", name, after=created)
            await uow.emit(RiderShiftCreated(name, created))
            return created

    async def get_shift(self, caller: Caller, ref: DocumentRef) -> Shift:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.READ)
        async with self._store.read(ref.tenant) as uow:
            return await self._shift(uow, ref.rider_id, ref.id)

    async def list_shifts(
        self, caller: Caller, rider: ResourceName, page: PageRequest, overlapping: Window | None
    ) -> Page[Shift]:
        caller.require_tenant(rider.tenant)
        caller.require(Scope.READ)
        async with self._store.read(rider.tenant) as uow:
            await _rider_exists(uow, rider.id)
            return await uow.shifts.list(rider.id, page, overlapping=overlapping)

    async def update_shift(
        self, caller: Caller, ref: DocumentRef, changes: dict[str, Any], etag: str | None
    ) -> Shift:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        check_update_paths(frozenset(changes), SHIFT_UPDATABLE, "update_mask")
        async with self._store.write(ref.tenant) as uow:
            current = await self._shift(uow, ref.rider_id, ref.id, for_update=True)
            check_etag(etag, current.version)
            wanted = dataclasses.replace(current, **changes)
            validate_shift(wanted)
            if wanted == current:
                return current
            updated = await uow.shifts.update(wanted)
            name = shift_name(ref.tenant, ref.rider_id, ref.id)
            await uow.audit(caller.subject, "shift.update", name, before=current, after=updated)
            await uow.emit(RiderShiftUpdated(name, updated))
            return updated

    async def delete_shift(self, caller: Caller, ref: DocumentRef, etag: str | None) -> None:
        caller.require_tenant(ref.tenant)
        caller.require(Scope.ADMIN)
        async with self._store.write(ref.tenant) as uow:
            current = await self._shift(uow, ref.rider_id, ref.id, for_update=True)
            check_etag(etag, current.version)
            await uow.shifts.delete(ref.id)
            name = shift_name(ref.tenant, ref.rider_id, ref.id)
            await uow.audit(caller.subject, "shift.delete", name, before=current)
            await uow.emit(RiderShiftDeleted(name))

    @staticmethod
    async def _shift(
        uow: UnitOfWork, rider_id: uuid.UUID, shift_id: uuid.UUID, *, for_update: bool = False
    ) -> Shift:
        found = await uow.shifts.get(rider_id, shift_id, for_update=for_update)
        if found is None:
            raise NotFound(f"shift {shift_name(uow.tenant, rider_id, shift_id)} not found")
        return found

    # Policy and eligibility

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> CompliancePolicy:
        caller.require_tenant(tenant)
        caller.require(Scope.READ)
        async with self._store.read(tenant) as uow:
            return await uow.policy.get()

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, policy: CompliancePolicy, etag: str | None
    ) -> CompliancePolicy:
        caller.require_tenant(tenant)
        caller.require(Scope.ADMIN)
        async with self._store.write(tenant) as uow:
            await uow.lock("compliance_policy", "")
            current = await uow.policy.get(for_update=True)
            check_etag(etag, current.version)
            updated = await uow.policy.put(policy)
            name = f"tenants/{tenant}/compliancePolicy"
            await uow.audit(caller.subject, "policy.update", name, before=current, after=updated)
            await uow.emit(CompliancePolicyUpdated(name, updated))
            return updated

    async def eligibility(
        self,
        caller: Caller,
        rider: ResourceName,
        at: datetime | None = None,
        needed: Capacity | None = None,
    ) -> Eligibility:
        caller.require_tenant(rider.tenant)
        caller.require(Scope.READ)
        when = at or self._clock.now()
        async with self._store.read(rider.tenant) as uow:
            return evaluate(await rider_facts(uow, rider.id, when), when, needed)
