"""GET /v1/tenants/{t}/tasks/{task}/proofs:export: a task's dispute bundle, a zip streamed as it
is written (files are never held whole); and GET /v1/tenants/{t}/proofs:signingKey, the public
key that verifies bundles.

The bundle holds ``proofs.json`` (the task, its proofs, the retention policy and the task's
hold), ``trail.json`` (every trail entry), ``track.json`` (the rider's points near each step's
arrival and completion), ``files/<proof id>.<ext>`` (each file still kept), then
``manifest.json`` (each member's SHA-256; each file's SHA-256 recorded at capture beside the
SHA-256 of the bytes written, and which files were purged or are missing) and
``manifest.sig``, the Ed25519 signature of ``manifest.json``'s bytes. A task with temperature
readings also has ``temperatures.csv`` (its cold chain log), hashed in the manifest like the
JSON members.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime

from google.protobuf.json_format import MessageToDict

from logistics.api.convert_retention import (
    add_retention_times,
    hold_to_proto,
    retention_policy_to_proto,
)
from logistics.api.convert_tasks import event_to_proto, proof_to_proto, task_to_proto
from logistics.api.edge import current_caller
from logistics.api.rest import Request, Response, Route, route
from logistics.api.zip_stream import zip_stream
from logistics.domain.caller import Scope
from logistics.domain.disputes import (
    AROUND_TIME,
    NEAR_DISTANCE_M,
    NEAR_TIME,
    ExportedFile,
    manifest,
)
from logistics.domain.ids import ResourceName, parse_parent
from logistics.domain.names import PROOFS, TASKS
from logistics.export_signing import ManifestSigner
from logistics.services.tasks.disputes import DisputeCase, DisputeExports


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode()


def documents(name: ResourceName, case: DisputeCase) -> dict[str, bytes]:
    """The bundle's JSON members, rendered as the API renders them."""
    tenant = name.tenant
    proofs = [
        MessageToDict(
            add_retention_times(proof_to_proto(tenant, name.id, p), p, case.policy, case.hold)
        )
        for p in case.proofs
    ]
    tracks = [
        {
            "step_id": t.moment.step_id,
            "moment": t.moment.what,
            "time": t.moment.time.isoformat(),
            "step_location": {"latitude": t.moment.latitude, "longitude": t.moment.longitude},
            "points": [
                {
                    "time": n.point.record_time.isoformat(),
                    "latitude": n.point.latitude,
                    "longitude": n.point.longitude,
                    "accuracy_m": n.point.accuracy_m,
                    "speed_mps": n.point.speed_mps,
                    "distance_m": None if n.distance_m is None else round(n.distance_m, 1),
                }
                for n in t.points
            ],
        }
        for t in case.tracks
    ]
    return {
        "proofs.json": _json(
            {
                "task": MessageToDict(task_to_proto(tenant, case.task)),
                "proofs": proofs,
                "retention": MessageToDict(retention_policy_to_proto(tenant, case.policy)),
                "hold": MessageToDict(hold_to_proto(name, case.hold)),
            }
        ),
        "trail.json": _json({"events": [MessageToDict(event_to_proto(e)) for e in case.trail]}),
        "track.json": _json(
            {
                "rider": None if case.task.rider_id is None else str(case.task.rider_id),
                "window": {
                    "near_time_s": NEAR_TIME.total_seconds(),
                    "around_time_s": AROUND_TIME.total_seconds(),
                    "near_distance_m": NEAR_DISTANCE_M,
                },
                "moments": tracks,
            }
        ),
    }


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _hashed(chunks: AsyncIterator[bytes], into: hashlib._Hash) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            into.update(chunk)
            yield chunk
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]


async def bundle_members(
    name: ResourceName,
    case: DisputeCase,
    exports: DisputeExports,
    signer: ManifestSigner | None,
    more: Mapping[str, bytes] | None = None,
) -> AsyncIterator[tuple[str, AsyncIterator[bytes], bool]]:
    """The zip's members in order; each file is hashed while it streams, and the manifest,
    written last, holds those hashes. ``more``: other members made whole (temperatures.csv)."""
    now = datetime.now(UTC)
    docs = {**documents(name, case), **(more or {})}
    for path, data in docs.items():
        yield path, _once(data), True
    files: list[ExportedFile] = []
    for p in case.proofs:
        if not p.blob_key:
            continue
        proof = PROOFS.name(name.tenant, name.id, p.id)
        kept = ExportedFile(proof, p.kind.value, None, p.file_sha256, None, p.file_size)
        chunks = None if p.purge_time else await exports.open_file(p.blob_key)
        if chunks is None:
            files.append(dataclasses.replace(kept, purge_time=p.purge_time))
            continue
        extension = (p.content_type or "application/octet-stream").split("/")[-1]
        path = f"files/{p.id}.{extension}"
        digest = hashlib.sha256()
        yield path, _hashed(chunks, digest), False  # images: compressed already
        files.append(
            ExportedFile(proof, p.kind.value, path, p.file_sha256, digest.hexdigest(), p.file_size)
        )
    listed = manifest(
        str(name),
        now,
        signer.key_id if signer else "",
        {path: hashlib.sha256(data).hexdigest() for path, data in docs.items()},
        files,
    )
    if signer is None:
        listed["signature"] = None
    body = _json(listed)
    yield "manifest.json", _once(body), True
    if signer is not None:
        yield "manifest.sig", _once(signer.sign(body)), False


def dispute_routes(
    exports: DisputeExports,
    signer: ManifestSigner | None,
    temperatures: Callable[[ResourceName], Awaitable[str]] | None = None,
) -> list[Route]:
    """``temperatures``: a task's temperature log as CSV (a header line only when none)."""

    async def export(request: Request) -> Response:
        p = request.params
        name = TASKS.parse(f"tenants/{p['tenant']}/tasks/{p['task']}")
        case = await exports.case(current_caller(), name)
        more = {}
        if temperatures is not None:
            log = await temperatures(name)
            if log.count("\n") > 1:
                more["temperatures.csv"] = log.encode()
        return Response(
            200,
            "application/zip",
            zip_stream(bundle_members(name, case, exports, signer, more)),
            (("content-disposition", f'attachment; filename="task-{name.id}-dispute.zip"'),),
        )

    async def signing_key(request: Request) -> Response:
        tenant = parse_parent(f"tenants/{request.params['tenant']}")
        current_caller().require(Scope.READ, tenant)
        if signer is None:
            return Response.json({"algorithm": "Ed25519", "key_id": "", "public_key_pem": ""})
        return Response.json(
            {
                "algorithm": "Ed25519",
                "key_id": signer.key_id,
                "public_key_pem": signer.public_key_pem,
            }
        )

    return [
        route(
            "GET", "/v1/tenants/{tenant}/tasks/{task}/proofs:export", "GET proofs:export", export
        ),
        route(
            "GET", "/v1/tenants/{tenant}/proofs:signingKey", "GET proofs:signingKey", signing_key
        ),
    ]
