"""Bearer JWT verification: a JWKS URL (RS256/ES256, keys cached and refreshed) or, for
development, a shared HS256 secret. Produces the ``Caller`` a use case authorises against."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import InvalidArgument, Unauthenticated
from logistics.domain.ids import parse_tenant_slug
from logistics.domain.text import shown

logger = logging.getLogger(__name__)

_ASYMMETRIC = ["RS256", "ES256"]
_LEEWAY_S = 30


# Not PyJWT's PyJWKClient (2.15), which we weighed: it fetches with blocking urllib under a
# threading lock, so each verification would need a worker thread (every RPC verifies a token);
# once its cache's lifespan ends, a failed refetch fails every token instead of keeping the keys
# we have; and its cooldown starts only on a successful fetch, so while the key server fails,
# each token with an unknown kid asks it again. PyJWT still parses and holds the keys (PyJWKSet).
# The JWKS URL is the operator's, not a tenant's, so it is not fetched through net/outbound.py.
class JwksCache:
    """The signing keys of a JWKS URL, refetched after ``lifespan_s`` or for an unknown key id
    (at most once per ``cooldown_s``, so a flood of bad tokens cannot flood the key server)."""

    def __init__(self, url: str, *, lifespan_s: float = 300.0, cooldown_s: float = 30.0) -> None:
        self._url = url
        self._lifespan_s = lifespan_s
        self._cooldown_s = cooldown_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        if now - self._fetched_at > self._lifespan_s and self._may_retry(now):
            await self._refresh(now)
        found = self._lookup(kid)
        if found is None and self._may_retry(time.monotonic()):
            await self._refresh(time.monotonic())
            found = self._lookup(kid)
        if found is None:
            raise Unauthenticated(
                f"the token's signing key {shown(kid)} is unknown", reason="UNKNOWN_KEY"
            )
        return found

    def _may_retry(self, now: float) -> bool:
        """At most one fetch per cooldown, whether the last one worked or not."""
        return now - self._attempted_at > self._cooldown_s or not self._keys

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, requested_at: float) -> None:
        async with self._lock:
            if self._attempted_at >= requested_at:
                return  # another request refreshed while we waited
            self._attempted_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    keyset = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                logger.warning("cannot fetch JWKS", extra={"url": self._url, "error": str(exc)})
                if not self._keys:
                    raise Unauthenticated(
                        "cannot verify tokens: the key server is unreachable",
                        reason="JWKS_UNAVAILABLE",
                    ) from exc
                return  # keep serving with the keys we have
            self._keys = {k.key_id or str(i): k for i, k in enumerate(keyset.keys)}
            self._fetched_at = time.monotonic()


class Authenticator:
    """Turns an ``authorization`` header value into a verified ``Caller``."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks: JwksCache | None = None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        if secret is None and jwks is None:
            raise ValueError("an Authenticator needs a secret or a JWKS URL")
        if secret is not None and jwks is not None:
            raise ValueError("an Authenticator takes a secret or a JWKS URL, not both")
        self._secret = secret
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience

    async def authenticate(self, authorization: str | None) -> Caller:
        if not authorization:
            raise Unauthenticated("missing bearer token", reason="MISSING_TOKEN")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "authorization must be 'Bearer <token>'", reason="MALFORMED_TOKEN"
            )
        claims = await self._verify(token.strip())
        return caller_from_claims(claims)

    async def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"malformed token: {exc}", reason="MALFORMED_TOKEN") from exc
        algorithm = header.get("alg")
        key: Any
        if algorithm == "HS256" and self._secret is not None:
            key, algorithms = self._secret, ["HS256"]
        elif algorithm in _ASYMMETRIC and self._jwks is not None:
            key, algorithms = (await self._jwks.key(header.get("kid"))).key, _ASYMMETRIC
        else:
            raise Unauthenticated(
                f"tokens signed with {shown(algorithm)} are not accepted", reason="BAD_ALGORITHM"
            )
        options = {"require": ["exp", "sub"], "verify_aud": self._audience is not None}
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=_LEEWAY_S,
                options=options,  # type: ignore[arg-type]
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired", reason="TOKEN_EXPIRED") from exc
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # TypeError/ValueError: a key of the wrong type for the token's algorithm.
            raise Unauthenticated(f"invalid token: {exc}", reason="INVALID_TOKEN") from exc
        return claims


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    """Claims: ``tenant`` (slug), ``scope`` (space separated), ``sub``, optional ``rider_id``,
    ``zones`` (geofence ids a dispatcher is limited to) and ``task_id`` (a tracking token)."""
    tenant = claims.get("tenant")
    if not isinstance(tenant, str):
        raise Unauthenticated("the token has no tenant claim", reason="INVALID_TOKEN")
    try:
        slug = parse_tenant_slug(tenant)
    except InvalidArgument as exc:
        raise Unauthenticated(
            "the token's tenant claim is not a slug", reason="INVALID_TOKEN"
        ) from exc
    raw_scope = claims.get("scope", "")
    if not isinstance(raw_scope, str):
        raise Unauthenticated("the token's scope claim must be a string", reason="INVALID_TOKEN")
    known = {s.value: s for s in Scope}
    scopes = frozenset(known[s] for s in raw_scope.split() if s in known)
    rider_id = claims.get("rider_id")
    zones = claims.get("zones")
    if zones is not None and (
        not isinstance(zones, list) or not all(isinstance(z, str) for z in zones)
    ):
        raise Unauthenticated(
            "the token's zones claim must be a list of ids", reason="INVALID_TOKEN"
        )
    task_id = claims.get("task_id")
    return Caller(
        tenant=slug,
        subject=str(claims["sub"]),
        scopes=scopes,
        rider_id=str(rider_id) if rider_id is not None else None,
        zones=frozenset(zones) if zones is not None else None,
        task_id=str(task_id) if task_id is not None else None,
    )


def mint_token(
    secret: str,
    *,
    tenant: str,
    scopes: list[str],
    subject: str = "dev",
    rider_id: str | None = None,
    zones: list[str] | None = None,
    task_id: str | None = None,
    ttl_s: int = 24 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A development HS256 token (``logistics token``)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "tenant": parse_tenant_slug(tenant),
        "scope": " ".join(scopes),
        "sub": subject,
        "iat": now,
        "exp": now + ttl_s,
    }
    if rider_id is not None:
        claims["rider_id"] = rider_id
    if zones is not None:
        claims["zones"] = zones
    if task_id is not None:
        claims["task_id"] = task_id
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
