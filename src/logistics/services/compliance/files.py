"""A rider document's file in the blob store: put under a new key per upload, opened, and
deleted once no document records it; the blob store's failures as the domain's."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator

from logistics.blobs.errors import (
    BlobEmpty,
    BlobError,
    BlobNotFound,
    BlobStoreUnavailable,
    BlobTooLarge,
    BlobTypeNotAllowed,
)
from logistics.blobs.interface import BlobStore, StoredBlob
from logistics.domain.compliance import Document
from logistics.domain.errors import InvalidArgument, NotFound, Unavailable
from logistics.domain.ids import TenantId

logger = logging.getLogger(__name__)

DOCUMENT_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/webp", "image/heic"}
)


class DocumentFiles:
    """Documents' files in ``blobs``: each at most ``max_bytes``, of one of DOCUMENT_TYPES."""

    def __init__(self, blobs: BlobStore, *, max_bytes: int) -> None:
        self._blobs = blobs
        self._max_bytes = max_bytes

    async def put(
        self, tenant_id: TenantId, document_id: uuid.UUID, chunks: AsyncIterable[bytes]
    ) -> StoredBlob:
        # A new key per upload: a reader of the old file never sees the new one half-written,
        # and a failed transaction leaves the recorded file intact.
        key = f"tenants/{tenant_id}/documents/{document_id}/{uuid.uuid4().hex}"
        with _blob_errors():
            return await self._blobs.put(
                key, chunks, max_bytes=self._max_bytes, allowed_types=DOCUMENT_TYPES
            )

    async def open(self, key: str) -> AsyncIterator[bytes]:
        with _blob_errors():
            return await self._blobs.open(key)

    async def discard(self, key: str) -> None:
        try:
            await self._blobs.delete(key)
        except BlobError:
            logger.warning("could not delete blob %s; it is orphaned", key, exc_info=True)


@contextlib.contextmanager
def _blob_errors() -> Iterator[None]:
    """The blob store's failures as the domain's: bad files are the caller's to fix."""
    try:
        yield
    except (BlobTooLarge, BlobTypeNotAllowed, BlobEmpty) as exc:
        raise InvalidArgument.field("file", str(exc)) from exc
    except BlobNotFound as exc:
        raise NotFound("the document's file is missing from the blob store") from exc
    except BlobStoreUnavailable as exc:
        raise Unavailable(f"the blob store is unavailable: {exc}") from exc


def with_file(document: Document, stored: StoredBlob | None) -> Document:
    """``document`` recording ``stored`` as its file (unchanged when there is none)."""
    if stored is None:
        return document
    return dataclasses.replace(
        document,
        blob_key=stored.key,
        file_sha256=stored.sha256,
        content_type=stored.content_type,
        file_size=stored.size,
    )


async def once(content: bytes | None) -> AsyncIterator[bytes]:
    """``content`` as a stream of chunks: one chunk, or none for no content."""
    if content:
        yield content
