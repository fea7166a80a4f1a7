"""AWS Signature Version 4 for S3 requests, as pure functions of the request and the clock.

Follows "Authenticating Requests: Using the Authorization Header" of the S3 API reference:
a canonical request, the string to sign, a key derived from the secret, date, region and
service, and an ``Authorization`` header. The payload is signed by its real SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class Credentials:
    """An access key and its secret; the secret never shows in ``repr``."""

    access_key: str
    secret_key: str = field(repr=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uri_encode(value: str, *, encode_slash: bool = True) -> str:
    """Percent-encode all but ``A-Z a-z 0-9 - _ . ~`` (and ``/`` unless ``encode_slash``)."""
    return quote(value, safe="-_.~" if encode_slash else "-_.~/")


def amz_date(moment: datetime) -> str:
    """``moment`` as SigV4's ``YYYYMMDD'T'HHMMSS'Z'`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Names and values encoded, sorted by name then value, ``name=value`` joined by ``&``."""
    encoded = sorted((uri_encode(name), uri_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """The canonical header block (each line ending in a newline) and the signed-header list."""
    normalised = sorted(
        (name.strip().lower(), " ".join(value.split())) for name, value in headers.items()
    )
    block = "".join(f"{name}:{value}\n" for name, value in normalised)
    return block, ";".join(name for name, _ in normalised)


def canonical_request(
    method: str,
    canonical_uri: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    payload_hash: str,
) -> str:
    """The canonical request; ``canonical_uri`` is the path as sent, already URI-encoded."""
    block, signed = canonical_headers(headers)
    return "\n".join([method, canonical_uri, canonical_query(params), block, signed, payload_hash])


def credential_scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(timestamp: str, scope: str, request: str) -> str:
    return "\n".join([ALGORITHM, timestamp, scope, sha256_hex(request.encode())])


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def sign_headers(
    *,
    method: str,
    canonical_uri: str,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    payload_hash: str,
    credentials: Credentials,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """``headers`` plus ``x-amz-date``, ``x-amz-content-sha256`` and ``Authorization``.

    Every header in ``headers`` is signed, so it must hold ``host`` exactly as it is sent.
    """
    timestamp = amz_date(now)
    signed = {**headers, "x-amz-date": timestamp, "x-amz-content-sha256": payload_hash}
    request = canonical_request(method, canonical_uri, params, signed, payload_hash)
    scope = credential_scope(timestamp[:8], region, service)
    key = signing_key(credentials.secret_key, timestamp[:8], region, service)
    _, signed_names = canonical_headers(signed)
    proof = signature(key, string_to_sign(timestamp, scope, request))
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={proof}"
    )
    return signed
