"""Etags for optimistic concurrency, derived from a row's version counter."""

from __future__ import annotations

from logistics.domain.errors import EtagMismatch


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_etag(given: str | None, version: int) -> None:
    """An empty etag means "whatever the current version is"; any other must match."""
    if given and given != etag_for(version):
        raise EtagMismatch(
            "the resource changed since it was read; get it again and retry", reason="ETAG_MISMATCH"
        )
