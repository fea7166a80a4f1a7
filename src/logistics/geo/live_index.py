"""The live index in Redis: each online rider's latest position and state, the H3 cell it is
in, when it was last seen, and its stream's acknowledged sequence.

Per ping batch one script call (one round trip) records the batch's sequence numbers, moves
the rider to its newest position (never backwards in time) and refreshes its last-seen time.
Riders not seen for ``stale_after_s`` are left out of queries. Redis may lose everything: the
next pings refill it, and nothing in it is the only copy of a business fact.

Every outage of Redis (refused, reset, timed out, not serving) is raised as
``domain.errors.Unavailable`` (reason ``REDIS_UNAVAILABLE``) from the client library's
exception, so the use cases need not know redis-py and the edge still finds the outage it
stands for (``logistics.outages``). Any other Redis error (a script's bug) is left as it is:
INTERNAL at the edge, logged with its traceback. The client
is private: the other geo modules (matching, offers) run their scripts through ``script``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import h3
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from logistics.domain.errors import Unavailable
from logistics.domain.telemetry import Ping, epoch_ms, haversine_m
from logistics.geo import scripts
from logistics.geo.coalesce import Coalescer
from logistics.outages import outage_of

_FIELDS = ("lat", "lng", "ts", "acc", "spd", "hdg", "bat", "task", "cell", "seen", "status", "seq")
_TENANTS_KEY = "lg:tenants"
REDIS_UNAVAILABLE = "REDIS_UNAVAILABLE"

Script = Callable[..., Awaitable[Any]]


def unavailable() -> Unavailable:
    """What a Redis failure is to the use cases; raise it ``from`` the library's exception."""
    return Unavailable("the live index (Redis) is unavailable", reason=REDIS_UNAVAILABLE)


def reraise(exc: RedisError) -> NoReturn:
    """Raises ``Unavailable`` from ``exc`` for an outage, else ``exc`` itself."""
    if outage_of(exc) is not None:
        raise unavailable() from exc
    raise exc


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    """Raises a Redis outage inside the block as ``Unavailable``."""
    try:
        yield
    except RedisError as exc:
        reraise(exc)


def _time(ms: str | bytes | None) -> datetime | None:
    if not ms:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


@dataclass(frozen=True)
class LivePosition:
    rider_id: str
    latitude: float
    longitude: float
    record_time: datetime
    accuracy_m: float
    speed_mps: float
    heading_deg: float
    battery_percent: float
    task: str | None
    cell: str
    last_seen: datetime
    online: bool


@dataclass(frozen=True)
class DispatchProfile:
    """A rider's dispatch attributes kept beside its position: what it can carry, where it
    works, until when it is eligible (None: not now), its load and its rating (1 to 5, None:
    not rated)."""

    vehicle_type: str | None
    weight_kg: float
    volume_l: float
    item_count: int
    fleet_id: str | None
    zone: str | None
    eligible_until: datetime | None
    busy: bool
    load: int
    rating: float | None = None


@dataclass(frozen=True)
class RiderAvailability:
    """Whether a rider can be given work now, as matching decides it (``scripts.AVAILABILITY``
    and ``scripts.NEAREST`` share the rule), and what planning needs of it when it can."""

    rider_id: str
    unavailable: str | None  # why not (None: available)
    latitude: float
    longitude: float
    vehicle_type: str | None
    weight_kg: float
    volume_l: float
    item_count: int
    load: int


@dataclass(frozen=True)
class IngestResult:
    contiguous: int
    came_online: bool
    state_was_missing: bool  # Redis had lost (or never had) the rider's sequence state
    fresh: list[int]


@dataclass(frozen=True)
class StreamState:
    """What a new stream of a rider starts from: the sequences recorded so far, the last
    position, and the fences it is inside (fence id -> (since epoch ms, dwell reported))."""

    contiguous: int | None
    pending: list[int]
    position: LivePosition | None
    fences: dict[str, tuple[int, bool]]


def _position(rider_id: str, values: Sequence[str | None]) -> LivePosition | None:
    lat, lng, ts, acc, spd, hdg, bat, task, cell, seen, status, _ = values
    if not lat or not lng or not ts or not seen:
        return None
    record_time, last_seen = _time(ts), _time(seen)
    assert record_time is not None
    assert last_seen is not None
    return LivePosition(
        rider_id=rider_id,
        latitude=float(lat),
        longitude=float(lng),
        record_time=record_time,
        accuracy_m=float(acc or 0),
        speed_mps=float(spd or 0),
        heading_deg=float(hdg or 0),
        battery_percent=float(bat or 0),
        task=task or None,
        cell=cell or "",
        last_seen=last_seen,
        online=status == "online",
    )


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
                _packed_sequences(sequences),
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
        for line, (_, sequences) in zip((_text(reply) or "").split(";"), groups, strict=True):
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
                pipe.hmget(f"{p}r:{rider_id}", list(_FIELDS))
                pipe.hgetall(f"{p}gf:{rider_id}")
                contiguous, pending, values, fences = await pipe.execute()
        return StreamState(
            int(contiguous) if contiguous is not None else None,
            [int(s) for s in pending],
            _position(rider_id, [_text(v) for v in values]),
            _fence_states(fences),
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
            values = await self._redis.hmget(f"{self.prefix(tenant)}r:{rider_id}", list(_FIELDS))
        return _position(rider_id, [_text(v) for v in values])

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
            why, lat, lng, vt, cw, cv, ci, load = (_text(v) or "" for v in reply[8 * i : 8 * i + 8])
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
        return {r: t for r, v in zip(rider_ids, values, strict=True) if (t := _text(v))}

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
                args=[self.prefix(tenant), min_seen, len(_FIELDS), *_FIELDS, *cell_list],
            )
        found = []
        width = len(_FIELDS) + 1
        for i in range(0, len(reply), width):
            position = _position(
                _text(reply[i]) or "", [_text(v) for v in reply[i + 1 : i + width]]
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
            (_text(reply[i]) or "", _time(_text(reply[i + 1]))) for i in range(0, len(reply), 2)
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


def _fence_states(raw: Mapping[Any, Any]) -> dict[str, tuple[int, bool]]:
    states = {}
    for key, value in raw.items():
        since, _, dwelled = (_text(value) or "0:0").partition(":")
        states[_text(key) or ""] = (int(since), dwelled == "1")
    return states


def _packed_sequences(sequences: list[int]) -> str:
    """Ascending sequences as the ingest script reads them: "first:last" for a run without
    gaps (the usual batch), else "a,b,c"."""
    if sequences and sequences[-1] - sequences[0] == len(sequences) - 1:
        return f"{sequences[0]}:{sequences[-1]}"
    return ",".join(map(str, sequences))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)
