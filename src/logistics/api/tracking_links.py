"""The customer's tracking link for a task: the tracking page with a token that follows that
task only (no scope, a ``task_id`` claim), as ``logistics token --task`` mints one."""

from __future__ import annotations

import uuid

from logistics.api.auth import mint_token

__all__ = ["SignedTrackingLinks"]


class SignedTrackingLinks:
    """Links signed with the service's development/HS256 secret; without one (tokens verified
    by JWKS, minted elsewhere) there is no link to give, and ``link`` is empty."""

    def __init__(
        self,
        base_url: str,
        secret: str | None,
        *,
        ttl_s: int,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        self._base = base_url
        self._secret = secret
        self._ttl_s = ttl_s
        self._issuer = issuer
        self._audience = audience

    def link(self, tenant: str, task_id: uuid.UUID) -> str:
        if self._secret is None:
            return ""
        token = mint_token(
            self._secret,
            tenant=tenant,
            scopes=[],
            subject=f"customer-of-{task_id}",
            task_id=str(task_id),
            ttl_s=self._ttl_s,
            issuer=self._issuer,
            audience=self._audience,
        )
        return f"{self._base}#token={token}"
