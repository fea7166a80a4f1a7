"""Idempotent creates: a retried ``request_id`` returns the first result; a reused one with a
different body is ALREADY_EXISTS."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from logistics.domain.errors import AlreadyExists, InvalidArgument
from logistics.domain.text import shown
from logistics.store.snapshot import snapshot
from logistics.store.task_view import FINGERPRINT_SCHEME
from logistics.store.unit_of_work import UnitOfWork

_VOLATILE = frozenset({"id", "create_time", "update_time", "version"})


def _without_volatile(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_volatile(v) for k, v in data.items() if k not in _VOLATILE}
    if isinstance(data, list):
        return [_without_volatile(v) for v in data]
    return data


def request_fingerprint(value: Any) -> str:
    """SHA-256 of the request's content, ignoring server-assigned fields at any depth."""
    data = _without_volatile(snapshot(value))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def same_request(stored: str, fingerprint: str, legacy: Callable[[], str]) -> bool:
    """Whether an earlier request's stored hash stands for this request: its ``fingerprint``,
    or, for a hash stored before fingerprints carried a scheme, ``legacy()`` (the generic
    ``request_fingerprint``, made only then), so a retry across an upgrade is still a retry."""
    if stored == fingerprint:
        return True
    return (
        fingerprint.startswith(FINGERPRINT_SCHEME)
        and not stored.startswith(FINGERPRINT_SCHEME)
        and stored == legacy()
    )


def check_request_id(request_id: str | None) -> None:
    if request_id is not None and not 1 <= len(request_id) <= 128:
        raise InvalidArgument.field("request_id", "must be 1 to 128 characters")


async def claim_create(
    uow: UnitOfWork,
    method: str,
    request_id: str | None,
    resource: Any,
    fingerprint: str | None = None,
) -> uuid.UUID | None:
    """Claims ``request_id`` for creating ``resource`` (which has an ``id``); ``fingerprint``:
    the resource's own (a task's is ``view_fingerprint``), else ``request_fingerprint``.

    Returns None when the caller should create it, or the id created by the earlier request
    with the same id and content. Raises ALREADY_EXISTS for the same id with other content.
    """
    check_request_id(request_id)
    if not request_id:
        return None
    fingerprint = fingerprint or request_fingerprint(resource)
    earlier = await uow.claim_request(method, request_id, fingerprint, resource.id)
    if earlier is None:
        return None
    if not same_request(earlier.request_hash, fingerprint, lambda: request_fingerprint(resource)):
        raise AlreadyExists(
            f"request_id {shown(request_id)} was already used for a different request",
            reason="REQUEST_ID_REUSED",
        )
    return earlier.resource_id
