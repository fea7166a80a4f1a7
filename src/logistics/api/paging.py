"""Opaque page tokens: the keyset cursor plus a fingerprint of the filters it belongs to."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from datetime import datetime

from logistics.domain.errors import InvalidArgument
from logistics.domain.paging import Cursor, PageRequest, page_size


def _fingerprint(filters: object) -> str:
    return hashlib.sha256(repr(filters).encode()).hexdigest()[:16]


def encode_token(cursor: Cursor | None, filters: object) -> str:
    if cursor is None:
        return ""
    body = {"t": cursor.create_time.isoformat(), "i": str(cursor.id), "f": _fingerprint(filters)}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def page_request(size: int, token: str, filters: object) -> PageRequest:
    """Validates page_size and page_token; a token only continues the listing it came from."""
    count = page_size(size)
    if not token:
        return PageRequest(count)
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not all(isinstance(body.get(k), str) for k in ("t", "i", "f")):
            raise ValueError("malformed token")
        cursor = Cursor(datetime.fromisoformat(body["t"]), uuid.UUID(body["i"]))
        fingerprint = body["f"]
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise InvalidArgument.field("page_token", "is not a token this service issued") from None
    if fingerprint != _fingerprint(filters):
        raise InvalidArgument.field(
            "page_token", "belongs to a listing with other filters; start again without it"
        )
    return PageRequest(count, cursor)
