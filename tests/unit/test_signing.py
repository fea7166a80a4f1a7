"""Standard Webhooks signing: interoperable with the reference ``standardwebhooks`` library both
ways, strict about tampering and replays, and valid with either secret during a rotation."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from logistics.events.signing import (
    SignatureError,
    Verified,
    decode_secret,
    generate_message_id,
    generate_secret,
    sign,
    verify,
)

OLD = generate_secret()
NEW = generate_secret()
BODY = b'{"type":"tenant.lookup","tenant":"acme"}'

message_ids = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1
)


def now() -> int:
    return int(time.time())


def library_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signature = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode("utf-8")
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


# --- the specification and the reference library -----------------------------------------------


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


@given(body=st.text().map(str.encode), msg_id=message_ids)
def test_our_signatures_verify_with_the_reference_library(body: bytes, msg_id: str) -> None:
    headers = sign([NEW], msg_id, now(), body)

    Webhook(NEW).verify(body, headers, json_parse=False)


@given(body=st.text().map(str.encode), msg_id=message_ids)
def test_reference_library_signatures_verify_with_ours(body: bytes, msg_id: str) -> None:
    timestamp = now()

    verified = verify([NEW], library_headers(NEW, msg_id, timestamp, body), body)

    assert verified == Verified(msg_id=msg_id, timestamp=timestamp)


@given(body=st.binary())
def test_any_bytes_round_trip_and_any_change_to_them_fails(body: bytes) -> None:
    headers = sign([NEW], "msg_1", 1_700_000_000, body)

    assert verify([NEW], headers, body, now=1_700_000_000).msg_id == "msg_1"
    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, body + b"\x00", now=1_700_000_000)
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        with pytest.raises(SignatureError, match="no signature matches"):
            verify([NEW], headers, flipped, now=1_700_000_000)


# --- tampering and replays -----------------------------------------------------------------------


def test_tampered_body_fails_here_and_in_the_reference_library() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    tampered = BODY.replace(b"acme", b"evil")

    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, tampered)
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(tampered, headers)


def test_tampered_timestamp_fails() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) + 1)

    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, BODY)


def test_tampered_message_id_fails() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    headers["webhook-id"] = "msg_2"

    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, BODY)


def test_signature_by_another_secret_fails() -> None:
    headers = sign([OLD], "msg_1", now(), BODY)

    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, BODY)


def test_old_timestamp_fails_even_with_a_valid_signature() -> None:
    sent = now() - 301
    headers = sign([NEW], "msg_1", sent, BODY)

    with pytest.raises(SignatureError, match="too old"):
        verify([NEW], headers, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(NEW).verify(BODY, headers)


def test_timestamp_tolerance_applies_both_ways_and_can_be_set() -> None:
    headers = sign([NEW], "msg_1", 1_000_000, BODY)

    assert verify([NEW], headers, BODY, now=1_000_000 + 300).timestamp == 1_000_000
    assert verify([NEW], headers, BODY, now=1_000_000 - 300).timestamp == 1_000_000
    with pytest.raises(SignatureError, match="too far in the future"):
        verify([NEW], headers, BODY, now=1_000_000 - 301)
    with pytest.raises(SignatureError, match="too old"):
        verify([NEW], headers, BODY, now=1_000_000 + 11, tolerance_s=10)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(missing: str) -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    del headers[missing]

    with pytest.raises(SignatureError, match="missing"):
        verify([NEW], headers, BODY)


@pytest.mark.parametrize("timestamp", ["1.7e9", "-5", "soon", "\uff11\uff12\uff13"])
def test_timestamp_that_is_not_integer_seconds_fails(timestamp: str) -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    headers["webhook-timestamp"] = timestamp

    with pytest.raises(SignatureError, match="integer unix seconds"):
        verify([NEW], headers, BODY)


def test_header_names_match_in_any_case() -> None:
    headers = {k.title(): v for k, v in sign([NEW], "msg_1", now(), BODY).items()}

    assert verify([NEW], headers, BODY).msg_id == "msg_1"


def test_unknown_versions_and_garbage_beside_a_good_signature_are_ignored() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    good = headers["webhook-signature"]
    headers["webhook-signature"] = f"v1a,{good[3:]} junk v1,!!notbase64!! {good} v2,AAAA"

    assert verify([NEW], headers, BODY).msg_id == "msg_1"


def test_signature_of_another_version_alone_is_not_accepted() -> None:
    headers = sign([NEW], "msg_1", now(), BODY)
    headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")

    with pytest.raises(SignatureError, match="no signature matches"):
        verify([NEW], headers, BODY)


# --- rotation -------------------------------------------------------------------------------------


def test_during_a_rotation_either_secret_verifies_here_and_in_the_reference_library() -> None:
    headers = sign([OLD, NEW], "msg_1", now(), BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (OLD, NEW):
        assert verify([secret], headers, BODY).msg_id == "msg_1"
        Webhook(secret).verify(BODY, headers)
    with pytest.raises(SignatureError):
        verify([generate_secret()], headers, BODY)


def test_receiver_holding_both_secrets_accepts_a_sender_with_either() -> None:
    for secret in (OLD, NEW):
        headers = library_headers(secret, "msg_1", now(), BODY)

        assert verify([OLD, NEW], headers, BODY).msg_id == "msg_1"


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
        verify([], sign([NEW], "msg_1", now(), BODY), BODY)


def test_message_ids_are_fresh_and_valid_header_values() -> None:
    ids = {generate_message_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(i.startswith("msg_") and i.isascii() and i.isprintable() for i in ids)
    for bad in ("", "msg 1", "msg_1\r\nx-injected: 1"):
        with pytest.raises(ValueError, match="webhook id"):
            sign([NEW], bad, now(), BODY)
