"""Fingerprints of create requests, so a retried ``request_id`` can be told from a reused one."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from logistics.store.snapshot import snapshot

_VOLATILE = frozenset({"id", "create_time", "update_time", "version"})


def request_fingerprint(value: Any) -> str:
    """SHA-256 of the request's content, ignoring server-assigned fields."""
    data = snapshot(value)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _VOLATILE}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def check_request_id(request_id: str | None) -> None:
    from logistics.domain.errors import InvalidArgument

    if request_id is not None and not 1 <= len(request_id) <= 128:
        raise InvalidArgument.field("request_id", "must be 1 to 128 characters")
