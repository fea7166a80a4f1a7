"""Proof of delivery kept safe, end to end on a real server that runs the worker's timers with
its files in a directory the test can see: the retention policy and a legal hold over gRPC, the
sweep purging a file past retention, and the dispute bundle over HTTP, checked as a tenant
would check it: every file's SHA-256 recomputed against the hash recorded at capture, the
manifest's Ed25519 signature verified with the key the service publishes, the trail and the
rider's track near each step there, a purged file named as such, a changed file caught."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import proof_retention_pb2, task_pb2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from logistics.api.auth import mint_token
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import JWT_SECRET, auth, bearer, headers, unique_tenant
from tests.support.errors import fails
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, Step, drop_off, last_id, pickup

pytestmark = pytest.mark.e2e

PHOTO, SIGNATURE = Step.PROOF_KIND_PHOTO, Step.PROOF_KIND_SIGNATURE
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(4096)
SIGNED = b"\x89PNG\r\n\x1a\n" + b"signed: Wanjiku" * 64
DROP = (-1.3000, 36.7800)  # drop_off()'s location


@pytest.fixture(scope="module")
async def blob_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("blobs")


@pytest.fixture(scope="module")
async def listeners(server_urls: ServerUrls, blob_root: Path) -> AsyncIterator[Listeners]:
    async with server_in_process(
        server_urls,
        run_timers=True,
        LOGISTICS_BLOB_STORE_URL=f"file://{blob_root}",
        LOGISTICS_EXPORT_SIGNING_SECRET=base64.b64encode(os.urandom(32)).decode(),
        LOGISTICS_TIMER_INTERVAL_SECONDS="0.2",
    ) as running:
        yield running


@pytest.fixture
async def api(listeners: Listeners, store: Store, database: Database) -> AsyncIterator[Api]:
    async with grpc.aio.insecure_channel(listeners.grpc_target) as channel:
        yield Api(channel, unique_tenant(), store, database)


async def export(listeners: Listeners, api: Api, task: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
        return await http.get(
            f"{listeners.http_url}/v1/{task}/proofs:export", headers=headers(api.tenant)
        )


async def public_key(listeners: Listeners, api: Api) -> tuple[str, Ed25519PublicKey]:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
        answer = await http.get(
            f"{listeners.http_url}/v1/tenants/{api.tenant}/proofs:signingKey",
            headers=headers(api.tenant, ["logistics:read"]),
        )
    assert answer.status_code == 200
    body = answer.json()
    key = load_pem_public_key(body["public_key_pem"].encode())
    assert isinstance(key, Ed25519PublicKey)
    assert body["algorithm"] == "Ed25519"
    return body["key_id"], key


def verified(archive: zipfile.ZipFile, key: Ed25519PublicKey, key_id: str) -> dict[str, Any]:
    """The manifest, once its signature and every hash it states are checked."""
    raw = archive.read("manifest.json")
    key.verify(archive.read("manifest.sig"), raw)  # raises InvalidSignature
    listed: dict[str, Any] = json.loads(raw)
    assert listed["signature"]["key_id"] == key_id
    for document in listed["documents"]:
        assert hashlib.sha256(archive.read(document["path"])).hexdigest() == document["sha256"]
    for file in listed["files"]:
        if file["path"] is not None:
            exported = hashlib.sha256(archive.read(file["path"])).hexdigest()
            assert exported == file["sha256_exported"]
    return listed


async def delivered(api: Api) -> tuple[task_pb2.Task, str]:
    """A delivered task with a photo and a signature at its drop-off, and its rider's id."""
    task, rider = await api.at("1", pickup(), drop_off(PHOTO, SIGNATURE))
    await api.complete(
        task.name,
        "1",
        task_pb2.Proof(kind=PHOTO, content=PNG),
        task_pb2.Proof(kind=SIGNATURE, content=SIGNED),
    )
    return await api.get(task.name), last_id(rider)


async def ping(api: Api, rider: str, at: datetime, latitude: float, longitude: float) -> None:
    await api.sql(
        """INSERT INTO track_points (tenant_id, rider_id, record_time, sequence, latitude,
               longitude, accuracy_m)
           VALUES (current_tenant_id(), $1, $2, $3, $4, $5, 8)""",
        uuid.UUID(rider),
        at,
        int(at.timestamp() * 1000),
        latitude,
        longitude,
    )


async def test_the_bundle_proves_the_files_unchanged_and_is_signed(
    api: Api, listeners: Listeners, blob_root: Path
) -> None:
    task, rider = await delivered(api)
    done = task.steps[1].complete_time.ToDatetime(UTC)
    # The rider's track: near the drop-off just before, far away an hour before (left out),
    # 3 km off at the moment (kept: a rider far from the step is evidence too).
    await ping(api, rider, done - timedelta(minutes=3), DROP[0] + 0.001, DROP[1])
    await ping(api, rider, done - timedelta(minutes=2), DROP[0] + 0.027, DROP[1])
    await ping(api, rider, done - timedelta(minutes=50), DROP[0] + 0.2, DROP[1])
    await ping(api, rider, done + timedelta(minutes=40), DROP[0] + 0.002, DROP[1])
    key_id, key = await public_key(listeners, api)

    response = await export(listeners, api, task.name)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    listed = verified(archive, key, key_id)

    assert listed["task"] == task.name
    files = {f["kind"]: f for f in listed["files"]}
    assert set(files) == {"photo", "signature"}
    for kind, content in (("photo", PNG), ("signature", SIGNED)):
        assert files[kind]["status"] == "unchanged"
        assert files[kind]["sha256_at_capture"] == hashlib.sha256(content).hexdigest()
        assert archive.read(files[kind]["path"]) == content
    trail = json.loads(archive.read("trail.json"))["events"]
    assert [e["type"] for e in trail] == [
        "created",
        "assigned",
        "en_route",
        "arrived",
        "step_completed",
        "arrived",
        "completed",
    ]
    track = json.loads(archive.read("track.json"))
    assert track["rider"] == rider
    drop_done = next(
        m for m in track["moments"] if (m["step_id"], m["moment"]) == ("1", "complete")
    )
    distances = [round(p["distance_m"] / 100) * 100 for p in drop_done["points"]]
    assert distances == [100, 3000, 200]  # the far point an hour before is left out
    proofs = json.loads(archive.read("proofs.json"))
    assert proofs["task"]["name"] == task.name
    assert len(proofs["proofs"]) == 2

    # A forged manifest fails the check.
    with pytest.raises(InvalidSignature):
        key.verify(archive.read("manifest.sig"), archive.read("manifest.json") + b" ")

    # A file changed behind the service's back is caught: its hash no longer matches capture.
    photo_id = last_id(next(p["name"] for p in proofs["proofs"] if p["kind"] == "PROOF_KIND_PHOTO"))
    stored = blob_root / "tenants"
    tampered = next(p for p in stored.rglob("*") if p.is_file() and p.read_bytes() == PNG)
    tampered.write_bytes(PNG[:-1] + b"!")
    again = zipfile.ZipFile(io.BytesIO((await export(listeners, api, task.name)).content))
    photo = next(f for f in verified(again, key, key_id)["files"] if f["kind"] == "photo")
    assert photo["status"] == "changed"
    assert photo["path"] == f"files/{photo_id}.png"


async def test_the_sweep_purges_a_file_past_retention_unless_the_task_is_held(
    api: Api, listeners: Listeners
) -> None:
    name = f"{api.parent}/proofRetentionPolicy"
    default = await api.tasks.GetProofRetentionPolicy(
        proof_retention_pb2.GetProofRetentionPolicyRequest(name=name), metadata=api.md
    )
    assert (default.photo_retention_days, default.signature_retention_days) == (180, 180)
    await fails(
        api.tasks.UpdateProofRetentionPolicy(
            proof_retention_pb2.UpdateProofRetentionPolicyRequest(
                policy=proof_retention_pb2.ProofRetentionPolicy(
                    name=name, photo_retention_days=4000
                )
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    kept, held = await delivered(api), await delivered(api)
    hold = await api.tasks.UpdateProofHold(
        proof_retention_pb2.UpdateProofHoldRequest(
            hold=proof_retention_pb2.ProofHold(
                name=f"{held[0].name}/proofHold", held=True, reason="dispute D-42"
            )
        ),
        metadata=api.md,
    )
    assert (hold.held, hold.reason) == (True, "dispute D-42")
    reader = auth(api.tenant, ["logistics:read"])
    await fails(
        api.tasks.UpdateProofHold(
            proof_retention_pb2.UpdateProofHoldRequest(
                hold=proof_retention_pb2.ProofHold(name=f"{held[0].name}/proofHold")
            ),
            metadata=reader,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    listed = await api.proofs(kept[0].name)
    assert all(p.HasField("expire_time") for p in listed)
    assert not any(p.HasField("expire_time") for p in await api.proofs(held[0].name))

    # Both tasks' files were stored two days ago; photos are now kept one day.
    for task, _ in (kept, held):
        await api.sql(
            "UPDATE proofs SET create_time = now() - interval '2 days' WHERE task_id = $1",
            uuid.UUID(last_id(task.name)),
        )
    await api.tasks.UpdateProofRetentionPolicy(
        proof_retention_pb2.UpdateProofRetentionPolicyRequest(
            policy=proof_retention_pb2.ProofRetentionPolicy(
                name=name, photo_retention_days=1, etag=default.etag
            )
        ),
        metadata=api.md,
    )
    for _ in range(100):  # the worker's sweep runs at once
        proofs = {p.kind: p for p in await api.proofs(kept[0].name)}
        if proofs[PHOTO].HasField("purge_time"):
            break
        await asyncio.sleep(0.1)
    assert proofs[PHOTO].HasField("purge_time")
    assert proofs[PHOTO].file_sha256 == hashlib.sha256(PNG).hexdigest()
    assert not proofs[SIGNATURE].HasField("purge_time")
    assert not any(p.HasField("purge_time") for p in await api.proofs(held[0].name))

    archive = zipfile.ZipFile(io.BytesIO((await export(listeners, api, kept[0].name)).content))
    key_id, key = await public_key(listeners, api)
    files = {f["kind"]: f for f in verified(archive, key, key_id)["files"]}
    assert files["photo"]["status"] == "purged"
    assert files["photo"]["path"] is None
    assert files["photo"]["sha256_at_capture"] == hashlib.sha256(PNG).hexdigest()
    assert files["signature"]["status"] == "unchanged"
    assert [n for n in archive.namelist() if n.startswith("files/")] == [files["signature"]["path"]]


async def test_a_customer_tracking_token_reads_the_proofs_but_gets_no_bundle(
    api: Api, listeners: Listeners
) -> None:
    task, _ = await delivered(api)
    tracking = mint_token(JWT_SECRET, tenant=api.tenant, scopes=[], task_id=last_id(task.name))
    shown = await api.tasks.ListProofs(
        task_pb2.ListProofsRequest(parent=task.name), metadata=bearer(tracking)
    )
    assert len(shown.proofs) == 2  # the customer's proof of delivery
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
        response = await http.get(
            f"{listeners.http_url}/v1/{task.name}/proofs:export",
            headers={"authorization": f"Bearer {tracking}"},
        )
    assert response.status_code == 403  # the trail and the rider's track are not theirs
