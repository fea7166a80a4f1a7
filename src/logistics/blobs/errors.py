"""Blob store errors: why an upload was refused or a blob could not be read.

Plain exceptions; the API layer maps each class to a status code.
"""

from __future__ import annotations

from collections.abc import Collection


class BlobError(Exception):
    """Base of every error a blob store raises on purpose."""


class BlobTooLarge(BlobError):
    """The upload sent more than ``max_bytes``; nothing was stored."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the upload is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class BlobTypeNotAllowed(BlobError):
    """The content is of a type (sniffed from its first bytes) the caller does not accept.

    ``detected`` is None when the content matched no known type.
    """

    def __init__(self, detected: str | None, allowed: Collection[str]) -> None:
        shown = detected or "unknown"
        super().__init__(
            f"content type {shown} is not allowed (allowed: {', '.join(sorted(allowed))})"
        )
        self.detected = detected
        self.allowed = frozenset(allowed)


class BlobEmpty(BlobError):
    """The upload had no content."""

    def __init__(self) -> None:
        super().__init__("the upload is empty")


class BlobNotFound(BlobError):
    """No blob is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no blob under key {key!r}")
        self.key = key


class BlobStoreUnavailable(BlobError):
    """The storage backend could not be reached or failed; the call may succeed later."""
