"""The dispute bundle's rules: which track points are kept near a step's arrival and completion,
and the manifest that ties every exported file to the SHA-256 recorded at capture. Pure.

The track window is wide in time and narrow in space: every point within ``NEAR_TIME`` of the
moment (wherever the rider was: a rider far from the step is evidence too), and the points
within ``NEAR_DISTANCE_M`` of the step for ``AROUND_TIME`` either side (the approach and the
departure). Each point carries its distance to the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.telemetry import haversine_m
from logistics.domain.tracks import TrackPoint

NEAR_TIME = timedelta(minutes=10)
AROUND_TIME = timedelta(minutes=60)
NEAR_DISTANCE_M = 1000.0
MAX_POINTS = 5000  # per moment; a track sampled every second for two hours
MANIFEST_FORMAT = "bengobox.logistics.dispute/1"


@dataclass(frozen=True)
class Moment:
    """A step's arrival or completion, where the step is."""

    step_id: str
    what: str  # "arrive" | "complete"
    time: datetime
    latitude: float
    longitude: float


@dataclass(frozen=True)
class NearPoint:
    point: TrackPoint
    distance_m: float | None  # None when the step has no location


def near(moment: Moment, points: list[TrackPoint]) -> list[NearPoint]:
    """The points of the window (see the module) around ``moment``, oldest first; ``points``
    are the rider's points within ``AROUND_TIME`` of it."""
    placed = not (math.isnan(moment.latitude) or math.isnan(moment.longitude))
    kept = []
    for p in points:
        distance = (
            haversine_m(moment.latitude, moment.longitude, p.latitude, p.longitude)
            if placed
            else None
        )
        off = abs(p.record_time - moment.time)
        close = distance is not None and distance <= NEAR_DISTANCE_M
        if off <= NEAR_TIME or (off <= AROUND_TIME and close):
            kept.append(NearPoint(p, distance))
    return kept[:MAX_POINTS]


@dataclass(frozen=True)
class ExportedFile:
    """A proof's file in the bundle: ``path`` in the zip (None: not there), the hash recorded
    at capture and the hash of the bytes written, ``purge_time`` once retention removed it."""

    proof: str  # the proof's resource name
    kind: str
    path: str | None
    sha256_at_capture: str | None
    sha256_exported: str | None
    size: int
    purge_time: datetime | None = None


def manifest(
    task: str,
    export_time: datetime,
    key_id: str,
    documents: dict[str, str],
    files: list[ExportedFile],
) -> dict[str, object]:
    """The manifest (signed as written): ``documents`` maps each JSON member of the bundle to
    its SHA-256; each file says whether it is unchanged since capture, missing or purged."""

    def status(f: ExportedFile) -> str:
        if f.purge_time is not None:
            return "purged"
        if f.sha256_exported is None:
            return "missing"
        return "unchanged" if f.sha256_exported == f.sha256_at_capture else "changed"

    return {
        "format": MANIFEST_FORMAT,
        "task": task,
        "export_time": export_time.isoformat(),
        "signature": {"algorithm": "Ed25519", "key_id": key_id, "file": "manifest.sig"},
        "documents": [{"path": p, "sha256": h} for p, h in sorted(documents.items())],
        "files": [
            {
                "proof": f.proof,
                "kind": f.kind,
                "path": f.path,
                "sha256_at_capture": f.sha256_at_capture,
                "sha256_exported": f.sha256_exported,
                "size": f.size,
                "status": status(f),
                "purge_time": f.purge_time.isoformat() if f.purge_time else None,
            }
            for f in files
        ],
    }
