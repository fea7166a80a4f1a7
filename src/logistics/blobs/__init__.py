"""Blob storage for uploaded files (compliance documents, proof-of-delivery photos).

Uploads stream through one set of checks (type sniffed from content, size limit, SHA-256)
into a local directory or an S3-compatible bucket; see :class:`BlobStore`.
"""

from __future__ import annotations

from logistics.blobs.errors import (
    BlobEmpty,
    BlobError,
    BlobNotFound,
    BlobStoreUnavailable,
    BlobTooLarge,
    BlobTypeNotAllowed,
)
from logistics.blobs.factory import blob_store_from_url
from logistics.blobs.interface import BlobStore, StoredBlob
from logistics.blobs.local import LocalBlobStore
from logistics.blobs.s3 import S3BlobStore
from logistics.blobs.sniff import KNOWN_TYPES, sniff_content_type

__all__ = [
    "KNOWN_TYPES",
    "BlobEmpty",
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "BlobTooLarge",
    "BlobTypeNotAllowed",
    "LocalBlobStore",
    "S3BlobStore",
    "StoredBlob",
    "blob_store_from_url",
    "sniff_content_type",
]
