"""What a rider's ping stream is built on, as ingest uses it: the live index, the track store,
and the hook run when a stream opens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.telemetry import Ping
from logistics.domain.tracks import TrackPoint, TrackRow
from logistics.geo.live_values import IngestResult, StreamState

# Called with a rider whose dispatch-relevant state may have changed.
RiderHook = Callable[[TenantSlug, uuid.UUID], Awaitable[None]]


class TelemetryIndex(Protocol):
    """The live index as ingest uses it (``geo.live_index.LiveIndex``); a Redis failure is
    ``Unavailable``."""

    async def register_tenant(self, tenant: str) -> None: ...

    async def stream_state(self, tenant: str, rider_id: str) -> StreamState: ...

    def record(
        self,
        tenant: str,
        rider_id: str,
        sequences: list[int],
        newest: Ping | None,
        now_ms: int,
        seed_contiguous: int,
    ) -> Awaitable[IngestResult]: ...

    async def save_fence_states(
        self, tenant: str, rider_id: str, states: dict[str, tuple[int, bool]]
    ) -> None: ...


class Tracks(Protocol):
    """Track points in PostgreSQL (``store.tracks.TrackWriter``): written in batches shared by
    every stream of the process, read back by time range."""

    async def write(self, tenant_id: TenantId, rows: list[TrackRow]) -> None: ...

    async def read(
        self,
        tenant_id: TenantId,
        rider_id: uuid.UUID,
        start: datetime,
        end: datetime,
        limit: int,
    ) -> list[TrackPoint]: ...
