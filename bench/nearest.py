"""Nearest-riders benchmark: FindNearestRiders' index code (``geo.matcher.Matcher.nearest`` over
the live index) against a bare Redis GEOSEARCH on the same points, in the same Redis, through
the same redis-py asyncio client.

100,000 online riders (``--riders``) over a 30 x 30 km city centred on Nairobi, 20% of them
busy (``--busy``), written straight into the live-index keys in the format the Lua scripts use
(a format probe checks that against ``LiveIndex.ingest`` + ``set_profile`` first), and the same
positions GEOADDed into one separate geo key. Per query point (2,000 by default, after a
warm-up) the matcher finds the 10 nearest eligible riders within 3 km and GEOSEARCH the 10
nearest within 3 km with no eligibility filter; the two calls alternate which goes first. Every
matcher answer is checked against a brute force over the in-memory riders (the true 10 nearest
non-busy riders within 3 km by ``haversine_m``, ties by rider id): ``mismatches`` must be 0.
GEOSEARCH's answers are only compared for information (its 52-bit geohash positions and its
own Earth radius reorder near-ties).
An untimed second pass counts the script calls per query, the cells sent and read, and the
riders the scripts looked at. ``--layout clustered`` puts most riders (and queries) around hot
spots instead.

``ratio`` = matcher p99 / GEOSEARCH p99 (target <= 0.5). The last line printed is one JSON
object. Redis is ``LOGISTICS_REDIS_URL`` (else ``LOGISTICS_TEST_REDIS_URL``, else an embedded
one); the run uses its own tenant and deletes its keys at the end.

    LOGISTICS_REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/nearest.py
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import math
import os
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import h3
import numpy as np
import redis.asyncio as aioredis
from _common import percentile

from logistics.domain.telemetry import EARTH_RADIUS_M, Ping, epoch_us, haversine_m
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import Candidate, DispatchProfile, Need
from logistics.geo.matcher import Matcher

CENTRE = (-1.286, 36.817)
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
VEHICLES = ("motorbike", "motorbike", "motorbike", "bicycle", "car", "van")
CHUNK = 2000  # riders per pipeline


@dataclass(frozen=True)
class Rider:
    rider_id: str
    latitude: float
    longitude: float
    busy: bool
    cell: str
    vehicle: str


@asynccontextmanager
async def redis_url(work: Path) -> AsyncIterator[str]:
    url = os.environ.get("LOGISTICS_REDIS_URL") or os.environ.get("LOGISTICS_TEST_REDIS_URL")
    if url:
        yield url
        return
    from logistics.embedded import EmbeddedServers

    embedded = EmbeddedServers(work, need_postgres=False, need_redis=True, need_nats=False)
    urls = await embedded.start()
    try:
        yield str(urls.redis_url)
    finally:
        await embedded.stop()


# --- the city ----------------------------------------------------------------------------------


def _point(
    rnd: random.Random, size_m: float, spots: Sequence[tuple[float, float, float]]
) -> tuple[float, float]:
    """A point in the square city: uniform, or (clustered) 70% around a hot spot."""
    half = size_m / 2
    while True:
        if spots and rnd.random() < 0.7:
            x, y, sigma = rnd.choice(spots)
            north, east = rnd.gauss(y, sigma), rnd.gauss(x, sigma)
        else:
            north, east = rnd.uniform(-half, half), rnd.uniform(-half, half)
        if -half <= north <= half and -half <= east <= half:
            lat = CENTRE[0] + north / M_PER_DEG
            return lat, CENTRE[1] + east / (M_PER_DEG * math.cos(math.radians(CENTRE[0])))


def hot_spots(rnd: random.Random, size_m: float, layout: str) -> list[tuple[float, float, float]]:
    if layout != "clustered":
        return []
    half = size_m / 2 * 0.8
    return [
        (rnd.uniform(-half, half), rnd.uniform(-half, half), rnd.uniform(600, 2000))
        for _ in range(12)
    ]


def make_riders(
    args: argparse.Namespace, rnd: random.Random, spots: Sequence[tuple[float, float, float]]
) -> list[Rider]:
    riders = []
    for i in range(args.riders):
        lat, lng = _point(rnd, args.size_km * 1000, spots)
        riders.append(
            Rider(
                f"r{i:06d}",
                lat,
                lng,
                rnd.random() < args.busy,
                str(h3.latlng_to_cell(lat, lng, args.resolution)),
                rnd.choice(VEHICLES),
            )
        )
    return riders


# --- loading -----------------------------------------------------------------------------------


def rider_hash(rider: Rider, now_ms: int, idle_ms: int) -> dict[Any, str | int | float]:
    """The rider hash as ``scripts.INGEST`` and ``LiveIndex.set_profile`` leave it (the fields
    matching reads, with the Python types redis-py encodes the same way)."""
    return {
        "lat": repr(rider.latitude),
        "lng": repr(rider.longitude),
        "ts": now_ms,
        "seen": now_ms,
        "status": "online",
        "cell": rider.cell,
        "vt": rider.vehicle,
        "cw": 20.0,
        "cv": 40.0,
        "ci": 0,
        "fleet": "",
        "zone": "",
        "eu": now_ms + 3_600_000,
        "busy": 1 if rider.busy else 0,
        "load": 1 if rider.busy else 0,
        "idle": idle_ms,
        "rt": 4.5,
    }


async def write_riders(
    client: aioredis.Redis, prefix: str, riders: Sequence[Rider], now_ms: int, geo_key: str | None
) -> None:
    by_cell: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for start in range(0, len(riders), CHUNK):
        chunk = riders[start : start + CHUNK]
        async with client.pipeline(transaction=False) as pipe:
            for rider in chunk:
                pipe.hset(f"{prefix}r:{rider.rider_id}", mapping=rider_hash(rider, now_ms, 0))
                by_cell[rider.cell][rider.rider_id] = now_ms
            pipe.zadd(f"{prefix}seen", {r.rider_id: now_ms for r in chunk})
            if geo_key is not None:
                values: list[Any] = []
                for r in chunk:
                    values.extend((r.longitude, r.latitude, r.rider_id))
                pipe.geoadd(geo_key, values)
            await pipe.execute()
    cells = list(by_cell.items())
    for start in range(0, len(cells), CHUNK):
        async with client.pipeline(transaction=False) as pipe:
            for cell, members in cells[start : start + CHUNK]:
                pipe.zadd(f"{prefix}c:{cell}", members)
            await pipe.execute()


async def check_format(client: aioredis.Redis, resolution: int) -> None:
    """The direct writer must leave what the service's own calls leave: one rider through
    ``LiveIndex.ingest`` + ``set_profile`` in one tenant, the same rider written directly in
    another, compared field by field (and its cell set)."""
    via_api, direct = f"bench-probe-{uuid.uuid4().hex[:8]}", f"bench-probe-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    now_ms = int(now.timestamp() * 1000)
    lat, lng = CENTRE[0] + 0.0012345, CENTRE[1] - 0.0054321
    rider = Rider("probe", lat, lng, True, str(h3.latlng_to_cell(lat, lng, resolution)), "car")
    index = LiveIndex(client, resolution=resolution)
    try:
        await index.ingest(via_api, "probe", [Ping(1, epoch_us(now), lat, lng, 5.0)], {1}, now, 0)
        await index.set_profile(
            via_api,
            "probe",
            DispatchProfile(
                "car", 20.0, 40.0, 0, None, None, now + timedelta(hours=1), True, 1, 4.5
            ),
        )
        await write_riders(client, index.prefix(direct), [rider], now_ms, None)
        got = {
            _s(k): _s(v)
            for k, v in (await client.hgetall(f"{index.prefix(direct)}r:probe")).items()
        }
        want = {
            _s(k): _s(v)
            for k, v in (await client.hgetall(f"{index.prefix(via_api)}r:probe")).items()
        }
        differ = {k: (got[k], want.get(k)) for k in got if k != "idle" and got[k] != want.get(k)}
        if differ:
            raise SystemExit(f"direct writes differ from LiveIndex's: {differ}")
        for tenant in (via_api, direct):
            score = await client.zscore(f"{index.prefix(tenant)}c:{rider.cell}", "probe")
            if (
                score != now_ms
                or await client.zscore(f"{index.prefix(tenant)}seen", "probe") != now_ms
            ):
                raise SystemExit(f"cell/seen sets differ in {tenant}")
    finally:
        for tenant in (via_api, direct):
            keys = [k async for k in client.scan_iter(match=f"{index.prefix(tenant)}*")]
            if keys:
                await client.unlink(*keys)


async def delete_keys(
    client: aioredis.Redis, prefix: str, riders: Sequence[Rider], geo: str
) -> None:
    keys = [f"{prefix}r:{r.rider_id}" for r in riders]
    keys += [f"{prefix}c:{c}" for c in {r.cell for r in riders}]
    keys += [f"{prefix}seen", geo]
    for start in range(0, len(keys), 5000):
        await client.unlink(*keys[start : start + 5000])


def _s(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- truth -------------------------------------------------------------------------------------


class BruteForce:
    """The true nearest riders by ``haversine_m``: numpy narrows the field (with a margin far
    above its rounding), the exact distances of the survivors decide."""

    def __init__(self, riders: Sequence[Rider]) -> None:
        self.riders = riders
        self.lat = np.radians(np.array([r.latitude for r in riders]))
        self.lng = np.radians(np.array([r.longitude for r in riders]))
        self.free = np.array([not r.busy for r in riders])

    def nearest(
        self, lat: float, lng: float, count: int, radius_m: float, eligible_only: bool
    ) -> list[tuple[float, str]]:
        p, lam = math.radians(lat), math.radians(lng)
        h = (
            np.sin((self.lat - p) / 2) ** 2
            + math.cos(p) * np.cos(self.lat) * np.sin((self.lng - lam) / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        mask = d <= radius_m + 0.01
        if eligible_only:
            mask &= self.free
        near = np.flatnonzero(mask)
        if len(near) > count:
            kth = np.partition(d[near], count - 1)[count - 1]
            near = near[d[near] <= kth + 0.01]
        exact = []
        for i in near:
            r = self.riders[int(i)]
            distance = haversine_m(lat, lng, r.latitude, r.longitude)
            if distance <= radius_m:
                exact.append((distance, r.rider_id))
        return sorted(exact)[:count]


# --- instrumentation (an untimed pass) ---------------------------------------------------------


class _CountingScript:
    def __init__(self, script: Any, log: list[tuple[int, list[str], int]]) -> None:
        self._script = script
        self._log = log

    async def __call__(self, keys: Any, args: list[Any]) -> Any:
        reply = await self._script(keys=keys, args=args)
        lat, lng, count, radius = float(args[9]), float(args[10]), int(args[11]), float(args[12])
        tokens, outside = str(args[13]).split(), float(args[14])
        lines = _s(reply).split("\n")
        # The script reads cells nearest first until nothing unread can be nearer than the
        # count-th available rider (or the radius): the cells it read, from its answer.
        stop = radius + 0.5
        if lines[0] == "1" and len(lines) > count:
            f = lines[count].split("|")
            stop = min(stop, haversine_m(lat, lng, float(f[1]), float(f[2])) + 0.5)
        elif lines[0] != "1":
            stop = math.inf
        read = [
            tokens[i] for i in range(0, len(tokens), 2) if min(float(tokens[i + 1]), outside) < stop
        ]
        self._log.append((len(tokens) // 2, read, len(lines) - 1))
        return reply


class _CountingClient:
    """A redis client whose scripts log, per call, the cells sent, the cells read and the
    riders returned."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self.log: list[tuple[int, list[str], int]] = []

    def register_script(self, source: str) -> _CountingScript:
        return _CountingScript(self._client.register_script(source), self.log)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


# --- the run -----------------------------------------------------------------------------------


def _commandstats(info: dict[str, Any]) -> dict[str, tuple[int, int]]:
    out = {}
    for name in ("evalsha", "geosearch"):
        stat = info.get(f"cmdstat_{name}") or {}
        out[name] = (int(stat.get("calls", 0)), int(stat.get("usec", 0)))
    return out


async def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    rnd = random.Random(args.seed)
    spots = hot_spots(rnd, args.size_km * 1000, args.layout)
    riders = make_riders(args, rnd, spots)
    queries = [_point(rnd, args.size_km * 1000, spots) for _ in range(args.warmup + args.queries)]
    warm, timed = queries[: args.warmup], queries[args.warmup :]

    client = aioredis.from_url(url)
    tenant = f"bench-nearest-{uuid.uuid4().hex[:10]}"
    index = LiveIndex(client, resolution=args.resolution, stale_after_s=60)
    prefix = index.prefix(tenant)
    geo = f"{prefix}bench:geo"
    now = datetime.now(UTC).replace(microsecond=0)
    need, count, radius = Need(), args.count, args.radius_m
    try:
        await check_format(client, args.resolution)
        started = time.perf_counter()
        await write_riders(client, prefix, riders, int(now.timestamp() * 1000), geo)
        load_s = time.perf_counter() - started
        cells = collections.Counter(r.cell for r in riders)
        log(
            f"{len(riders)} riders ({sum(r.busy for r in riders)} busy, {len(cells)} cells, "
            f"layout {args.layout}) written in {load_s:.1f} s to {url} as tenant {tenant}"
        )
        matcher = Matcher(index)

        async def ours(lat: float, lng: float) -> list[Candidate]:
            return await matcher.nearest(
                tenant, lat, lng, count=count, radius_m=radius, need=need, now=now
            )

        async def geosearch(lat: float, lng: float) -> list[Any]:
            return await client.geosearch(
                geo, longitude=lng, latitude=lat, radius=radius, unit="m", sort="ASC", count=count
            )

        for lat, lng in warm:
            await ours(lat, lng)
            await geosearch(lat, lng)

        load_before = os.getloadavg()
        stats_before = _commandstats(await client.info("commandstats"))
        ours_ms: list[float] = []
        geo_ms: list[float] = []
        answers: list[list[Candidate]] = []
        geo_answers: list[list[str]] = []
        profiler = cProfile.Profile() if args.profile else None
        for i, (lat, lng) in enumerate(timed):
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                if which == 0:
                    if profiler:
                        profiler.enable()
                    t = time.perf_counter_ns()
                    answer = await ours(lat, lng)
                    ours_ms.append((time.perf_counter_ns() - t) / 1e6)
                    if profiler:
                        profiler.disable()
                    answers.append(answer)
                else:
                    t = time.perf_counter_ns()
                    found = await geosearch(lat, lng)
                    geo_ms.append((time.perf_counter_ns() - t) / 1e6)
                    geo_answers.append([_s(m) for m in found])
        stats_after = _commandstats(await client.info("commandstats"))
        load_after = os.getloadavg()

        # Exactness, on every timed answer.
        truth = BruteForce(riders)
        mismatches, geo_disagree = 0, 0
        examples: list[dict[str, Any]] = []
        for (lat, lng), answer, geo_answer in zip(timed, answers, geo_answers, strict=True):
            want = truth.nearest(lat, lng, count, radius, eligible_only=True)
            got = [(c.distance_m, c.rider_id) for c in answer]
            if [r for _, r in got] != [r for _, r in want] or any(
                abs(a - b) > 1e-6 for (a, _), (b, _) in zip(got, want, strict=True)
            ):
                mismatches += 1
                if len(examples) < 3:
                    examples.append({"point": (lat, lng), "got": got, "want": want})
            anyone = [r for _, r in truth.nearest(lat, lng, count, radius, eligible_only=False)]
            geo_disagree += geo_answer != anyone

        # Rings and riders looked at, in a second (untimed) pass through a counting client.
        counting = _CountingClient(client)
        counted = Matcher(LiveIndex(counting, resolution=args.resolution))  # type: ignore[arg-type]
        calls, scanned, returned, cells_asked, cells_read = [], [], [], [], []
        for lat, lng in timed:
            counting.log.clear()
            await counted.nearest(
                tenant, lat, lng, count=count, radius_m=radius, need=need, now=now
            )
            calls.append(len(counting.log))
            read = [c for _, call, _ in counting.log for c in call]
            cells_asked.append(sum(n for n, _, _ in counting.log))
            cells_read.append(len(read))
            scanned.append(sum(cells[c] for c in read))
            returned.append(sum(n for _, _, n in counting.log))
        in_radius = [
            len(truth.nearest(lat, lng, 10**9, radius, eligible_only=False))
            for lat, lng in timed[:200]
        ]
    finally:
        await delete_keys(client, prefix, riders, geo)
        await client.aclose()

    def server_us(name: str) -> float:
        calls = stats_after[name][0] - stats_before[name][0]
        return (stats_after[name][1] - stats_before[name][1]) / calls if calls else float("nan")

    call_hist = dict(sorted(collections.Counter(calls).items()))
    found_sizes = collections.Counter(len(a) for a in answers)
    p = percentile
    log(f"load average before/after the timed loop: {load_before} / {load_after}")
    log(
        f"matcher   p50 {p(ours_ms, 50):.3f} ms  p90 {p(ours_ms, 90):.3f}  p99 {p(ours_ms, 99):.3f}"
    )
    log(f"geosearch p50 {p(geo_ms, 50):.3f} ms  p90 {p(geo_ms, 90):.3f}  p99 {p(geo_ms, 99):.3f}")
    log(
        f"server time per call (INFO commandstats, whole server): script calls "
        f"{server_us('evalsha'):.0f} us (x {sum(calls) / len(calls):.2f} per query), "
        f"geosearch {server_us('geosearch'):.0f} us"
    )
    log(f"script calls per query: {call_hist}")
    log(
        f"cells sent per query: mean {sum(cells_asked) / len(cells_asked):.1f}, "
        f"p99 {p(cells_asked, 99):.0f}; cells read: mean {sum(cells_read) / len(cells_read):.1f}, "
        f"p99 {p(cells_read, 99):.0f}; riders scanned: mean {sum(scanned) / len(scanned):.0f}, "
        f"p50 {p(scanned, 50):.0f}, p99 {p(scanned, 99):.0f}; available riders returned by the "
        f"scripts: mean {sum(returned) / len(returned):.1f}, p99 {p(returned, 99):.0f} (one "
        f"line each); riders within {radius:g} m (GEOSEARCH's "
        f"field): mean {sum(in_radius) / len(in_radius):.0f}"
    )
    log(
        f"answers by size: {dict(sorted(found_sizes.items()))}; GEOSEARCH top-{count} differing "
        f"from the brute force over all riders (near-ties, for information): {geo_disagree}"
    )
    if examples:
        log(f"mismatch examples: {json.dumps(examples)[:2000]}")
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    return {
        "riders": len(riders),
        "busy_fraction": args.busy,
        "layout": args.layout,
        "queries": len(timed),
        "p50_ms": round(p(ours_ms, 50), 3),
        "p99_ms": round(p(ours_ms, 99), 3),
        "geosearch_p50_ms": round(p(geo_ms, 50), 3),
        "geosearch_p99_ms": round(p(geo_ms, 99), 3),
        "ratio": round(p(ours_ms, 99) / p(geo_ms, 99), 3),
        "mismatches": mismatches,
        "script_calls": call_hist,
        "riders_scanned_mean": round(sum(scanned) / len(scanned), 1),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--riders", type=int, default=100_000)
    p.add_argument("--busy", type=float, default=0.2, help="fraction of riders busy")
    p.add_argument("--queries", type=int, default=2000, help="timed query points")
    p.add_argument("--warmup", type=int, default=200, help="untimed query points before")
    p.add_argument("--count", type=int, default=10, help="riders per answer")
    p.add_argument("--radius-m", type=float, default=3000.0)
    p.add_argument("--size-km", type=float, default=30.0, help="side of the square city")
    p.add_argument("--layout", choices=("uniform", "clustered"), default="uniform")
    p.add_argument("--resolution", type=int, default=9, help="H3 resolution of the live index")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--profile", action="store_true", help="cProfile the timed matcher calls")
    p.add_argument("--quick", action="store_true", help="smoke: 10,000 riders, 200 queries")
    args = p.parse_args(argv)
    if args.quick:
        args.riders, args.queries, args.warmup = 10_000, 200, 20
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)

    async def go() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-nearest-") as work:
            async with redis_url(Path(work)) as url:
                return await run(args, url)

    return asyncio.run(go())


if __name__ == "__main__":
    print(json.dumps(main()))
