"""Content-type detection from a file's first bytes (magic numbers), never from client claims."""

from __future__ import annotations

# Enough bytes to tell every type below apart: WebP and HEIC need 12.
SNIFF_BYTES = 12

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
HEIC = "image/heic"

KNOWN_TYPES = frozenset({PDF, JPEG, PNG, WEBP, HEIC})

_HEIC_BRANDS = (b"heic", b"heix", b"mif1")


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file starting with ``head``, or None if it is none we know.

    ``head`` should hold at least :data:`SNIFF_BYTES` bytes unless the file is shorter.
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    return None
