"""The format of a webhook signing secret (Standard Webhooks): ``whsec_`` and the base64 of 24
to 64 random bytes. Making one needs no adapter, so the use case that adds one imports this."""

from __future__ import annotations

import base64
import binascii
from secrets import token_bytes

SECRET_PREFIX = "whsec_"

_MIN_SECRET_BYTES = 24
_MAX_SECRET_BYTES = 64


def generate_secret(nbytes: int = 32) -> str:
    """A new random ``whsec_`` secret of ``nbytes`` (24 to 64) bytes."""
    if not _MIN_SECRET_BYTES <= nbytes <= _MAX_SECRET_BYTES:
        raise ValueError(
            f"a secret has {_MIN_SECRET_BYTES} to {_MAX_SECRET_BYTES} bytes, not {nbytes}"
        )
    return SECRET_PREFIX + base64.b64encode(token_bytes(nbytes)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (padding optional).

    Raises ``ValueError`` for anything else or for fewer than 24 bytes; the error never quotes
    the secret, as it may end up in a log. (The library decodes leniently, skipping characters
    that are not base64, so a mistyped secret is caught here instead.)
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must start with {SECRET_PREFIX!r}")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret must be 'whsec_' and standard base64") from None
    if len(key) < _MIN_SECRET_BYTES:
        raise ValueError(f"a webhook secret must hold at least {_MIN_SECRET_BYTES} bytes")
    return key
