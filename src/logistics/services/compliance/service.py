"""The compliance use cases: a rider's documents (and their files) and shifts, the tenant's
document policy, and a rider's eligibility."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
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
    Shift,
    Verification,
    Window,
    evaluate,
    validate_document,
    validate_review,
    validate_shift,
)
from logistics.domain.errors import FailedPrecondition
from logistics.domain.events import (
    CompliancePolicyUpdated,
    RiderShiftCreated,
    RiderShiftDeleted,
    RiderShiftUpdated,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import COMPLIANCE_POLICY, DOCUMENTS, RIDERS, SHIFTS
from logistics.domain.paging import Page, PageRequest
from logistics.services import crud
from logistics.services.compliance.eligibility import (
    DOCUMENT_EXPIRY,
    emit_compliance_changed,
    rider_facts,
)
from logistics.services.compliance.files import DocumentFiles, once, with_file
from logistics.services.compliance.refs import DocumentRef
from logistics.services.idempotency import claim_create
from logistics.store.unit_of_work import Store, UnitOfWork


def _shifts(rider_id: uuid.UUID) -> crud.Kind[Shift]:
    """A rider's shifts (deleted outright: a shift has no history to keep)."""
    return crud.Kind(
        SHIFTS.of(rider_id), lambda uow: uow.shifts.of(rider_id), lambda uow: uow.shifts.delete
    )


# "policy.update": the compliance policy was the first, and its audit rows keep their action.
_POLICY: crud.Policy[CompliancePolicy, CompliancePolicy] = crud.Policy(
    COMPLIANCE_POLICY, "compliance_policy", lambda uow: uow.policy, action="policy.update"
)


async def _document(
    uow: UnitOfWork, ref: DocumentRef, *, for_update: bool = False, etag: str | None = None
) -> Document:
    """The rider's document; NOT_FOUND naming it. ``for_update`` locks it and checks ``etag``."""
    documents, names = uow.documents.of(ref.rider_id), DOCUMENTS.of(ref.rider_id)
    if for_update:
        return await uow.load_for_update(documents, names, ref.id, etag=etag)
    return await uow.load(documents, names, ref.id)


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
        caller.require(Scope.ADMIN, rider.tenant)
        document = dataclasses.replace(document, rider_id=rider.id)
        validate_document(document)
        async with self._store.read(rider.tenant) as uow:
            await uow.load(uow.riders, RIDERS, rider.id)
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
                    return await _document(uow, DocumentRef(rider.tenant, rider.id, earlier))
                await uow.load(uow.riders, RIDERS, rider.id)
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
        caller.require(Scope.ADMIN, ref.tenant)
        async with self._store.read(ref.tenant) as uow:
            await _document(uow, ref)
        stored = await self._store_file(ref.tenant, ref.id, chunks)
        try:
            async with self._store.write(ref.tenant) as uow:
                current = await _document(uow, ref, for_update=True)
                wanted = dataclasses.replace(
                    with_file(current, stored),
                    verification=Verification.PENDING,
                    review_reason=None,
                )
                updated = await self._update(caller, uow, current, wanted, "uploaded")
        except BaseException:
            await self._files.discard(stored.key)
            raise
        if current.blob_key and current.blob_key != stored.key:
            await self._files.discard(current.blob_key)
        return updated

    async def open_file(
        self, caller: Caller, ref: DocumentRef
    ) -> tuple[Document, AsyncIterator[bytes]]:
        caller.require(Scope.READ, ref.tenant)
        async with self._store.read(ref.tenant) as uow:
            document = await _document(uow, ref)
        if not document.blob_key:
            raise FailedPrecondition("the document has no file yet", reason="NO_FILE")
        return document, await self._files.open(document.blob_key)

    async def get_document(self, caller: Caller, ref: DocumentRef) -> Document:
        caller.require(Scope.READ, ref.tenant)
        async with self._store.read(ref.tenant) as uow:
            return await _document(uow, ref)

    async def list_documents(
        self, caller: Caller, rider: ResourceName, page: PageRequest, kind: DocumentKind | None
    ) -> Page[Document]:
        async with self._rider_records(caller, rider) as uow:
            return await uow.documents.list(rider.id, page, kind=kind)

    async def update_document(
        self, caller: Caller, ref: DocumentRef, changes: dict[str, Any], etag: str | None
    ) -> Document:
        crud.authorise_update(caller, ref.tenant, changes, DOCUMENT_UPDATABLE)
        async with self._store.write(ref.tenant) as uow:
            current = await _document(uow, ref, for_update=True, etag=etag)
            wanted = dataclasses.replace(current, **changes)
            validate_document(wanted)
            if wanted == current:
                return current
            return await self._update(caller, uow, current, wanted, "updated")

    async def review_document(
        self, caller: Caller, ref: DocumentRef, outcome: ReviewOutcome, etag: str | None
    ) -> Document:
        caller.require(Scope.ADMIN, ref.tenant)
        validate_review(outcome)
        async with self._store.write(ref.tenant) as uow:
            current = await _document(uow, ref, for_update=True, etag=etag)
            wanted = dataclasses.replace(
                current, verification=outcome.verification, review_reason=outcome.reason
            )
            if wanted == current:
                return current
            return await self._update(caller, uow, current, wanted, "reviewed")

    async def delete_document(self, caller: Caller, ref: DocumentRef, etag: str | None) -> None:
        caller.require(Scope.ADMIN, ref.tenant)
        async with self._store.write(ref.tenant) as uow:
            current = await _document(uow, ref, for_update=True, etag=etag)
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
        """The audit row, the expiry timer and the compliance event (a document's change
        is recorded by what it did to the rider's eligibility), in the change's transaction."""
        document = after or before
        assert document is not None
        name = DOCUMENTS.name(uow.tenant, document.rider_id, document.id)
        await uow.record(caller.subject, f"document.{verb}", name, before=before, after=after)
        now = self._clock.now()
        expiry = after.expire_time if after is not None else None
        await uow.timers.set(
            DOCUMENT_EXPIRY, document.id, expiry if expiry is not None and expiry > now else None
        )
        await emit_compliance_changed(uow, document.rider_id, now, f"document {verb}", document)

    async def _update(
        self, caller: Caller, uow: UnitOfWork, current: Document, wanted: Document, verb: str
    ) -> Document:
        updated = await uow.documents.update(wanted)
        await self._after_change(caller, uow, current, updated, verb)
        return updated

    @asynccontextmanager
    async def _rider_records(
        self, caller: Caller, rider: ResourceName
    ) -> AsyncIterator[UnitOfWork]:
        """A read of the rider's documents or shifts; NOT_FOUND for an unknown rider."""
        caller.require(Scope.READ, rider.tenant)
        async with self._store.read(rider.tenant) as uow:
            await uow.load(uow.riders, RIDERS, rider.id)
            yield uow

    async def _store_file(
        self, tenant: TenantSlug, document_id: uuid.UUID, chunks: AsyncIterable[bytes]
    ) -> StoredBlob:
        tenant_id = await self._store.tenants.ensure(tenant)
        return await self._files.put(tenant_id, document_id, chunks)

    # Shifts

    async def create_shift(
        self, caller: Caller, rider: ResourceName, shift: Shift, request_id: str | None
    ) -> Shift:
        caller.require(Scope.ADMIN, rider.tenant)
        shift = dataclasses.replace(shift, rider_id=rider.id)
        validate_shift(shift)
        async with self._store.write(rider.tenant) as uow:
            return await _shifts(rider.id).create(
                uow,
                caller,
                shift,
                request_id,
                method="CreateShift",
                before_add=lambda: uow.load(uow.riders, RIDERS, rider.id),
                event=RiderShiftCreated,
            )

    async def get_shift(self, caller: Caller, ref: DocumentRef) -> Shift:
        caller.require(Scope.READ, ref.tenant)
        async with self._store.read(ref.tenant) as uow:
            return await uow.load(uow.shifts.of(ref.rider_id), SHIFTS.of(ref.rider_id), ref.id)

    async def list_shifts(
        self, caller: Caller, rider: ResourceName, page: PageRequest, overlapping: Window | None
    ) -> Page[Shift]:
        """The rider's shifts; with ``overlapping``, only those that overlap that window."""
        async with self._rider_records(caller, rider) as uow:
            return await uow.shifts.list(rider.id, page, overlapping=overlapping)

    async def update_shift(
        self, caller: Caller, ref: DocumentRef, changes: dict[str, Any], etag: str | None
    ) -> Shift:
        crud.authorise_update(caller, ref.tenant, changes, SHIFT_UPDATABLE)
        async with self._store.write(ref.tenant) as uow:
            return await _shifts(ref.rider_id).update(
                uow, caller, ref.id, etag, changes, validate=validate_shift, event=RiderShiftUpdated
            )

    async def delete_shift(self, caller: Caller, ref: DocumentRef, etag: str | None) -> None:
        caller.require(Scope.ADMIN, ref.tenant)
        async with self._store.write(ref.tenant) as uow:
            await _shifts(ref.rider_id).delete(uow, caller, ref.id, etag, event=RiderShiftDeleted)

    # Policy and eligibility

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> CompliancePolicy:
        return await _POLICY.get(self._store, caller, tenant)

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, policy: CompliancePolicy, etag: str | None
    ) -> CompliancePolicy:
        """Replaces the policy (a singleton: no create, no delete, and a replacement that
        changes nothing is still a new version)."""
        return await _POLICY.replace(
            self._store, caller, tenant, policy, etag, event=CompliancePolicyUpdated
        )

    async def eligibility(
        self,
        caller: Caller,
        rider: ResourceName,
        at: datetime | None = None,
        needed: Capacity | None = None,
    ) -> Eligibility:
        caller.require(Scope.READ, rider.tenant)
        when = at or self._clock.now()
        async with self._store.read(rider.tenant) as uow:
            return evaluate(await rider_facts(uow, rider.id, when), when, needed)
