"""Proof of delivery kept safe, as pure rules: when a file falls due, the track window of a
dispute bundle, the manifest's verdict on each file, the streamed zip and the signing key."""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from hypothesis import given
from hypothesis import strategies as st

from logistics.api.zip_stream import zip_stream
from logistics.domain.disputes import (
    AROUND_TIME,
    NEAR_DISTANCE_M,
    NEAR_TIME,
    ExportedFile,
    Moment,
    manifest,
    near,
)
from logistics.domain.errors import InvalidArgument
from logistics.domain.proof_retention import (
    ProofHold,
    ProofRetentionPolicy,
    expire_time,
    validate_hold,
    validate_retention_policy,
)
from logistics.domain.tasks import ProofKind
from logistics.domain.tracks import TrackPoint
from logistics.export_signing import ManifestSigner, parse_seed

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
AT = Moment("1", "complete", T0, -1.30, 36.78)
METRES_PER_DEG = 111_195.0  # of latitude, on haversine's sphere


def point(minutes: float, metres_north: float) -> TrackPoint:
    return TrackPoint(
        T0 + timedelta(minutes=minutes), -1.30 + metres_north / METRES_PER_DEG, 36.78, 0.0
    )


@given(
    minutes=st.floats(-2 * 60, 2 * 60, allow_nan=False),
    metres=st.floats(0, 20_000, allow_nan=False),
)
def test_a_point_is_kept_when_near_in_time_or_near_in_place_around_the_moment(
    minutes: float, metres: float
) -> None:
    kept = near(AT, [point(minutes, metres)])
    off = timedelta(minutes=abs(minutes))
    close = metres <= NEAR_DISTANCE_M - 1  # a metre of slack for the sphere's rounding
    far = metres >= NEAR_DISTANCE_M + 1
    if off <= NEAR_TIME or (off <= AROUND_TIME and close):
        assert len(kept) == 1
        assert kept[0].distance_m == pytest.approx(metres, abs=1)
    elif off > AROUND_TIME or far:
        assert kept == []


def test_a_step_without_a_location_keeps_only_the_points_near_in_time() -> None:
    nowhere = Moment("0", "arrive", T0, float("nan"), float("nan"))
    kept = near(nowhere, [point(-30, 0), point(-5, 5000), point(8, 0)])
    assert [(k.point.record_time, k.distance_m) for k in kept] == [
        (T0 - timedelta(minutes=5), None),
        (T0 + timedelta(minutes=8), None),
    ]


def test_the_manifest_says_which_files_are_unchanged_changed_missing_or_purged() -> None:
    files = [
        ExportedFile("p/1", "photo", "files/1.png", "aa", "aa", 3),
        ExportedFile("p/2", "photo", "files/2.png", "aa", "bb", 3),
        ExportedFile("p/3", "signature", None, "cc", None, 3),
        ExportedFile("p/4", "signature", None, "dd", None, 3, purge_time=T0),
    ]
    listed = manifest("tenants/a/tasks/x", T0, "k1", {"trail.json": "ee"}, files)
    assert [f["status"] for f in listed["files"]] == [  # type: ignore[attr-defined]
        "unchanged",
        "changed",
        "missing",
        "purged",
    ]
    assert listed["documents"] == [{"path": "trail.json", "sha256": "ee"}]


def test_a_file_falls_due_by_its_kind_unless_held_or_purged() -> None:
    policy = ProofRetentionPolicy(photo_days=30, signature_days=90)
    free, held = ProofHold(), ProofHold(True, "CB-1")
    assert expire_time(policy, free, ProofKind.PHOTO, T0, False) == T0 + timedelta(days=30)
    assert expire_time(policy, free, ProofKind.SIGNATURE, T0, False) == T0 + timedelta(days=90)
    assert expire_time(policy, held, ProofKind.PHOTO, T0, False) is None
    assert expire_time(policy, free, ProofKind.PHOTO, T0, True) is None
    assert expire_time(policy, free, ProofKind.NFC_TAG, T0, False) is None
    assert expire_time(policy, free, ProofKind.PHOTO, None, False) is None


def test_bad_policies_and_holds_name_their_fields() -> None:
    with pytest.raises(InvalidArgument) as bad:
        validate_retention_policy(ProofRetentionPolicy(photo_days=0, signature_days=3651))
    assert [v.field for v in bad.value.violations] == [
        "policy.photo_retention_days",
        "policy.signature_retention_days",
    ]
    validate_retention_policy(ProofRetentionPolicy(photo_days=1, signature_days=3650))
    with pytest.raises(InvalidArgument):
        validate_hold(ProofHold(True, "   "))
    with pytest.raises(InvalidArgument):
        validate_hold(ProofHold(True, "x" * 501))
    validate_hold(ProofHold(False, ""))


def test_a_large_member_is_sent_in_pieces_before_it_ends() -> None:
    piece = bytes(range(256)) * 256  # 64 KiB that deflate cannot shrink to nothing
    sent: list[bytes] = []
    read = 0

    async def content() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(64):  # 4 MiB
            read += 1
            yield piece

    async def members() -> AsyncIterator[tuple[str, AsyncIterator[bytes], bool]]:
        yield "files/big.bin", content(), False
        yield "manifest.json", _once(b"{}"), True

    async def run() -> int:
        first_seen_at = 0
        async for data in zip_stream(members()):
            if data and not sent:
                first_seen_at = read
            sent.append(data)
        return first_seen_at

    first_seen_at = asyncio.run(run())
    assert first_seen_at < 64  # bytes went out before the member was read to its end
    archive = zipfile.ZipFile(io.BytesIO(b"".join(sent)))
    assert archive.read("files/big.bin") == piece * 64
    assert archive.read("manifest.json") == b"{}"
    stored, deflated = archive.infolist()
    assert (stored.compress_type, deflated.compress_type) == (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
    )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def test_the_signing_key_verifies_its_signatures_and_is_derived_stably() -> None:
    seed = base64.b64encode(bytes(range(32))).decode()
    signer = ManifestSigner.from_settings(seed, None)
    assert signer is not None
    key = load_pem_public_key(signer.public_key_pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    key.verify(signer.sign(b"manifest"), b"manifest")
    dev = ManifestSigner.from_settings(None, "a development secret of 32 chars!!")
    again = ManifestSigner.from_settings(None, "a development secret of 32 chars!!")
    assert dev is not None
    assert again is not None
    assert dev.key_id == again.key_id != signer.key_id
    assert ManifestSigner.from_settings(None, None) is None
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError, match="32"):
            parse_seed(bad)
