"""Blob keys: the one check that keeps every key a safe relative path in every store."""

from __future__ import annotations

import re

MAX_KEY_BYTES = 1024  # S3's limit, applied to every store so keys move between them

# A segment may not start with "." so "." and ".." never pass, and hidden names stay free for
# a store's own temporary files.
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def validate_key(key: str) -> tuple[str, ...]:
    """The segments of ``key``, or ``ValueError`` if it could escape a root or is malformed."""
    if not key:
        raise ValueError("a blob key must not be empty")
    if len(key.encode()) > MAX_KEY_BYTES:
        raise ValueError(f"a blob key must be at most {MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise ValueError(f"a blob key must be relative, not {key!r}")
    segments = tuple(key.split("/"))
    for segment in segments:
        if not segment:
            raise ValueError(f"a blob key must not have empty segments: {key!r}")
        if segment.startswith("."):
            raise ValueError(f"a blob key segment must not start with '.': {key!r}")
        if not _SEGMENT.fullmatch(segment):
            raise ValueError(f"a blob key may only use A-Z a-z 0-9 . _ - and '/': {key!r}")
    return segments
