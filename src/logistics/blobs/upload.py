"""The checks every upload passes while it streams: type by content, size limit, hash, count.

Both stores consume an :class:`UploadStream` instead of the caller's chunks, so the rules live
here once: nothing reaches a store before the type is known and allowed, and the chunk that
crosses ``max_bytes`` raises instead of being passed on.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, AsyncIterable, Collection

from logistics.blobs.errors import BlobEmpty, BlobTooLarge, BlobTypeNotAllowed
from logistics.blobs.interface import StoredBlob
from logistics.blobs.sniff import SNIFF_BYTES, sniff_content_type


class UploadStream:
    """Wraps an upload's chunks; iterate it once, then ask :meth:`stored` for the result.

    Iteration raises ``BlobTypeNotAllowed`` before yielding anything, ``BlobTooLarge`` as soon
    as the total passes ``max_bytes`` and ``BlobEmpty`` at the end of an empty upload.
    """

    def __init__(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        allowed_types: Collection[str],
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self._chunks = chunks
        self._max_bytes = max_bytes
        self._allowed = frozenset(allowed_types)
        self._hash = hashlib.sha256()
        self._size = 0
        self._content_type: str | None = None
        self._complete = False
        self._started = False

    @property
    def content_type(self) -> str:
        """The sniffed type; known once the first chunk has been yielded."""
        if self._content_type is None:
            raise RuntimeError("the content type is not known yet")
        return self._content_type

    def __aiter__(self) -> AsyncGenerator[bytes, None]:
        if self._started:
            raise RuntimeError("an upload stream can be iterated only once")
        self._started = True
        return self._iterate()

    async def _iterate(self) -> AsyncGenerator[bytes, None]:
        # Chunks held back until the first SNIFF_BYTES have arrived; tiny chunks are legal.
        held: list[bytes] = []
        head = b""
        async for chunk in self._chunks:
            if not chunk:
                continue
            self._count(chunk)
            if self._content_type is not None:
                yield chunk
                continue
            held.append(chunk)
            head += chunk[: SNIFF_BYTES - len(head)]
            if len(head) >= SNIFF_BYTES:
                self._check_type(head)
                for waiting in held:
                    yield waiting
                held.clear()
        if self._size == 0:
            raise BlobEmpty()
        if self._content_type is None:
            self._check_type(head)
            for waiting in held:
                yield waiting
        self._complete = True

    def _count(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._max_bytes:
            raise BlobTooLarge(self._max_bytes)
        self._hash.update(chunk)

    def _check_type(self, head: bytes) -> None:
        detected = sniff_content_type(head)
        if detected is None or detected not in self._allowed:
            raise BlobTypeNotAllowed(detected, self._allowed)
        self._content_type = detected

    def stored(self, key: str) -> StoredBlob:
        """What was stored under ``key``; only after the stream was consumed to its end."""
        if not self._complete or self._content_type is None:
            raise RuntimeError("the upload stream was not consumed to its end")
        return StoredBlob(
            key=key, size=self._size, sha256=self._hash.hexdigest(), content_type=self._content_type
        )
