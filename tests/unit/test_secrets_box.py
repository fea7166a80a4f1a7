"""The keyring that seals secrets at rest: round trips, tampering, places, rotation, parsing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.secrets_box import Keyring, SecretsKey, UnreadableSecret, generate_key

OLD = SecretsKey("old", b"o" * 32)
NEW = SecretsKey("new", b"n" * 32)
PLACE = "webhooks.secrets/tenant-a/hook-1"
SECRET = "whsec_" + "A" * 43


def entry(key: SecretsKey) -> str:
    return f"{key.id}:{base64.b64encode(key.key).decode()}"


def test_a_sealed_secret_opens_to_itself_and_does_not_show_it() -> None:
    ring = Keyring([OLD])
    sealed = ring.seal(SECRET, PLACE)

    assert ring.open(sealed, PLACE) == SECRET
    assert sealed.startswith("v1.old.")
    assert "AAAA" not in sealed


def test_sealing_twice_gives_different_ciphertexts() -> None:
    ring = Keyring([OLD])
    assert ring.seal(SECRET, PLACE) != ring.seal(SECRET, PLACE)


@given(st.text(max_size=300), st.text(max_size=100))
def test_any_text_round_trips_in_any_place(plaintext: str, place: str) -> None:
    ring = Keyring([NEW, OLD])
    assert ring.open(ring.seal(plaintext, place), place) == plaintext


@pytest.mark.parametrize("position", [8, 30, 90])  # in the nonce, the ciphertext, the tag
def test_a_changed_character_is_detected(position: int) -> None:
    ring = Keyring([OLD])
    sealed = ring.seal(SECRET, PLACE)
    flipped = "B" if sealed[position] != "B" else "C"
    tampered = sealed[:position] + flipped + sealed[position + 1 :]

    with pytest.raises(UnreadableSecret):
        ring.open(tampered, PLACE)


def test_a_truncated_secret_is_detected() -> None:
    ring = Keyring([OLD])
    with pytest.raises(UnreadableSecret):
        ring.open(ring.seal(SECRET, PLACE)[:-4], PLACE)


def test_a_secret_sealed_for_one_row_does_not_open_in_another() -> None:
    ring = Keyring([OLD])
    sealed = ring.seal(SECRET, PLACE)

    with pytest.raises(UnreadableSecret, match="another place") as caught:
        ring.open(sealed, "webhooks.secrets/tenant-b/hook-1")
    assert SECRET not in str(caught.value)


def test_after_a_rotation_the_new_key_seals_and_the_old_one_still_opens() -> None:
    sealed_before = Keyring([OLD]).seal(SECRET, PLACE)
    rotated = Keyring([NEW, OLD])

    assert rotated.current_id == "new"
    assert rotated.open(sealed_before, PLACE) == SECRET
    assert rotated.seal(SECRET, PLACE).startswith("v1.new.")


def test_a_key_dropped_from_the_keyring_is_named_when_its_secrets_do_not_open() -> None:
    sealed = Keyring([OLD]).seal(SECRET, PLACE)

    with pytest.raises(UnreadableSecret, match="key 'old', which is not in the keyring"):
        Keyring([NEW]).open(sealed, PLACE)


def test_another_key_under_the_same_id_does_not_open() -> None:
    sealed = Keyring([OLD]).seal(SECRET, PLACE)

    with pytest.raises(UnreadableSecret):
        Keyring([SecretsKey("old", b"x" * 32)]).open(sealed, PLACE)


@pytest.mark.parametrize("value", ["", "whsec_plain", "v2.old.AAAA", "v1.old.", "v1.old.!!!!"])
def test_values_that_are_not_sealed_secrets_are_refused(value: str) -> None:
    with pytest.raises(UnreadableSecret):
        Keyring([OLD]).open(value, PLACE)


def test_parse_reads_entries_current_first_in_standard_or_url_safe_base64() -> None:
    url_safe = base64.urlsafe_b64encode(b"\xff" * 32).decode().rstrip("=")
    ring = Keyring.parse(f" {entry(NEW)} , old:{url_safe} ,")

    assert ring.ids == ("new", "old")
    assert ring.current_id == "new"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (",", "at least one key"),
        ("k1", "<id>:<base64 key>"),
        ("k1:" + base64.b64encode(b"k" * 16).decode(), "must be 32 bytes"),
        ("k1:not base64!", "not base64"),
        (f"{entry(OLD)},{entry(OLD)}", "repeated: old"),
        ("bad id:" + base64.b64encode(b"k" * 32).decode(), "letters, digits"),
    ],
)
def test_bad_keyrings_are_refused_with_the_reason(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Keyring.parse(raw)


def test_a_generated_key_is_a_keyring_entry_and_the_keyring_repr_shows_no_key() -> None:
    made = generate_key("k2")
    ring = Keyring.parse(made)

    assert ring.ids == ("k2",)
    assert made.split(":", 1)[1] not in repr(ring)
    assert "nnnn" not in repr(NEW)
