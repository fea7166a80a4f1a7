"""The live index in Redis: each online rider's latest position and state, the H3 cell it is
in, when it was last seen, and its stream's acknowledged sequence.

Per ping batch one script call (one round trip) records the batch's sequence numbers, moves
the rider to its newest position (never backwards in time) and refreshes its last-seen time.
Riders not seen for ``stale_after_s`` are left out of queries. Redis may lose everything: the
next pings refill it, and nothing in it is the only copy of a business fact.

A Redis outage is raised as ``Unavailable`` (``geo.redis_errors``); the values handed out and
how the replies are read are in ``geo.live_values``. The client is private: the other geo
modules (matching, offers) run their scripts through ``script``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import h3
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from logistics.domain.telemetry import Ping, epoch_ms, haversine_m
from logistics.geo import scripts
from logistics.geo.coalesce import Coalescer
from logistics.geo.live_values import (
    FIELDS,
    DispatchProfile,
    IngestResult,
    LivePosition,
    RiderAvailability,
    StreamState,
    fence_states_from,
    packed_sequences,
    position_from,
    text_of,
    time_of,
)
from logistics.geo.redis_errors import redis_errors, reraise

_TENANTS_KEY = "lg:tenants"

Script = Callable[..., Awaitable[Any]]


class LiveIndex:
    def __init__(
        self, client: aioredis.Redis, *, resolution: int = 9, stale_after_s: float = 60.0
    ) -> None:
        self._redis = client
        self.resolution = resolution
        self.stale_after_s = stale_after_s
        self._ingest = client.register_script(scripts.INGEST)
        self._ingests: Coalescer[str, tuple[str, list[int]], IngestResult] = Coalescer(
            self._ingest_many
        )
        self._in_cells = client.register_script(scripts.IN_CELLS)
        self._sweep = client.register_script(scripts.SWEEP_OFFLINE)
        self._availability = client.register_script(scripts.AVAILABILITY)

    @staticmethod
    def prefix(tenant: str) -> str:
        return f"lg:{{{tenant}}}:"

    def script(self, source: str) -> Script:
        """A Lua script over the index's keys (``geo.scripts``) for the geo modules beside
        this one: ``await run(keys=[...], args=[...])``, one round trip, a Redis failure raised
        as ``Unavailable``."""
        registered = self._redis.register_script(source)

        async def run(*, keys: Sequence[str], args: Sequence[str | int | float]) -> Any:
            try:
                return await registered(keys=keys, args=args)
            except RedisError as exc:
                reraise(exc)

        return run

    def cell_of(self, latitude: float, longitude: float) -> str:
        return str(h3.latlng_to_cell(latitude, longitude, self.resolution))

    async def register_tenant(self, tenant: str) -> None:
        """Remembers that ``tenant`` has live riders (for the offline sweep)."""
        with redis_errors():
            await self._redis.sadd(_TENANTS_KEY, tenant)

    async def tenants(self) -> list[str]:
        with redis_errors():
            members = await self._redis.smembers(_TENANTS_KEY)
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def ingest(
        self,
        tenant: str,
        rider_id: str,
        pings: Sequence[Ping],
        valid: set[int],
        now: datetime,
        seed_contiguous: int,
    ) -> IngestResult:
        """Records a batch (sorted by sequence); ``valid`` are the sequences that passed the
        checks and may move the rider. ``seed_contiguous`` is used when Redis has no state."""
        newest = max(
            (ping for ping in pings if ping.sequence in valid),
            key=lambda ping: ping.record_us,
            default=None,
        )
        sequences = [ping.sequence for ping in pings]
        return await self.record(
            tenant, rider_id, sequences, newest, epoch_ms(now), seed_contiguous
        )

    def record(
        self,
        tenant: str,
        rider_id: str,
        sequences: list[int],
        newest: Ping | None,
        now_ms: int,
        seed_contiguous: int,
    ) -> Awaitable[IngestResult]:
        """``ingest`` for a caller that already knows the batch's sequences (ascending), its
        newest valid ping and the time in epoch milliseconds; returns the result to await.
        Batches of one tenant's riders submitted in the same loop turn share one script
        call."""
        best = ""
        if newest is not None:
            best = "|".join(
                (
                    str(newest.record_us // 1000),
                    str(newest.sequence),
                    repr(newest.latitude),
                    repr(newest.longitude),
                    repr(newest.accuracy_m),
                    repr(newest.speed_mps),
                    repr(newest.heading_deg),
                    repr(newest.battery_percent),
                    (newest.task or "").replace("|", "/"),
                    self.cell_of(newest.latitude, newest.longitude),
                )
            )
        packed = ";".join(
            (
                rider_id,
                str(now_ms),
                str(seed_contiguous),
                packed_sequences(sequences),
                best,
            )
        )
        return self._ingests.submit(tenant, (packed, sequences))

    async def _ingest_many(
        self, tenant: str, groups: Sequence[tuple[str, list[int]]]
    ) -> list[IngestResult]:
        p = self.prefix(tenant)
        try:  # once per group of batches, not per ping
            reply = await self._ingest(
                keys=[f"{p}seen"], args=[p, *(packed for packed, _ in groups)]
            )
        except RedisError as exc:
            reraise(exc)
        results = []
        for line, (_, sequences) in zip((text_of(reply) or "").split(";"), groups, strict=True):
            contiguous, online, missing, n, *fresh = map(int, line.split(","))
            results.append(
                IngestResult(contiguous, online == 1, missing == 1, sequences if n < 0 else fresh)
            )
        return results

    async def stream_state(self, tenant: str, rider_id: str) -> StreamState:
        """One round trip: where a resumed stream of the rider picks up."""
        p = self.prefix(tenant)
        with redis_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hget(f"{p}r:{rider_id}", "c")
                pipe.zrange(f"{p}p:{rider_id}", 0, -1)
                pipe.hmget(f"{p}r:{rider_id}", list(FIELDS))
                pipe.hgetall(f"{p}gf:{rider_id}")
                contiguous, pending, values, fences = await pipe.execute()
        return StreamState(
            int(contiguous) if contiguous is not None else None,
            [int(s) for s in pending],
            position_from(rider_id, [text_of(v) for v in values]),
            fence_states_from(fences),
        )

    async def set_profile(
        self, tenant: str, rider_id: str, profile: DispatchProfile, now: datetime | None = None
    ) -> None:
        """What matching filters on, beside the position (see ``scripts.NEAREST``). A rider with
        no task keeps ``idle`` (since when, epoch ms: the fairness term of the score) from the
        moment its load first reached zero; a rider with tasks has none."""
        key = f"{self.prefix(tenant)}r:{rider_id}"
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                if profile.load == 0:
                    pipe.hsetnx(key, "idle", epoch_ms(now) if now else 0)
                else:
                    pipe.hdel(key, "idle")
                pipe.hset(
                    key,
                    mapping={
                        "vt": profile.vehicle_type or "",
                        "cw": profile.weight_kg,
                        "cv": profile.volume_l,
                        "ci": profile.item_count,
                        "fleet": profile.fleet_id or "",
                        "zone": profile.zone or "",
                        "eu": epoch_ms(profile.eligible_until) if profile.eligible_until else 0,
                        "busy": 1 if profile.busy else 0,
                        "load": profile.load,
                        "rt": "" if profile.rating is None else profile.rating,
                    },
                )
                await pipe.execute()

    async def rider(self, tenant: str, rider_id: str) -> LivePosition | None:
        """The rider's live state, fresh or stale (``last_seen`` tells)."""
        with redis_errors():
            values = await self._redis.hmget(f"{self.prefix(tenant)}r:{rider_id}", list(FIELDS))
        return position_from(rider_id, [text_of(v) for v in values])

    async def availability(
        self, tenant: str, rider_ids: Sequence[str], now: datetime
    ) -> list[RiderAvailability]:
        """Each rider's availability (in order), by the rule matching uses; one round trip."""
        if not rider_ids:
            return []
        p = self.prefix(tenant)
        now_ms = epoch_ms(now)
        min_seen = now_ms - int(self.stale_after_s * 1000)
        with redis_errors():
            reply = await self._availability(
                keys=[f"{p}r:{rider_id}" for rider_id in rider_ids], args=[now_ms, min_seen]
            )
        found = []
        for i, rider_id in enumerate(rider_ids):
            why, lat, lng, vt, cw, cv, ci, load = (
                text_of(v) or "" for v in reply[8 * i : 8 * i + 8]
            )
            found.append(
                RiderAvailability(
                    rider_id,
                    why or None,
                    float(lat or 0),
                    float(lng or 0),
                    vt or None,
                    float(cw or 0),
                    float(cv or 0),
                    int(float(ci or 0)),
                    int(float(load or 0)),
                )
            )
        return found

    async def riders(self, tenant: str, rider_ids: Sequence[str]) -> dict[str, LivePosition]:
        """``rider`` for many riders in one round trip: those the index knows."""
        if not rider_ids:
            return {}
        p = self.prefix(tenant)
        with redis_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for rider_id in rider_ids:
                    pipe.hmget(f"{p}r:{rider_id}", list(FIELDS))
                rows = await pipe.execute()
        found = {}
        for rider_id, values in zip(rider_ids, rows, strict=True):
            position = position_from(rider_id, [text_of(v) for v in values])
            if position is not None:
                found[rider_id] = position
        return found

    async def fleets(self, tenant: str, rider_ids: Sequence[str]) -> dict[str, str]:
        """The fleet id of each rider that has one on record (one round trip)."""
        if not rider_ids:
            return {}
        p = self.prefix(tenant)
        with redis_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for rider_id in rider_ids:
                    pipe.hget(f"{p}r:{rider_id}", "fleet")
                values = await pipe.execute()
        return {r: t for r, v in zip(rider_ids, values, strict=True) if (t := text_of(v))}

    async def riders_in_cells(
        self, tenant: str, cells: Iterable[str], now: datetime
    ) -> list[LivePosition]:
        """Fresh riders in ``cells`` (one round trip)."""
        cell_list = list(cells)
        if not cell_list:
            return []
        min_seen = epoch_ms(now) - int(self.stale_after_s * 1000)
        with redis_errors():
            reply = await self._in_cells(
                keys=[f"{self.prefix(tenant)}seen"],
                args=[self.prefix(tenant), min_seen, len(FIELDS), *FIELDS, *cell_list],
            )
        found = []
        width = len(FIELDS) + 1
        for i in range(0, len(reply), width):
            position = position_from(
                text_of(reply[i]) or "", [text_of(v) for v in reply[i + 1 : i + width]]
            )
            if position is not None:
                found.append(position)
        return found

    def disk(self, latitude: float, longitude: float, radius_m: float) -> list[str]:
        """The cells within ``radius_m`` of a point (a superset: whole rings of hexagons)."""
        edge = h3.average_hexagon_edge_length(self.resolution, "m")
        rings = math.ceil(radius_m / (edge * math.sqrt(3))) + 1
        return [str(c) for c in h3.grid_disk(self.cell_of(latitude, longitude), rings)]

    async def riders_near(
        self, tenant: str, latitude: float, longitude: float, radius_m: float, now: datetime
    ) -> list[tuple[LivePosition, float]]:
        """Fresh riders within ``radius_m``, nearest first, with their distance in metres."""
        near = []
        for position in await self.riders_in_cells(
            tenant, self.disk(latitude, longitude, radius_m), now
        ):
            distance = haversine_m(latitude, longitude, position.latitude, position.longitude)
            if distance <= radius_m:
                near.append((position, distance))
        near.sort(key=lambda pair: pair[1])
        return near

    async def sweep_offline(
        self, tenant: str, cutoff: datetime, limit: int = 1000
    ) -> list[tuple[str, datetime | None]]:
        """Riders of ``tenant`` last seen at or before ``cutoff`` that this call turned
        offline; each transition is returned to exactly one caller across replicas."""
        with redis_errors():
            reply = await self._sweep(
                keys=[f"{self.prefix(tenant)}seen"],
                args=[self.prefix(tenant), epoch_ms(cutoff), limit],
            )
        return [
            (text_of(reply[i]) or "", time_of(text_of(reply[i + 1])))
            for i in range(0, len(reply), 2)
        ]

    async def save_fence_states(
        self, tenant: str, rider_id: str, states: dict[str, tuple[int, bool]]
    ) -> None:
        key = f"{self.prefix(tenant)}gf:{rider_id}"
        with redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if states:
                    pipe.hset(
                        key, mapping={k: f"{since}:{int(d)}" for k, (since, d) in states.items()}
                    )
                await pipe.execute()
