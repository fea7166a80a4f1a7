"""Standard Webhooks signatures (https://www.standardwebhooks.com/): sign, verify, new secrets.

A secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes; the HMAC key is the
decoded bytes. A signed message carries three headers:

* ``webhook-id``: unique per message, and the same on every retry of it, so a receiver can
  de-duplicate;
* ``webhook-timestamp``: integer unix seconds of this attempt;
* ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``,
  one per current secret. Signing with every current secret is how a secret is rotated: while
  the old and the new secret are both configured, a receiver holding either one accepts.

``verify`` accepts if any ``v1`` signature matches any of the receiver's secrets and the
timestamp is within ``tolerance_s`` of now in either direction (replay protection). Signatures
of other versions are ignored, as the specification asks, so new schemes can be added later.
The functions are pure: no clock unless ``now`` is omitted, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from secrets import token_bytes, token_hex

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "ID_HEADER",
    "SECRET_PREFIX",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "Verified",
    "decode_secret",
    "generate_message_id",
    "generate_secret",
    "sign",
    "verify",
]

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE_S = 300

_VERSION = "v1"
_MIN_SECRET_BYTES = 24
_MAX_SECRET_BYTES = 64


class SignatureError(Exception):
    """The message is not signed by any of our secrets, or its headers are missing, malformed
    or outside the timestamp tolerance. The message says which, never what the secret is."""


@dataclass(frozen=True)
class Verified:
    """What a verified message's headers vouch for."""

    msg_id: str
    timestamp: int


def generate_secret(nbytes: int = 32) -> str:
    """A new random ``whsec_`` secret of ``nbytes`` (24 to 64) bytes."""
    if not _MIN_SECRET_BYTES <= nbytes <= _MAX_SECRET_BYTES:
        raise ValueError(
            f"a secret has {_MIN_SECRET_BYTES} to {_MAX_SECRET_BYTES} bytes, not {nbytes}"
        )
    return SECRET_PREFIX + base64.b64encode(token_bytes(nbytes)).decode("ascii")


def generate_message_id() -> str:
    """A new ``webhook-id``: ``msg_`` and 32 random hex digits."""
    return f"msg_{token_hex(16)}"


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (padding optional).

    Raises ``ValueError`` for anything else or for fewer than 24 bytes; the error never quotes
    the secret, as it may end up in a log.
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


def sign(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers that sign ``body`` as message ``msg_id`` sent at ``timestamp``."""
    keys = _keys(secrets)
    if not msg_id or any(c.isspace() for c in msg_id):
        raise ValueError("a webhook id must be non-empty and hold no whitespace")
    if timestamp < 0:
        raise ValueError("a webhook timestamp is unix seconds, never negative")
    content = _signed_content(msg_id, timestamp, body)
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(
            f"{_VERSION},{base64.b64encode(_mac(key, content)).decode('ascii')}" for key in keys
        ),
    }


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> Verified:
    """Checks that ``body`` and ``headers`` were signed with one of ``secrets`` within
    ``tolerance_s`` seconds of ``now`` (default: the system clock). Header names are matched
    case-insensitively. Raises ``SignatureError`` otherwise."""
    keys = _keys(secrets)
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(ID_HEADER, "")
    raw_timestamp = lowered.get(TIMESTAMP_HEADER, "").strip()
    raw_signatures = lowered.get(SIGNATURE_HEADER, "")
    if not (msg_id and raw_timestamp and raw_signatures):
        raise SignatureError(
            f"missing one of the {ID_HEADER}, {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers"
        )
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be integer unix seconds")
    timestamp = int(raw_timestamp)
    current = time.time() if now is None else now
    if timestamp < current - tolerance_s:
        raise SignatureError("the message timestamp is too old")
    if timestamp > current + tolerance_s:
        raise SignatureError("the message timestamp is too far in the future")

    content = _signed_content(msg_id, timestamp, body)
    expected = [_mac(key, content) for key in keys]
    for candidate in _v1_signatures(raw_signatures):
        if any(hmac.compare_digest(candidate, mac) for mac in expected):
            return Verified(msg_id=msg_id, timestamp=timestamp)
    raise SignatureError("no signature matches")


def _keys(secrets: Sequence[str]) -> list[bytes]:
    if isinstance(secrets, str):
        # A lone string is a sequence of one-character "secrets": always a caller's mistake.
        raise TypeError("secrets must be a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("at least one webhook secret is needed")
    return [decode_secret(secret) for secret in secrets]


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def _mac(key: bytes, content: bytes) -> bytes:
    return hmac.new(key, content, hashlib.sha256).digest()


def _v1_signatures(header: str) -> list[bytes]:
    """The decoded ``v1`` signatures of a header; other versions and garbage are skipped."""
    found = []
    for token in header.split():
        version, sep, encoded = token.partition(",")
        if not sep or version != _VERSION:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found
