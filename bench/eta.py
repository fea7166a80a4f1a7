"""Calibrated ETAs against the distance provider's raw ones, over replayed simulated days.

The simulator's city (``sim/replay.py``: its orders under the day curve, its riders' vehicle
mix and pace, the hidden speed field of ``sim/traffic.py`` that varies by area and hour) is
replayed at full speed for D days. Each day, every leg is first predicted, raw (the straight
line the service uses without OSRM) and calibrated (``EtaCalibration.calibrate`` with the model
as it stood at the end of the day before), then recorded through the service's own repository
into PostgreSQL as riders' arrivals record it, with its stops; at the end of the day the model
is refreshed as the service refreshes it (legs predicted, the window read, the fit). After a
warm-up of W days, reports the mean absolute error of raw and calibrated ETAs (p50), their
ratio, and how often the arrival came before the p90 (and the p50). Targets: ratio at most
0.5, p90 coverage 0.88-0.92. The last line is one JSON object.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    .venv/bin/python bench/eta.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _common import fresh_database, in_work_dir, own_cpu_seconds, servers

from logistics.domain.eta_observations import Leg, LegStart, StopTime
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import TenantSlug
from logistics.geo.distance import StraightLine
from logistics.services.eta_calibration import EtaCalibration, EtaSettings, at_hour
from logistics.sim import replay
from logistics.store.db import Database
from logistics.store.unit_of_work import Store

TENANT = TenantSlug("bench-eta")
FIRST_DAY = datetime(2026, 10, 5, tzinfo=replay.NAIROBI)  # a Monday
STEP_KINDS = {"pickup": "pickup", "dropoff": "drop_off"}


@dataclass
class ReplayClock:
    """The service's clock during the replay: the end of the day just recorded."""

    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass
class Scores:
    raw_error_s: float = 0.0
    calibrated_error_s: float = 0.0
    under_p90: int = 0
    under_p50: int = 0
    legs: int = 0
    stops: int = 0
    stops_under_p90: int = 0

    def as_dict(self) -> dict[str, Any]:
        n = max(self.legs, 1)
        raw, calibrated = self.raw_error_s / n, self.calibrated_error_s / n
        return {
            "legs": self.legs,
            "mae_raw_s": round(raw, 1),
            "mae_calibrated_s": round(calibrated, 1),
            "ratio": round(calibrated / raw, 3) if raw else None,
            "p90_coverage": round(self.under_p90 / n, 3),
            "p50_coverage": round(self.under_p50 / n, 3),
            "stops": self.stops,
            "service_p90_coverage": round(self.stops_under_p90 / max(self.stops, 1), 3),
        }


def _score(
    calibration: EtaCalibration, day: replay.Day, line: StraightLine, scores: Scores
) -> None:
    for leg in day.legs:
        origin = (leg.origin.lat, leg.origin.lng)
        raw = line.travel(
            *origin, leg.destination.lat, leg.destination.lng, VehicleType(leg.vehicle)
        )[1]
        p50, p90 = calibration.calibrate(TENANT, raw, origin, at_hour(leg.start))
        scores.legs += 1
        scores.raw_error_s += abs(raw - leg.actual_s)
        scores.calibrated_error_s += abs(p50 - leg.actual_s)
        scores.under_p90 += leg.actual_s <= p90
        scores.under_p50 += leg.actual_s <= p50
    for stop in day.stops:
        where = (stop.where.lat, stop.where.lng)
        answer = calibration.service_time(
            TENANT, STEP_KINDS[stop.kind], where, at_hour(stop.arrive)
        )
        if answer is not None:
            scores.stops += 1
            scores.stops_under_p90 += stop.seconds <= answer[1]


async def _record(store: Store, day: replay.Day) -> None:
    """The day's legs and stops, as arrivals and completions record them."""
    async with store.write(TENANT) as uow:
        for leg, stop in zip(day.legs, day.stops, strict=True):
            task = uuid.uuid4()
            kind = STEP_KINDS[stop.kind]
            start = LegStart(leg.start, (leg.origin.lat, leg.origin.lng))
            destination = (leg.destination.lat, leg.destination.lng)
            await uow.eta_observations.add_leg(
                task, Leg("0", kind, start, destination, leg.actual_s), leg.vehicle
            )
            await uow.eta_observations.add_stop(
                task, StopTime("0", kind, destination, stop.arrive, stop.seconds)
            )


async def replay_days(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = await Database.connect(database_url, role="logistics_app", min_size=1, max_size=4)
    store = Store(db)
    clock = ReplayClock(FIRST_DAY)
    settings = EtaSettings(refresh_s=1e12, predict_batch=10_000)
    calibration = EtaCalibration(store, StraightLine(), clock, settings)
    line = StraightLine()
    scores, warmup = Scores(), Scores()
    refresh_s: list[float] = []
    refresh_cpu: list[float] = []
    window_rows = 0
    try:
        await calibration.refresh(TENANT)
        for i, day in enumerate(replay.days(args.seed, FIRST_DAY, args.days, args.orders_per_hour)):
            _score(calibration, day, line, scores if i >= args.warmup else warmup)
            await _record(store, day)
            clock.at = FIRST_DAY + timedelta(days=i + 1)
            wall, cpu = time.perf_counter(), own_cpu_seconds()
            model = await calibration.refresh(TENANT)
            refresh_s.append(time.perf_counter() - wall)
            refresh_cpu.append(own_cpu_seconds() - cpu)
            window_rows = model.travel.count + sum(m.count for m in model.service.values())
            print(f"day {i + 1}: {len(day.legs)} legs, refresh {refresh_s[-1]:.2f} s", flush=True)
    finally:
        await calibration.aclose()
        await db.close()
    result = scores.as_dict()
    ratio, coverage = result["ratio"], result["p90_coverage"]
    return {
        "benchmark": "eta",
        "days": args.days,
        "warmup_days": args.warmup,
        "orders_per_hour": args.orders_per_hour,
        "seed": args.seed,
        **result,
        "warmup": warmup.as_dict(),
        "target_ratio": 0.5,
        "target_p90_coverage": [0.88, 0.92],
        "met": ratio is not None and ratio <= 0.5 and 0.88 <= coverage <= 0.92,
        "last_refresh_rows": window_rows,
        "last_refresh_s": round(refresh_s[-1], 3),
        "last_refresh_cpu_s": round(refresh_cpu[-1], 3),
        "refresh_cpu_ms_per_1k_rows": round(1000 * refresh_cpu[-1] / max(window_rows, 1) * 1000, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async def measure(work: Path) -> dict[str, Any]:
        async with servers(work) as urls, fresh_database(urls.database_url, "bench_eta") as url:
            return await replay_days(url, args)

    return await in_work_dir("bench-eta-", measure)


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=28)
    p.add_argument("--warmup", type=int, default=7, help="days recorded but not scored")
    p.add_argument("--orders-per-hour", type=float, default=25.0, help="mean over a day")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="10 days, 3 of warm-up")
    args = p.parse_args()
    if args.quick:
        args.days, args.warmup = 10, 3
    return args


if __name__ == "__main__":
    outcome = asyncio.run(main(_parse()))
    print(json.dumps(outcome))
