"""What live views are built on: the bus they fan out through, the live index they start
from, where zone shapes come from, and their settings. (Plain Python types: the NATS and
protobuf side is ``events.live_bus``.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from logistics.domain.ids import TenantSlug
from logistics.domain.live import RiderUpdate
from logistics.domain.shapes import Shape
from logistics.geo.live_values import LivePosition

RiderHandler = Callable[[list[RiderUpdate], list[str]], None]
EventHandler = Callable[[str, str, dict[str, Any]], None]
Unsubscribe = Callable[[], Awaitable[None]]


class RiderSink(Protocol):
    """Whatever takes the rider updates of a cell: a view, or one task's tracker."""

    def offer_riders(self, updates: list[RiderUpdate], removals: list[str]) -> None: ...


class LiveBus(Protocol):
    async def publish_riders(
        self, tenant: str, cell: str, updates: list[RiderUpdate], removals: list[str]
    ) -> None: ...

    async def subscribe_cell(
        self, tenant: str, cell: str, handler: RiderHandler
    ) -> Unsubscribe: ...

    async def subscribe_events(
        self,
        families: Iterable[str],
        handler: EventHandler,
        interested: Callable[[str], bool] | None = None,
    ) -> Unsubscribe: ...


@dataclass(frozen=True)
class LiveSettings:
    cell_resolution: int = 6
    interval_s: float = 0.5
    stall_s: float = 10.0
    max_riders: int = 20_000
    publish_delay_s: float = 0.02


class ZoneShapes(Protocol):
    async def zone_shape(self, tenant: TenantSlug, zone_id: str) -> Shape | None: ...


class LiveRiders(Protocol):
    """The live index as a view's first frame reads it (``geo.live_index.LiveIndex``); a Redis
    failure is ``Unavailable``."""

    @property
    def resolution(self) -> int: ...

    async def riders_in_cells(
        self, tenant: str, cells: Iterable[str], now: datetime
    ) -> list[LivePosition]: ...

    async def fleets(self, tenant: str, rider_ids: Sequence[str]) -> dict[str, str]: ...
