"""Standard Webhooks signing: the specification's test vector, an HMAC computed here by hand
(independent of the ``standardwebhooks`` library that now makes our signatures), the reference
library's verifier, and one valid signature per secret during a rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from logistics.events.signing import (
    decode_secret,
    generate_message_id,
    generate_secret,
    sign,
)

OLD = generate_secret()
NEW = generate_secret()
BODY = b'{"type":"tenant.lookup","tenant":"acme"}'

message_ids = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1
)
bodies = st.text().map(str.encode)


def now() -> int:
    return int(time.time())


def expected_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The v1 signature as the specification defines it, computed without any library."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def library_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signature = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode("utf-8")
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


# --- the specification, an independent HMAC and the reference verifier ---------------------------


def test_signature_matches_the_specifications_test_vector() -> None:
    headers = sign(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


@given(body=bodies, msg_id=message_ids, timestamp=st.integers(0, 2**35))
def test_signature_is_the_hmac_of_id_timestamp_and_body(
    body: bytes, msg_id: str, timestamp: int
) -> None:
    headers = sign([NEW], msg_id, timestamp, body)

    assert headers == {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": expected_signature(NEW, msg_id, timestamp, body),
    }


@given(body=bodies, msg_id=message_ids)
def test_our_signatures_verify_with_the_reference_library(body: bytes, msg_id: str) -> None:
    headers = sign([NEW], msg_id, now(), body)

    Webhook(NEW).verify(body, headers, json_parse=False)


@given(body=bodies)
def test_any_change_to_the_body_id_or_timestamp_changes_the_signature(body: bytes) -> None:
    signature = sign([NEW], "msg_1", 1_700_000_000, body)["webhook-signature"]

    assert sign([NEW], "msg_1", 1_700_000_000, body + b"x")["webhook-signature"] != signature
    assert sign([NEW], "msg_2", 1_700_000_000, body)["webhook-signature"] != signature
    assert sign([NEW], "msg_1", 1_700_000_001, body)["webhook-signature"] != signature
    assert sign([OLD], "msg_1", 1_700_000_000, body)["webhook-signature"] != signature


def test_tampered_body_fails_in_the_reference_library() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(BODY.replace(b"acme", b"evil"), headers)


def test_old_timestamp_fails_in_the_reference_library_even_with_a_valid_signature() -> None:
    headers = sign([NEW], "msg_1", now() - 301, BODY)

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(NEW).verify(BODY, headers)


def test_body_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        sign([NEW], "msg_1", now(), b"\xff\xfe")


# --- rotation -------------------------------------------------------------------------------------


def test_during_a_rotation_there_is_one_signature_per_secret_and_either_verifies() -> None:
    timestamp = now()
    headers = sign([OLD, NEW], "msg_1", timestamp, BODY)

    assert headers["webhook-signature"].split(" ") == [
        expected_signature(OLD, "msg_1", timestamp, BODY),
        expected_signature(NEW, "msg_1", timestamp, BODY),
    ]
    for secret in (OLD, NEW):
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_reference_library_signatures_equal_ours_for_each_secret() -> None:
    timestamp = now()
    ours = sign([OLD, NEW], "msg_1", timestamp, BODY)["webhook-signature"].split(" ")

    assert ours == [
        library_headers(secret, "msg_1", timestamp, BODY)["webhook-signature"]
        for secret in (OLD, NEW)
    ]


# --- secrets and ids ------------------------------------------------------------------------------


def test_generated_secrets_are_random_whsec_secrets_of_the_asked_size() -> None:
    secrets = {generate_secret() for _ in range(50)}

    assert len(secrets) == 50
    assert all(s.startswith("whsec_") for s in secrets)
    assert {len(decode_secret(s)) for s in secrets} == {32}
    assert len(decode_secret(generate_secret(64))) == 64
    with pytest.raises(ValueError, match="24 to 64"):
        generate_secret(16)


def test_unpadded_secret_decodes_like_the_padded_one() -> None:
    padded = "whsec_" + base64.b64encode(b"k" * 25).decode()
    assert padded.endswith("=")

    assert decode_secret(padded.rstrip("=")) == decode_secret(padded) == b"k" * 25


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with 'whsec_'"),
        ("whsec_not base64!", "standard base64"),
        ("whsec_", "at least 24 bytes"),
        ("whsec_" + base64.b64encode(b"short").decode(), "at least 24 bytes"),
    ],
)
def test_malformed_secret_is_refused_without_quoting_it(secret: str, error: str) -> None:
    with pytest.raises(ValueError, match=error) as caught:
        sign([secret], "msg_1", now(), BODY)

    encoded = secret.removeprefix("whsec_")
    assert not encoded or encoded not in str(caught.value)


def test_secrets_must_be_a_non_empty_sequence_of_secrets() -> None:
    with pytest.raises(TypeError, match="not one string"):
        sign(NEW, "msg_1", now(), BODY)
    with pytest.raises(ValueError, match="at least one"):
        sign([], "msg_1", now(), BODY)


def test_message_ids_are_fresh_and_valid_header_values() -> None:
    ids = {generate_message_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(i.startswith("msg_") and i.isascii() and i.isprintable() for i in ids)
    for bad in ("", "msg 1", "msg_1\r\nx-injected: 1"):
        with pytest.raises(ValueError, match="webhook id"):
            sign([NEW], bad, now(), BODY)
    with pytest.raises(ValueError, match="never negative"):
        sign([NEW], "msg_1", -1, BODY)
