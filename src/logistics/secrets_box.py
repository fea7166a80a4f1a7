"""Secrets at rest: seals and opens small secrets (webhook signing secrets, later carrier
credentials) with AES-256-GCM under a keyring.

A keyring holds one current key, which seals, and any number of older keys, which only open:
rotating is adding a new key in front, re-sealing every stored secret, then dropping the old
key. A sealed secret is ``v1.<key id>.<base64url(nonce | ciphertext | tag)>``: the format
version and the id of the key that sealed it, so the right key is found without trying each.
The nonce is 96 random bits per seal. The associated data is the version, the key id and a
``context`` the caller names the secret's place with (its table, tenant and row), so a sealed
value copied to another row or tenant does not open there.

Errors never quote the secret nor the key; they say which key id and what went wrong.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEY_BYTES",
    "Keyring",
    "SecretsKey",
    "UnreadableSecret",
    "generate_key",
]

KEY_BYTES = 32
_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class UnreadableSecret(Exception):
    """A sealed secret cannot be opened: malformed, sealed with a key the keyring lacks, or
    tampered with / sealed for another place (the authentication tag does not match)."""


@dataclass(frozen=True)
class SecretsKey:
    """One AES-256 key and the id sealed values name it by."""

    id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.id):
            raise ValueError(f"key id {self.id[:40]!r} must be 1 to 32 letters, digits, '-' or '_'")
        if len(self.key) != KEY_BYTES:
            raise ValueError(
                f"key {self.id!r} must be {KEY_BYTES} bytes (base64 of 32 random bytes), "
                f"not {len(self.key)}"
            )


def generate_key(key_id: str) -> str:
    """A new keyring entry ``<id>:<base64 of 32 random bytes>``, as ``Keyring.parse`` reads it."""
    SecretsKey(key_id, b"\0" * KEY_BYTES)  # validates the id
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


class Keyring:
    """The keys secrets are sealed with: the first is current (it seals), every one opens."""

    def __init__(self, keys: Sequence[SecretsKey]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        ids = [k.id for k in keys]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"key ids must be unique; repeated: {', '.join(repeated)}")
        self._current = keys[0]
        self._ciphers = {k.id: AESGCM(k.key) for k in keys}
        self._ids = tuple(ids)

    @classmethod
    def parse(cls, raw: str) -> Keyring:
        """Reads comma-separated ``<id>:<base64 key>`` entries, the current key first."""
        keys = []
        for entry in (e.strip() for e in raw.split(",")):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise ValueError("entries must be <id>:<base64 key>, comma-separated")
            keys.append(SecretsKey(key_id.strip(), _decode_key(key_id.strip(), encoded.strip())))
        return cls(keys)

    @property
    def current_id(self) -> str:
        return self._current.id

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id, the current one first."""
        return self._ids

    def seal(self, plaintext: str, context: str) -> str:
        """``plaintext`` sealed with the current key for the place named by ``context``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        key_id = self._current.id
        box = self._ciphers[key_id].encrypt(nonce, plaintext.encode(), _aad(key_id, context))
        return f"{_VERSION}.{key_id}.{_b64(nonce + box)}"

    def open(self, sealed: str, context: str) -> str:
        """The plaintext of ``sealed``, which must have been sealed for ``context``."""
        key_id, payload = _split(sealed)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnreadableSecret(
                f"sealed with key {key_id!r}, which is not in the keyring ({', '.join(self._ids)})"
            )
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            raise UnreadableSecret("malformed sealed secret (bad base64)") from None
        if len(raw) < _NONCE_BYTES + 16:
            raise UnreadableSecret("malformed sealed secret (too short)")
        try:
            plain = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(key_id, context))
        except InvalidTag:
            raise UnreadableSecret(
                f"sealed secret does not open with key {key_id!r}: altered, or sealed for "
                "another place or with another key of that id"
            ) from None
        return plain.decode()

    def __repr__(self) -> str:
        return f"Keyring(ids={list(self._ids)!r})"


def _decode_key(key_id: str, encoded: str) -> bytes:
    standard = encoded.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"key {key_id!r} is not base64") from None


def _split(sealed: str) -> tuple[str, str]:
    version, _, rest = sealed.partition(".")
    key_id, sep, payload = rest.partition(".")
    if version != _VERSION or not sep or not key_id or not payload:
        raise UnreadableSecret(f"not a sealed secret of format {_VERSION}")
    return key_id, payload


def _aad(key_id: str, context: str) -> bytes:
    return f"{_VERSION}.{key_id}\0{context}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
