"""One viewer of a live view: what it shows, its coalescing buffer and its frames."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from logistics.domain.errors import InvalidArgument
from logistics.domain.live import OFFLINE, Alert, Frame, FrameBuffer, RiderUpdate, TaskChange
from logistics.domain.shapes import PolygonShape
from logistics.geo.areas import ViewArea
from logistics.geo.fences import polygon_problem
from logistics.services.live.ports import LiveSettings


def view_polygon(vertices: Sequence[tuple[float, float]], field: str) -> PolygonShape:
    """The polygon a viewer named, or InvalidArgument on ``field`` when it cannot be an area
    (too few vertices, one out of range, crossing itself, no area, too large)."""
    problem = polygon_problem(vertices)
    if problem:
        raise InvalidArgument.field(field, problem)
    return PolygonShape(tuple(vertices))


@dataclass(frozen=True)
class ViewSpec:
    """What a viewer asked for, resolved: the area, what to include, the fleet filter."""

    area: ViewArea
    riders: bool = True
    tasks: bool = True
    alerts: bool = True
    fleet: str | None = None  # fleet id


class View:
    """One viewer: its buffer, what it currently shows, and its frame sequence."""

    def __init__(self, tenant: str, spec: ViewSpec, settings: LiveSettings) -> None:
        self.tenant = tenant
        self.spec = spec
        self.cells: set[str] = set()
        self._settings = settings
        self._buffer = FrameBuffer(max_riders=settings.max_riders)
        self._shown: dict[str, tuple[float, float]] = {}  # rider -> where it was last shown
        self._sequence = 0
        self._snapshot: Frame | None = None
        self._wake = asyncio.Event()
        self._last_take = time.monotonic()
        self._failure: Exception | None = None

    @property
    def dropped(self) -> int:
        return self._buffer.dropped

    def buffered(self) -> int:
        return len(self._buffer)

    def _visible(self, u: RiderUpdate) -> bool:
        if u.status == OFFLINE:
            return False
        if self.spec.fleet is not None and u.fleet != self.spec.fleet:
            return False
        return self.spec.area.contains(u.latitude, u.longitude)

    def offer_riders(self, updates: list[RiderUpdate], removals: list[str]) -> None:
        if not self.spec.riders or self._failure is not None:
            return
        for u in updates:
            if self._visible(u):
                self._shown[u.rider_id] = (u.latitude, u.longitude)
                self._buffer.upsert(u)
            elif u.rider_id in self._shown:
                del self._shown[u.rider_id]
                self._buffer.remove(u.rider_id)
        for rider_id in removals:
            if rider_id in self._shown:
                del self._shown[rider_id]
                self._buffer.remove(rider_id)

    def shows(self, rider_id: str) -> bool:
        return rider_id in self._shown

    def position_of(self, rider_id: str) -> tuple[float, float] | None:
        """Where the rider was last shown here, if it is."""
        return self._shown.get(rider_id)

    def offer_task(self, change: TaskChange) -> None:
        """A task change of a rider shown here or at a step inside the area (its ETA, when
        it carries one, is estimated by ``LiveViews``)."""
        if not self.spec.tasks or self._failure is not None:
            return
        rider_id = change.rider.rsplit("/", 1)[-1] if change.rider else None
        at = self._shown.get(rider_id) if rider_id is not None else None
        step = (
            (change.latitude, change.longitude)
            if change.latitude is not None and change.longitude is not None
            else None
        )
        if at is None and (step is None or not self.spec.area.contains(*step)):
            return
        self._buffer.task(change)

    def offer_alert(self, alert: Alert) -> None:
        if not self.spec.alerts or self._failure is not None:
            return
        rider_id = alert.rider.rsplit("/", 1)[-1] if alert.rider else None
        if alert.latitude is not None and alert.longitude is not None:
            relevant = self.spec.area.contains(alert.latitude, alert.longitude)
        else:
            relevant = rider_id is not None and rider_id in self._shown
        if relevant:
            self._buffer.alert(alert)
        if alert.type == "rider.offline" and rider_id is not None:
            self.offer_riders([], [rider_id])

    def reset(self, spec: ViewSpec, snapshot: list[RiderUpdate]) -> None:
        """A new subscription (or the first): its snapshot is the next frame."""
        self.spec = spec
        self._buffer.take(0)
        visible = [u for u in snapshot if self._visible(u)] if spec.riders else []
        self._shown = {u.rider_id: (u.latitude, u.longitude) for u in visible}
        self._sequence += 1
        self._snapshot = Frame(self._sequence, True, visible)
        self._wake.set()

    def fail(self, error: Exception) -> None:
        """Ends the view with ``error``: it takes nothing more, drops what it buffered, and its
        frames end with the error at the consumer's next turn. (A consumer blocked handing a
        frame to a client that stopped reading gets its turn when the client reads again; a
        gRPC server cannot end a call whose client reads nothing, but the view costs nothing
        meanwhile.)"""
        self._failure = error
        self._buffer.take(0)
        self._snapshot = None
        self._wake.set()

    def stalled(self, now: float) -> bool:
        """Frames are waiting and the viewer has taken none for ``stall_s``."""
        waiting = self._snapshot is not None or len(self._buffer) > 0
        return waiting and now - self._last_take > self._settings.stall_s

    async def frames(self) -> AsyncIterator[Frame]:
        """The snapshot, then a frame of deltas every interval (none when nothing changed)."""
        interval = self._settings.interval_s
        next_at = time.monotonic() + interval
        while True:
            if self._failure is not None:
                raise self._failure
            if self._snapshot is not None:
                frame, self._snapshot = self._snapshot, None
                self._wake.clear()
                next_at = time.monotonic() + interval
                yield frame
                self._last_take = time.monotonic()
                continue
            delay = next_at - time.monotonic()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            next_at += interval
            if next_at < time.monotonic():  # fell behind (a slow consumer): no catch-up burst
                next_at = time.monotonic() + interval
            self._last_take = time.monotonic()
            if len(self._buffer) > 0:
                self._sequence += 1
                yield self._buffer.take(self._sequence)
                self._last_take = time.monotonic()
