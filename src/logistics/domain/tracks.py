"""A rider's track: the rows ingest keeps (sampled pings) and the points read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrackRow:
    rider_id: uuid.UUID
    record_time: datetime
    sequence: int
    latitude: float
    longitude: float
    accuracy_m: float
    speed_mps: float
    heading_deg: float
    task: str | None


@dataclass(frozen=True)
class TrackPoint:
    record_time: datetime
    latitude: float
    longitude: float
    speed_mps: float
    accuracy_m: float = 0.0
