"""A simulation run: connects to the service's gRPC listener, seeds the demo tenant, then
rides every rider and places the city's orders until stopped (or for a set duration)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc

from logistics.sim.client import Api, Minter, bearer
from logistics.sim.demand import SimClock
from logistics.sim.ordering import OrderingService
from logistics.sim.orders import orders
from logistics.sim.rider import RiderOptions, SimRider
from logistics.sim.roads import router
from logistics.sim.seed import seed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimConfig:
    tenant: str = "demo"
    riders: int = 20
    orders_per_hour: float = 60.0
    seed: int = 1
    # Simulated time (for the day curve) runs this many times faster than the wall clock,
    # from ``start_hour`` (local hour of the day; None: now).
    time_scale: float = 1.0
    start_hour: float | None = None
    duration_s: float | None = None
    osrm_url: str | None = None
    rider: RiderOptions = field(default_factory=RiderOptions)


def sim_clock(config: SimConfig, now: datetime) -> SimClock:
    if config.start_hour is None:
        return SimClock(now, config.time_scale)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return SimClock(midnight + timedelta(hours=config.start_hour), config.time_scale)


class Simulation:
    def __init__(self, target: str, mint: Minter, config: SimConfig) -> None:
        self.config = config
        self._target = target
        self._mint = mint
        self.riders: list[SimRider] = []
        self.ordering: OrderingService | None = None
        self.codes: dict[str, str] = {}
        # Set at the first batch any rider has acknowledged, and at the first order.
        self.streaming = asyncio.Event()
        self.ordered = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Seeds, then rides and orders until ``stop`` or the configured duration passes."""
        config = self.config
        async with grpc.aio.insecure_channel(self._target) as channel:
            admin = Api(channel, config.tenant, bearer(self._mint(None)))
            seeded = await seed(admin, config.riders)
            roads = router(config.osrm_url)
            self.riders = [
                SimRider(
                    admin.as_token(self._mint(r.id)),
                    r,
                    random.Random(f"{config.seed}-rider-{r.spec.index}"),
                    roads,
                    self.codes,
                    config.rider,
                    streaming=self.streaming,
                )
                for r in seeded
            ]
            run_id = f"{config.seed}-{int(time.time())}"
            self.ordering = OrderingService(admin, run_id, self.codes)
            self.ordering.placed = self.ordered
            clock = sim_clock(config, datetime.now(UTC))
            logger.info(
                "simulation started",
                extra={
                    "riders": len(self.riders),
                    "orders_per_hour": config.orders_per_hour,
                    "sim_start": clock.start.isoformat(),
                    "time_scale": config.time_scale,
                },
            )
            jobs = [asyncio.create_task(r.run(stop)) for r in self.riders]
            jobs.append(
                asyncio.create_task(
                    self.ordering.run(orders(config.seed, config.orders_per_hour, clock), stop)
                )
            )
            timer = None
            if config.duration_s is not None:
                timer = asyncio.get_running_loop().call_later(config.duration_s, stop.set)
            try:
                await asyncio.gather(*jobs)
            finally:
                if timer is not None:
                    timer.cancel()
                for job in jobs:
                    job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*jobs, return_exceptions=True)
                await roads.close()
            logger.info("simulation ended", extra=self.summary())

    def summary(self) -> dict[str, int]:
        totals = {"riders": len(self.riders)}
        for rider in self.riders:
            for key, value in vars(rider.stats).items():
                totals[key] = totals.get(key, 0) + value
        if self.ordering is not None:
            stats = self.ordering.stats
            totals |= {
                "orders": stats.created,
                "auto_assigned": stats.assigned,
                "manual_dispatch": stats.manual,
                "orders_failed": stats.failed,
            }
        return totals
