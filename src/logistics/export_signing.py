"""The Ed25519 key that signs dispute bundles' manifests, so a tenant (or a court's expert) can
check a bundle came from this service unchanged: the seed from ``LOGISTICS_EXPORT_SIGNING_SECRET``
(base64 of 32 random bytes), or, for development, one derived from the JWT secret.

Verification needs only the public key (``GET /v1/tenants/{t}/proofs:signingKey``, PEM) and the
two files of the bundle: ``openssl pkeyutl -verify -pubin -inkey key.pem -rawin
-in manifest.json -sigfile manifest.sig``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_DERIVATION = b"bengobox-logistics dispute export signing key v1"


def parse_seed(raw: str) -> bytes:
    """``LOGISTICS_EXPORT_SIGNING_SECRET``: base64 of exactly 32 bytes."""
    try:
        seed = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64 of 32 random bytes (openssl rand -base64 32)") from exc
    if len(seed) != 32:
        raise ValueError("must be base64 of exactly 32 bytes (openssl rand -base64 32)")
    return seed


class ManifestSigner:
    """Signs manifests with one Ed25519 key; ``key_id`` names it (the first 16 hex digits of
    the SHA-256 of its raw public key), so a verifier knows which key a bundle needs."""

    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        self.public_key_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @classmethod
    def from_settings(cls, seed_b64: str | None, jwt_secret: str | None) -> ManifestSigner | None:
        """The configured key; else one derived from the development JWT secret (a deployment
        verifying JWTs by JWKS must configure one); else None (bundles go unsigned)."""
        if seed_b64:
            return cls(parse_seed(seed_b64))
        if jwt_secret:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION)
            return cls(hkdf.derive(jwt_secret.encode()))
        return None

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._key.sign(message)
