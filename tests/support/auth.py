"""Tokens and the headers that carry them: what every test caller sends to the service."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from logistics.api.auth import mint_token

ALL_SCOPES = ["logistics:read", "logistics:dispatch", "logistics:telemetry", "logistics:admin"]
JWT_SECRET = "test-secret-" + "x" * 40
# The keyring test servers and in-process workers seal webhook secrets with (32 bytes each).
SECRETS_KEYS = "test:dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU="

Metadata = tuple[tuple[str, str], ...]


def unique_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def token(tenant: str, scopes: list[str] | None = None, **claims: object) -> str:
    """A token the test servers accept: every scope unless ``scopes`` says otherwise."""
    return mint_token(JWT_SECRET, tenant=tenant, scopes=scopes or ALL_SCOPES, **claims)  # type: ignore[arg-type]


def bearer(value: str) -> Metadata:
    """gRPC metadata carrying the token ``value`` as it is."""
    return (("authorization", f"Bearer {value}"),)


def auth(tenant: str, scopes: list[str] | None = None, **claims: object) -> Metadata:
    """gRPC metadata with a fresh token for ``tenant``."""
    return bearer(token(tenant, scopes, **claims))


def rider_auth(tenant: str, rider_id: str, **claims: object) -> Metadata:
    """A rider app's gRPC metadata: the telemetry scope only, bound to ``rider_id``."""
    return auth(tenant, ["logistics:telemetry"], rider_id=rider_id, **claims)


def headers(tenant: str, scopes: list[str] | None = None, **claims: object) -> dict[str, str]:
    """HTTP headers (Connect, REST) with a fresh token for ``tenant``."""
    return {"authorization": f"Bearer {token(tenant, scopes, **claims)}"}


def sim_minter(tenant: str) -> Callable[[str | None], str]:
    """What the simulator mints tokens with: a tenant admin's, or rider ``id``'s own."""

    def mint(rider_id: str | None) -> str:
        if rider_id is None:
            return token(tenant)
        return token(tenant, ["logistics:telemetry", "logistics:read"], rider_id=rider_id)

    return mint
