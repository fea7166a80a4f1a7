"""ETAs people see (TrackTask, live views, delay warnings): asked of the distance provider
asynchronously, waited for a bounded time, and labelled with their source.

- A road answer is waited for at most ``budget_s``; past that, the straight line answers now,
  labelled ``straight_line_fallback``, while the road question goes on in the background and its
  answer serves the next estimate. The event loop never blocks on the network.
- A rider moving towards a destination asks a new question every few metres (the provider's
  cache is per pair of points, rounded to a metre). So the last road answer per destination is
  kept for ``refresh_s``: while the rider is within ``refresh_m`` of where it was asked, it is
  scaled by the ratio of straight-line distances (labelled ``road_cached``) instead of asking
  again: one road question per tracked destination per ``refresh_s`` at most, whatever the
  ping rate and however many viewers and trackers follow it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cachetools import TTLCache

from logistics.domain.clock import Clock
from logistics.domain.eta import Eta, EtaSource, Travel
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantSlug
from logistics.domain.telemetry import haversine_m
from logistics.geo.distance import DistanceProvider, Point, StraightLine

logger = logging.getLogger(__name__)

_Key = tuple[int, int, VehicleType | None]


@dataclass(frozen=True, slots=True)
class _Asked:
    origin: Point
    travel: Travel


def _key(destination: Point, vehicle: VehicleType | None) -> _Key:
    return (round(destination[0] * 1e5), round(destination[1] * 1e5), vehicle)


class Spread(Protocol):
    """Calibration (``services.eta_calibration.EtaCalibration``): the p50 and p90 seconds of a
    leg the provider puts at ``raw_s``, or None before the tenant has observations."""

    def spread(
        self, tenant: TenantSlug, raw_s: float, origin: Point, at: datetime
    ) -> tuple[float, float] | None: ...


class Estimator:
    def __init__(
        self,
        distances: DistanceProvider,
        clock: Clock,
        *,
        budget_s: float = 0.5,
        refresh_s: float = 15.0,
        refresh_m: float = 250.0,
        memo_size: int = 50_000,
        line: StraightLine | None = None,
        spread: Spread | None = None,
    ) -> None:
        self._distances = distances
        self._spread = spread
        self._clock = clock
        self._budget_s = budget_s
        self._refresh_m = refresh_m
        self._line = line or StraightLine()
        self._memo: TTLCache[_Key, _Asked] = TTLCache(memo_size, refresh_s, timer=time.monotonic)
        self._asking: dict[tuple[Point, _Key], asyncio.Task[Travel]] = {}

    async def eta(
        self,
        origin: Point,
        destination: Point,
        vehicle: VehicleType | None = None,
        tenant: TenantSlug | None = None,
    ) -> Eta:
        """When a rider at ``origin`` is expected at ``destination``; with ``tenant``, the p50
        and p90 its calibration gives (docs/etas.md), once it has learnt any."""
        now = self._clock.now()
        eta = Eta.of(now, await self.travel(origin, destination, vehicle))
        if tenant is None or self._spread is None:
            return eta
        spread = self._spread.spread(tenant, eta.travel_s, origin, now)
        if spread is None:
            return eta
        p50_s, p90_s = spread
        return dataclasses.replace(
            eta, p50=now + timedelta(seconds=p50_s), p90=now + timedelta(seconds=p90_s)
        )

    async def travel(
        self, origin: Point, destination: Point, vehicle: VehicleType | None = None
    ) -> Travel:
        key = _key(destination, vehicle)
        asked = self._memo.get(key)
        if asked is not None and haversine_m(*asked.origin, *origin) <= self._refresh_m:
            return self._scaled(asked, origin, destination)
        question = (origin, key)
        pending = self._asking.get(question)
        if pending is None:
            pending = asyncio.get_running_loop().create_task(
                self._ask(origin, destination, vehicle)
            )
            self._asking[question] = pending
            pending.add_done_callback(lambda _: self._asking.pop(question, None))
        with contextlib.suppress(TimeoutError):
            # Shielded: a question past the budget goes on and serves the next estimate.
            return await asyncio.wait_for(asyncio.shield(pending), self._budget_s)
        return self._line.line(origin, destination, vehicle, EtaSource.STRAIGHT_LINE_FALLBACK)

    async def _ask(self, origin: Point, destination: Point, vehicle: VehicleType | None) -> Travel:
        try:
            [travel] = await self._distances.journeys([origin], destination, [vehicle])
        except Exception:
            logger.exception("the distance provider failed; the straight line stands in")
            return self._line.line(origin, destination, vehicle, EtaSource.STRAIGHT_LINE_FALLBACK)
        if travel.source.by_road:
            self._memo[_key(destination, vehicle)] = _Asked(origin, travel)
        return travel

    def _scaled(self, asked: _Asked, origin: Point, destination: Point) -> Travel:
        then = haversine_m(*asked.origin, *destination)
        now = haversine_m(*origin, *destination)
        ratio = now / then if then > 1.0 else 1.0
        travel = asked.travel
        return Travel(travel.metres * ratio, travel.seconds * ratio, EtaSource.ROAD_CACHED)
