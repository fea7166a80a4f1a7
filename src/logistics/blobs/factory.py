"""Builds the configured blob store from one URL (the composition root calls this)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from logistics.blobs.interface import BlobStore
from logistics.blobs.local import LocalBlobStore
from logistics.blobs.s3 import S3BlobStore


def blob_store_from_url(url: str | None, default_root: Path) -> BlobStore:
    """The store ``url`` names: unset -> files under ``default_root``; ``file:///abs/path``
    -> files under that directory; ``s3://…`` -> :class:`S3BlobStore` (see it for the format).
    """
    if not url:
        return LocalBlobStore(default_root)
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError("a file blob store URL is file:///absolute/path")
        return LocalBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        return S3BlobStore(url)
    raise ValueError(f"unsupported blob store URL scheme {parts.scheme or '(none)'!r}")
