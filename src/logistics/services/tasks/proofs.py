"""Proof of delivery: the proofs a rider gives with a completed step, checked, their files
(photos, signatures) kept in the blob store, and the rows stored for them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime

from logistics.blobs.errors import BlobEmpty, BlobError, BlobTooLarge, BlobTypeNotAllowed
from logistics.blobs.interface import BlobStore, StoredBlob
from logistics.domain import tasks as machine
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import FailedPrecondition, InvalidArgument, Unavailable
from logistics.domain.ids import TenantId
from logistics.domain.returns import ItemFinding
from logistics.domain.task_records import ProofRow
from logistics.domain.tasks import ProofKind, Step, Task
from logistics.services.tasks.trail import Location

logger = logging.getLogger(__name__)

PROOF_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/heic"})


@dataclass(frozen=True)
class ProofInput:
    kind: ProofKind
    text: str | None = None
    content: bytes | None = None
    temperatures_c: tuple[float, ...] = ()
    location: Location | None = None
    capture_time: datetime | None = None
    # The task's items the proof shows, with the condition the rider found (``exchanges``).
    items: tuple[ItemFinding, ...] = ()


class ProofFiles:
    """The files of proofs in the blob store, under the tenant's and the task's prefix."""

    def __init__(self, blobs: BlobStore, max_bytes: int) -> None:
        self._blobs = blobs
        self._max_bytes = max_bytes

    async def store(
        self, tenant_id: TenantId, task_id: uuid.UUID, proofs: list[ProofInput]
    ) -> list[StoredBlob | None]:
        """One blob per photo or signature (``None`` for the other proofs); all or none."""

        async def one(proof: ProofInput) -> StoredBlob | None:
            if proof.kind not in (ProofKind.PHOTO, ProofKind.SIGNATURE):
                return None
            key = f"tenants/{tenant_id}/tasks/{task_id}/proofs/{uuid.uuid4().hex}"
            with _blob_errors():
                return await self._blobs.put(
                    key,
                    _once(proof.content or b""),
                    max_bytes=self._max_bytes,
                    allowed_types=PROOF_IMAGE_TYPES,
                )

        results = await asyncio.gather(*(one(p) for p in proofs), return_exceptions=True)
        stored = [r for r in results if isinstance(r, StoredBlob)]
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            for blob in stored:
                await self.discard(blob.key)
            raise failure
        return [r if isinstance(r, StoredBlob) else None for r in results]

    async def discard(self, key: str) -> None:
        try:
            await self._blobs.delete(key)
        except BlobError:
            logger.warning("could not delete blob %s; it is orphaned", key, exc_info=True)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        with _blob_errors():
            return await self._blobs.open(key)


def check_proofs(proofs: list[ProofInput]) -> None:
    kinds = [p.kind for p in proofs if p.kind is not ProofKind.PHOTO]  # photos may be several
    if len(kinds) != len(set(kinds)):
        raise InvalidArgument.field("proofs", "gives a kind of proof twice")
    for i, p in enumerate(proofs):
        field = f"proofs[{i}]"
        texts = (ProofKind.ONE_TIME_CODE, ProofKind.NFC_TAG, ProofKind.RECIPIENT_NAME)
        if p.kind in texts and (not (p.text or "").strip() or len(p.text or "") > 200):
            raise InvalidArgument.field(
                f"{field}.text", f"is required for {p.kind.value} (at most 200 characters)"
            )
        if p.kind in (ProofKind.PHOTO, ProofKind.SIGNATURE) and not p.content:
            raise InvalidArgument.field(f"{field}.content", f"is required for a {p.kind.value}")
        if p.kind is ProofKind.TEMPERATURE_LOG:
            if not p.temperatures_c or len(p.temperatures_c) > 10_000:
                raise InvalidArgument.field(f"{field}.temperatures_c", "needs 1 to 10,000 readings")
            if any(not -100 <= t <= 200 for t in p.temperatures_c):
                raise InvalidArgument.field(f"{field}.temperatures_c", "has a reading out of range")


def proofs_given(
    caller: Caller, step: Step, proofs: list[ProofInput]
) -> tuple[set[ProofKind], str | None, str | None]:
    """The kinds of proof a completion counts as given, the reason to record when a
    dispatcher takes over a step whose one-time code is locked, and the code to check (``None``
    when there is none to check)."""
    given = {p.kind for p in proofs}
    if (
        step.code_attempts >= machine.MAX_CODE_ATTEMPTS
        and ProofKind.ONE_TIME_CODE not in given
        and caller.has(Scope.DISPATCH)
        and not caller.rider_id
    ):
        # A dispatcher takes over a step whose code was locked (audited as such).
        given.add(ProofKind.ONE_TIME_CODE)
        return given, "one-time code locked; completed by a dispatcher", None
    if ProofKind.ONE_TIME_CODE in step.required_proofs and ProofKind.ONE_TIME_CODE in given:
        if step.code_attempts >= machine.MAX_CODE_ATTEMPTS:
            raise FailedPrecondition(
                "the one-time code is locked after too many wrong attempts; "
                "a dispatcher must handle this step",
                reason="CODE_LOCKED",
            )
        code = next(p.text for p in proofs if p.kind is ProofKind.ONE_TIME_CODE) or ""
        return given, None, code
    return given, None, None


def proof_row(step_id: str, proof: ProofInput, blob: StoredBlob | None) -> ProofRow:
    keep_text = proof.kind in (ProofKind.NFC_TAG, ProofKind.RECIPIENT_NAME)
    return ProofRow(
        id=uuid.uuid4(),
        step_id=step_id,
        kind=proof.kind,
        text=proof.text if keep_text else None,  # a one-time code is never stored
        temperatures_c=proof.temperatures_c,
        blob_key=blob.key if blob else None,
        file_sha256=blob.sha256 if blob else None,
        content_type=blob.content_type if blob else None,
        file_size=blob.size if blob else 0,
        latitude=proof.location[0] if proof.location else None,
        longitude=proof.location[1] if proof.location else None,
        capture_time=proof.capture_time,
        items=proof.items,
    )


def with_items(task: Task, rows: list[ProofRow]) -> list[ProofRow]:
    """The proofs with the items each showed, from the findings kept on the task's steps."""
    shown: dict[uuid.UUID | None, list[ItemFinding]] = {}
    for step in task.steps:
        for f in step.findings:
            shown.setdefault(f.proof_id, []).append(f)
    return [dataclasses.replace(r, items=tuple(shown.get(r.id, ()))) for r in rows]


@contextlib.contextmanager
def _blob_errors() -> Iterator[None]:
    try:
        yield
    except (BlobTooLarge, BlobTypeNotAllowed, BlobEmpty) as exc:
        raise InvalidArgument.field("proofs.content", str(exc)) from exc
    except BlobError as exc:
        raise Unavailable(f"the blob store failed: {exc}") from exc


async def _once(content: bytes) -> AsyncIterator[bytes]:
    if content:
        yield content
