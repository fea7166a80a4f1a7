"""What a blob store promises: the stored-blob value and the ``BlobStore`` protocol."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredBlob:
    """A blob as stored: its key, size in bytes, SHA-256 (hex) and sniffed content type."""

    key: str
    size: int
    sha256: str
    content_type: str


class BlobStore(Protocol):
    """Stores whole files under keys such as ``tenants/<tenant>/documents/<document>``.

    Keys are ``/``-separated segments of ``A-Z a-z 0-9 . _ -`` that do not start with ``.``
    (so no ``..``), with no leading ``/`` and no empty segment, at most 1024 bytes; any other
    key raises ``ValueError``.
    """

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed_types: Collection[str],
    ) -> StoredBlob:
        """Store the streamed ``chunks`` under ``key``, replacing any blob there.

        The content is hashed and counted while it streams and never held whole in memory.
        Raises ``BlobEmpty``, ``BlobTooLarge`` (as soon as more than ``max_bytes`` arrived) or
        ``BlobTypeNotAllowed`` (by the sniffed type) and then stores nothing; readers never see
        a partial blob under ``key``.
        """
        ...

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The blob's content as a stream of chunks; raises ``BlobNotFound``.

        Consume the stream to its end or ``aclose()`` it, which frees its file or connection.
        """
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob under ``key``; deleting a missing blob is not an error."""
        ...

    async def close(self) -> None:
        """Release the store's connections; the store is not used afterwards."""
        ...
