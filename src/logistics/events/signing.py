"""Standard Webhooks signatures (https://www.standardwebhooks.com/): sign, and make secrets.

The signatures are made by the reference ``standardwebhooks`` library; this module adds what
it leaves to us: strict secret parsing, one signature per current secret, and checked inputs.

A secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes; the HMAC key is the
decoded bytes. A signed message carries three headers:

* ``webhook-id``: unique per message, and the same on every retry of it, so a receiver can
  de-duplicate;
* ``webhook-timestamp``: integer unix seconds of this attempt;
* ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``,
  one per current secret. Signing with every current secret is how a secret is rotated: while
  the old and the new secret are both configured, a receiver holding either one accepts.

Receivers verify with any Standard Webhooks library (the reference one refuses a timestamp
more than five minutes off). Bodies are UTF-8 text (our payloads are JSON), as the libraries
require. The functions are pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from secrets import token_hex

from standardwebhooks.webhooks import Webhook

from logistics.domain.webhook_secrets import SECRET_PREFIX, decode_secret, generate_secret

__all__ = [
    "ID_HEADER",
    "SECRET_PREFIX",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "decode_secret",
    "generate_message_id",
    "generate_secret",
    "sign",
]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def generate_message_id() -> str:
    """A new ``webhook-id``: ``msg_`` and 32 random hex digits."""
    return f"msg_{token_hex(16)}"


def sign(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers that sign ``body`` (UTF-8) as message ``msg_id`` sent at ``timestamp``,
    with one ``v1`` signature per secret, in the order given."""
    if isinstance(secrets, str):
        # A lone string is a sequence of one-character "secrets": always a caller's mistake.
        raise TypeError("secrets must be a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("at least one webhook secret is needed")
    signers = [Webhook(decode_secret(secret)) for secret in secrets]
    if not msg_id or any(c.isspace() for c in msg_id):
        raise ValueError("a webhook id must be non-empty and hold no whitespace")
    if timestamp < 0:
        raise ValueError("a webhook timestamp is unix seconds, never negative")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("a webhook body must be UTF-8 text") from None
    sent_at = datetime.fromtimestamp(timestamp, tz=UTC)
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(signer.sign(msg_id, sent_at, text) for signer in signers),
    }
