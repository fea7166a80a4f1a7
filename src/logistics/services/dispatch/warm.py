"""Road answers for a batch plan, asked before the plan runs: the planner works in a thread
with the provider's synchronous ``travel``, which answers by road only for a pair it already
knows (else the straight line). So each job's single-task legs are asked first, asynchronously,
one ``travel_to`` per leg: the job's pickup from the riders nearest it (the candidates the
planner considers for it alone) and each step to the next. Bundled tours' legs between two
jobs' stops are left to what the cache holds (docs/etas.md, "Not yet")."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from itertools import pairwise

from logistics.domain.batching import Courier, Job, nearest_couriers
from logistics.geo.distance import DistanceProvider

CONCURRENCY = 8


async def warm_travel(
    distances: DistanceProvider,
    couriers: Sequence[Courier],
    jobs: Sequence[Job],
    *,
    riders_per_task: int,
) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def legs(job: Job) -> None:
        async with gate:
            nearest = [couriers[c] for c in nearest_couriers(couriers, job.pickup)]
            nearest = nearest[:riders_per_task]
            if nearest:
                await distances.travel_to(
                    [c.position for c in nearest], job.pickup, [c.vehicle for c in nearest]
                )
            for a, b in pairwise(job.stops):
                await distances.travel_to([a], b, [None])

    await asyncio.gather(*(legs(job) for job in jobs))
