"""A tenant's calibrated ETAs: ``calibrate`` turns the distance provider's travel time into a
median and a 90th percentile, ``service_time`` says how long a stop takes, both from the model
this process holds for the tenant.

The model is refitted per tenant at most every ``refresh_s``, in the background: a call never
waits for a fit or a query (before the first fit it gets the prior: the raw time as p50 and
half as much again as p90). A refresh gives the legs recorded since the last one their
predicted time (the provider's travel time for the leg, the quantity ``calibrate`` scales),
reads the newest observations within ``window_days`` (at most ``max_rows`` per kind: the bound
that makes exact quantiles affordable, see ``domain.eta_calibration``), fits in a worker
thread, and deletes what is older than ``keep_days``. Each replica fits its own copy.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from logistics.domain.clock import Clock
from logistics.domain.eta_calibration import (
    Calibration,
    Sample,
    Shrinkage,
    fit,
    hour_of_week,
    service_sample,
    travel_sample,
)
from logistics.domain.eta_observations import Observed, Unpredicted
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantSlug
from logistics.geo.distance import DistanceProvider
from logistics.geo.eta_cells import area_of
from logistics.outages import OutageLog
from logistics.store.unit_of_work import Store

__all__ = ["EtaCalibration", "EtaSettings", "at_hour", "fit_calibration"]

logger = logging.getLogger(__name__)

Location = tuple[float, float]
# Service times have no natural prior: the tenant's own level is taken as it is.
SERVICE_SHRINKAGE = Shrinkage(level=0.0, prior_spread=(0.0, 0.7))


@dataclass(frozen=True)
class EtaSettings:
    refresh_s: float = 300.0
    window_days: int = 28
    max_rows: int = 50_000
    keep_days: int = 56
    predict_batch: int = 2_000


def fit_calibration(travel: Sequence[Observed], service: Sequence[Observed]) -> Calibration:
    """The model of a window of observations (CPU-bound: run it in a thread)."""
    legs = [
        travel_sample(o.cell, o.parent, at_hour(o.start), o.predicted_s or 0.0, o.seconds)
        for o in travel
    ]
    stops: dict[str, list[Sample]] = defaultdict(list)
    for o in service:
        stops[o.step_kind].append(service_sample(o.cell, o.parent, at_hour(o.start), o.seconds))
    return Calibration(
        travel=fit(s for s in legs if s is not None),
        service={kind: fit(samples, SERVICE_SHRINKAGE) for kind, samples in stops.items()},
    )


class EtaCalibration:
    def __init__(
        self,
        store: Store,
        distances: DistanceProvider,
        clock: Clock,
        settings: EtaSettings | None = None,
    ) -> None:
        self._store = store
        self._distances = distances
        self._clock = clock
        self._settings = settings or EtaSettings()
        self._models: dict[TenantSlug, Calibration] = {}
        self._attempted: dict[TenantSlug, float] = {}
        self._refreshing: dict[TenantSlug, asyncio.Task[Calibration]] = {}
        self._outages = OutageLog()

    def calibrate(
        self, tenant: TenantSlug, raw_travel_s: float, origin: Location, how: int
    ) -> tuple[float, float]:
        """(p50, p90) seconds of a leg from ``origin`` that the distance provider puts at
        ``raw_travel_s``, starting in hour of week ``how`` (UTC, ``hour_of_week``)."""
        cell, parent = area_of(*origin)
        return self.model(tenant).travel_seconds(raw_travel_s, cell, parent, how)

    def spread(
        self, tenant: TenantSlug, raw_s: float, origin: Location, at: datetime
    ) -> tuple[float, float] | None:
        """``calibrate`` for a leg starting at ``at`` (``services.etas.Spread``); None while
        the tenant's model has no legs (the ETA then stays the provider's, without a spread)."""
        if self.model(tenant).travel.count == 0:
            return None
        return self.calibrate(tenant, raw_s, origin, at_hour(at))

    def service_time(
        self, tenant: TenantSlug, step_kind: str, location: Location, how: int
    ) -> tuple[float, float] | None:
        """(p50, p90) seconds at a stop of ``step_kind`` (``pickup``, ``drop_off``, ``hub``);
        None before the tenant has any."""
        cell, parent = area_of(*location)
        return self.model(tenant).service_seconds(step_kind, cell, parent, how)

    def model(self, tenant: TenantSlug) -> Calibration:
        """The tenant's current model; a refit is started if it is due."""
        due = self._attempted.get(tenant, -1e18) + self._settings.refresh_s
        if time.monotonic() >= due and tenant not in self._refreshing:
            self._attempted[tenant] = time.monotonic()
            task = asyncio.get_running_loop().create_task(self.refresh(tenant))
            self._refreshing[tenant] = task
            task.add_done_callback(lambda t: self._refreshed(tenant, t))
        return self._models.get(tenant) or Calibration()

    def refitting(self, tenant: TenantSlug) -> bool:
        """A background refit of ``tenant``'s model is under way."""
        return tenant in self._refreshing

    def _refreshed(self, tenant: TenantSlug, task: asyncio.Task[Calibration]) -> None:
        self._refreshing.pop(tenant, None)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._outages.failed(logger, "calibrated ETAs keep their last model", error)

    async def refresh(self, tenant: TenantSlug) -> Calibration:
        """Predicts the new legs, refits the tenant's model from its window and keeps it."""
        s = self._settings
        self._attempted[tenant] = time.monotonic()
        now = self._clock.now()
        cutoff = now - timedelta(days=s.keep_days)
        async with self._store.read(tenant) as uow:
            waiting = await uow.eta_observations.unpredicted(s.predict_batch)
            oldest = await uow.eta_observations.oldest()
        predicted = await self._predict(waiting) if waiting else []
        # Only a tenant with observations is written to (a write registers a new tenant).
        if predicted or (oldest is not None and oldest < cutoff):
            async with self._store.write(tenant) as uow:
                await uow.eta_observations.set_predicted(predicted)
                await uow.eta_observations.forget_before(cutoff)
        since = now - timedelta(days=s.window_days)
        async with self._store.read(tenant) as uow:
            travel = await uow.eta_observations.window("travel", since, s.max_rows)
            service = await uow.eta_observations.window("service", since, s.max_rows)
        model = await asyncio.to_thread(fit_calibration, travel, service)
        self._models[tenant] = model
        return model

    async def _predict(self, legs: Sequence[Unpredicted]) -> list[tuple[uuid.UUID, str, float]]:
        """The provider's travel time of each leg, one request per destination; legs whose
        request fails wait for the next refresh."""
        by_destination: dict[Location, list[Unpredicted]] = defaultdict(list)
        for leg in legs:
            by_destination[leg.destination].append(leg)
        out: list[tuple[uuid.UUID, str, float]] = []
        for destination, group in by_destination.items():
            try:
                answers = await self._distances.travel_to(
                    [g.origin for g in group], destination, [_vehicle(g.vehicle) for g in group]
                )
            except Exception as exc:
                self._outages.failed(logger, "legs wait for their predicted travel time", exc)
                continue
            out.extend(
                (g.task_id, g.step_id, seconds)
                for g, (_, seconds) in zip(group, answers, strict=True)
            )
        return out

    async def aclose(self) -> None:
        """Stops the refits in flight."""
        for task in list(self._refreshing.values()):
            task.cancel()
        await asyncio.gather(*self._refreshing.values(), return_exceptions=True)


def _vehicle(value: str | None) -> VehicleType | None:
    try:
        return VehicleType(value) if value else None
    except ValueError:
        return None


def at_hour(at: datetime) -> int:
    """The hour of week ``calibrate`` takes for a leg starting at ``at``: in UTC, as the
    observations are bucketed."""
    return hour_of_week(at.astimezone(UTC))
