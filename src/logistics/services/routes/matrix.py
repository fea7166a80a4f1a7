"""Travel tables for route plans, cached: a recurring plan or a re-plan of the same stops asks
the distance provider (maybe OSRM over the network) once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cachetools import LRUCache

from logistics.domain.fleet import VehicleType
from logistics.geo.distance import DistanceProvider, Point, StraightLine, Table


def _compute(provider: StraightLine, points: list[Point], vehicle: VehicleType | None) -> Table:
    return asyncio.run(provider.table(points, vehicle))


class MatrixCache:
    """The last ``size`` tables, keyed by their points (in order) and vehicle type."""

    def __init__(self, provider: DistanceProvider, size: int = 64) -> None:
        self._provider = provider
        self._tables: LRUCache[tuple[tuple[Point, ...], VehicleType | None], Table] = LRUCache(size)
        self.hits = 0

    async def table(self, points: Sequence[Point], vehicle: VehicleType | None) -> Table:
        key = (tuple(points), vehicle)
        found = self._tables.get(key)
        if found is not None:
            self.hits += 1
            return found
        if isinstance(self._provider, StraightLine):
            # Pure computation (a few seconds for thousands of points): not on the loop.
            table = await asyncio.to_thread(_compute, self._provider, list(points), vehicle)
        else:
            table = await self._provider.table(points, vehicle)
        self._tables[key] = table
        return table
