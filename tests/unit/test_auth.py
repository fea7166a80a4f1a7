"""Bearer token verification: HS256 development secrets and a real JWKS server (RS256, ES256)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from logistics.api.auth import Authenticator, JwksCache, mint_token
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import Unauthenticated

SECRET = "unit-test-secret-" + "k" * 32
ISSUER = "https://id.bengobox.dev"
AUDIENCE = "logistics"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; the key server here is on loopback."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


async def reason_of(authenticator: Authenticator, header: str | None) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await authenticator.authenticate(header)
    return caught.value.reason


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "tenant": "acme",
        "sub": "user-1",
        "scope": "logistics:read",
        "iat": now,
        "exp": now + 300,
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


# --- shared secret (HS256) -----------------------------------------------------------------


async def test_minted_token_yields_the_callers_tenant_scopes_subject_and_rider() -> None:
    token = mint_token(
        SECRET,
        tenant="acme",
        scopes=["logistics:read", "logistics:telemetry", "other:scope"],
        subject="rider-7",
        rider_id="r-123",
    )

    caller = await Authenticator(secret=SECRET).authenticate(f"Bearer {token}")

    assert caller == Caller(
        tenant="acme",  # type: ignore[arg-type]
        subject="rider-7",
        scopes=frozenset({Scope.READ, Scope.TELEMETRY}),
        rider_id="r-123",
    )


async def test_token_without_rider_or_scopes_yields_a_caller_with_neither() -> None:
    token = mint_token(SECRET, tenant="globex", scopes=[], subject="svc")

    caller = await Authenticator(secret=SECRET).authenticate(f"bearer {token}")

    assert (caller.tenant, caller.subject, caller.scopes, caller.rider_id) == (
        "globex",
        "svc",
        frozenset(),
        None,
    )


async def test_token_expired_within_the_clock_skew_leeway_is_accepted() -> None:
    token = mint_token(SECRET, tenant="acme", scopes=[], ttl_s=-10)

    caller = await Authenticator(secret=SECRET).authenticate(f"Bearer {token}")

    assert caller.tenant == "acme"


@pytest.mark.parametrize("header", [None, ""])
async def test_missing_header_is_missing_token(header: str | None) -> None:
    assert await reason_of(Authenticator(secret=SECRET), header) == "MISSING_TOKEN"


@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT"])
async def test_non_bearer_scheme_is_malformed(scheme: str) -> None:
    token = mint_token(SECRET, tenant="acme", scopes=[])

    assert await reason_of(Authenticator(secret=SECRET), f"{scheme} {token}") == "MALFORMED_TOKEN"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer garbage", "Bearer a.b.c"])
async def test_garbage_token_is_malformed(header: str) -> None:
    assert await reason_of(Authenticator(secret=SECRET), header) == "MALFORMED_TOKEN"


async def test_expired_token_is_token_expired() -> None:
    token = mint_token(SECRET, tenant="acme", scopes=[], ttl_s=-120)

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "TOKEN_EXPIRED"


async def test_token_signed_with_another_secret_is_invalid() -> None:
    token = mint_token("another-secret-" + "z" * 32, tenant="acme", scopes=[])

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "bad",
    [
        {"tenant": None},  # no tenant claim
        {"tenant": "Not A Slug"},
        {"tenant": 42},
        {"sub": None},
        {"exp": None},
        {"scope": ["logistics:read"]},
    ],
    ids=["no-tenant", "tenant-not-slug", "tenant-not-string", "no-sub", "no-exp", "scope-list"],
)
async def test_token_with_missing_or_malformed_claims_is_invalid(bad: dict[str, Any]) -> None:
    token = jwt.encode(claims(**bad), SECRET, algorithm="HS256")

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "INVALID_TOKEN"


async def test_unsigned_alg_none_token_is_rejected() -> None:
    token = jwt.encode(claims(), key="", algorithm="none")

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "BAD_ALGORITHM"


async def test_other_hmac_algorithm_is_rejected() -> None:
    token = jwt.encode(claims(), SECRET * 2, algorithm="HS512")

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "BAD_ALGORITHM"


@pytest.mark.parametrize(
    "extra",
    [{"iss": "https://evil.example.com"}, {}],
    ids=["other-issuer", "no-issuer"],
)
async def test_issuer_mismatch_is_invalid_when_an_issuer_is_configured(
    extra: dict[str, Any],
) -> None:
    authenticator = Authenticator(secret=SECRET, issuer=ISSUER)
    token = jwt.encode(claims(**extra), SECRET, algorithm="HS256")

    assert await reason_of(authenticator, f"Bearer {token}") == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "extra",
    [{"aud": "billing"}, {}],
    ids=["other-audience", "no-audience"],
)
async def test_audience_mismatch_is_invalid_when_an_audience_is_configured(
    extra: dict[str, Any],
) -> None:
    authenticator = Authenticator(secret=SECRET, audience=AUDIENCE)
    token = jwt.encode(claims(**extra), SECRET, algorithm="HS256")

    assert await reason_of(authenticator, f"Bearer {token}") == "INVALID_TOKEN"


async def test_matching_issuer_and_audience_are_accepted() -> None:
    authenticator = Authenticator(secret=SECRET, issuer=ISSUER, audience=AUDIENCE)
    token = mint_token(SECRET, tenant="acme", scopes=[], issuer=ISSUER, audience=AUDIENCE)

    assert (await authenticator.authenticate(f"Bearer {token}")).tenant == "acme"


def test_authenticator_needs_a_secret_or_jwks() -> None:
    with pytest.raises(ValueError, match="secret or a JWKS"):
        Authenticator()


def test_authenticator_refuses_a_secret_beside_a_jwks() -> None:
    with pytest.raises(ValueError, match="not both"):
        Authenticator(secret=SECRET, jwks=JwksCache("https://auth.example.com/jwks"))


# --- JWKS (RS256 / ES256) from a real local HTTP server ------------------------------------


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        algorithm = RSAAlgorithm if self.alg == "RS256" else ECAlgorithm
        public = json.loads(algorithm.to_jwk(self.private.public_key()))
        public.update(kid=self.kid, alg=self.alg, use="sig")
        return dict(public)

    def sign(self, payload: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(
            payload, self.private, algorithm=self.alg, headers={"kid": kid or self.kid}
        )


@dataclass
class KeyServer:
    """Serves ``{"keys": [...]}`` at ``url``; ``keys`` may change while it runs."""

    url: str
    keys: list[SigningKey]
    status: int = 200
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey("rsa-1", "RS256", rsa.generate_private_key(65537, 2048))


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def rotated_key() -> SigningKey:
    return SigningKey("ec-2", "ES256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def key_server(rsa_key: SigningKey, ec_key: SigningKey) -> Iterator[KeyServer]:
    state = KeyServer(url="", keys=[rsa_key, ec_key])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.requests += 1
                body = json.dumps({"keys": [k.jwk() for k in state.keys]}).encode()
                status = state.status
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def jwks_authenticator(url: str, **cache: float) -> Authenticator:
    return Authenticator(jwks=JwksCache(url, **cache))


async def test_rs256_and_es256_tokens_from_the_jwks_are_accepted(
    key_server: KeyServer, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)

    by_rsa = await authenticator.authenticate(f"Bearer {rsa_key.sign(claims(sub='a'))}")
    by_ec = await authenticator.authenticate(f"Bearer {ec_key.sign(claims(sub='b'))}")

    assert (by_rsa.tenant, by_rsa.subject, by_rsa.scopes) == ("acme", "a", frozenset({Scope.READ}))
    assert (by_ec.tenant, by_ec.subject) == ("acme", "b")


async def test_keys_are_fetched_once_for_many_verifications(
    key_server: KeyServer, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, lifespan_s=300, cooldown_s=0)

    for i in range(5):
        await authenticator.authenticate(f"Bearer {rsa_key.sign(claims(sub=f'r{i}'))}")
        await authenticator.authenticate(f"Bearer {ec_key.sign(claims(sub=f'e{i}'))}")

    assert key_server.requests == 1


async def test_rotated_in_key_is_fetched_on_its_first_token_and_unknown_kid_is_rejected(
    key_server: KeyServer, rsa_key: SigningKey, rotated_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, lifespan_s=300, cooldown_s=0)
    await authenticator.authenticate(f"Bearer {rsa_key.sign(claims())}")
    assert key_server.requests == 1

    key_server.keys = [*key_server.keys, rotated_key]
    caller = await authenticator.authenticate(f"Bearer {rotated_key.sign(claims(sub='new'))}")

    assert caller.subject == "new"
    assert key_server.requests == 2

    never = rotated_key.sign(claims(), kid="never-published")
    assert await reason_of(authenticator, f"Bearer {never}") == "UNKNOWN_KEY"
    assert key_server.requests == 3  # looked once more, then gave up


async def test_unknown_kid_within_the_cooldown_does_not_refetch(
    key_server: KeyServer, rsa_key: SigningKey, rotated_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, lifespan_s=300, cooldown_s=60)
    await authenticator.authenticate(f"Bearer {rsa_key.sign(claims())}")

    for _ in range(3):
        token = rotated_key.sign(claims())
        assert await reason_of(authenticator, f"Bearer {token}") == "UNKNOWN_KEY"

    assert key_server.requests == 1


async def test_key_removed_from_the_jwks_stops_working_after_the_lifespan(
    key_server: KeyServer, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, lifespan_s=0, cooldown_s=0)
    await authenticator.authenticate(f"Bearer {rsa_key.sign(claims())}")

    key_server.keys = [ec_key]

    assert await reason_of(authenticator, f"Bearer {rsa_key.sign(claims())}") == "UNKNOWN_KEY"
    await authenticator.authenticate(f"Bearer {ec_key.sign(claims())}")


async def test_token_signed_by_a_key_not_in_the_jwks_is_invalid(
    key_server: KeyServer, rsa_key: SigningKey
) -> None:
    impostor = SigningKey("rsa-1", "RS256", rsa.generate_private_key(65537, 2048))
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)

    token = impostor.sign(claims())

    assert await reason_of(authenticator, f"Bearer {token}") == "INVALID_TOKEN"


async def test_hs256_token_is_rejected_when_only_jwks_is_configured(key_server: KeyServer) -> None:
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)
    token = mint_token(SECRET, tenant="acme", scopes=["logistics:admin"])

    assert await reason_of(authenticator, f"Bearer {token}") == "BAD_ALGORITHM"
    assert key_server.requests == 0


async def test_rs256_token_is_rejected_when_only_a_secret_is_configured(
    rsa_key: SigningKey,
) -> None:
    token = rsa_key.sign(claims())

    assert await reason_of(Authenticator(secret=SECRET), f"Bearer {token}") == "BAD_ALGORITHM"


async def test_expired_jwks_token_is_token_expired(
    key_server: KeyServer, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)
    token = ec_key.sign(claims(exp=int(time.time()) - 120))

    assert await reason_of(authenticator, f"Bearer {token}") == "TOKEN_EXPIRED"


async def test_token_whose_alg_does_not_fit_its_key_is_unauthenticated(
    key_server: KeyServer, rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)
    token = ec_key.sign(claims(), kid=rsa_key.kid)  # ES256 header naming the RSA key

    assert await reason_of(authenticator, f"Bearer {token}") == "INVALID_TOKEN"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_jwks_server_down_on_first_use_is_jwks_unavailable(ec_key: SigningKey) -> None:
    authenticator = jwks_authenticator(f"http://127.0.0.1:{_closed_port()}/jwks", cooldown_s=0)

    assert await reason_of(authenticator, f"Bearer {ec_key.sign(claims())}") == "JWKS_UNAVAILABLE"


async def test_jwks_server_error_on_first_use_is_jwks_unavailable(
    key_server: KeyServer, ec_key: SigningKey
) -> None:
    key_server.status = 503
    authenticator = jwks_authenticator(key_server.url, cooldown_s=0)

    assert await reason_of(authenticator, f"Bearer {ec_key.sign(claims())}") == "JWKS_UNAVAILABLE"


async def test_known_keys_keep_working_while_the_jwks_server_fails(
    key_server: KeyServer, ec_key: SigningKey
) -> None:
    authenticator = jwks_authenticator(key_server.url, lifespan_s=0, cooldown_s=0)
    await authenticator.authenticate(f"Bearer {ec_key.sign(claims())}")

    key_server.status = 503
    caller = await authenticator.authenticate(f"Bearer {ec_key.sign(claims(sub='later'))}")

    assert caller.subject == "later"
    assert key_server.requests == 2


async def test_unknown_kids_while_the_jwks_server_fails_ask_it_once_per_cooldown(
    key_server: KeyServer, ec_key: SigningKey, rotated_key: SigningKey
) -> None:
    """Failed fetches count towards the cooldown too, so bad tokens cannot flood a key server
    that is already in trouble (PyJWKClient counts only successful ones)."""
    authenticator = jwks_authenticator(key_server.url, lifespan_s=300, cooldown_s=2)
    await authenticator.authenticate(f"Bearer {ec_key.sign(claims())}")
    key_server.status = 503
    await asyncio.sleep(2.1)  # the cooldown after the first fetch has passed
    tokens = [rotated_key.sign(claims()) for _ in range(5)]

    for token in tokens:
        assert await reason_of(authenticator, f"Bearer {token}") == "UNKNOWN_KEY"

    assert key_server.requests == 2
