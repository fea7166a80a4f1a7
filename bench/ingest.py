"""Ingest benchmark: N riders, one StreamLocations stream each, sending ping batches to the
real service (with its PostgreSQL, Redis and NATS) and, with the same client and the very same
bytes, to a bare grpcio echo stream that acks each message and does nothing else.

Two modes: ``open`` (each stream sends a batch every ``--interval`` seconds, the realistic
load) and ``saturate`` (closed loop: each stream sends its next batch as soon as the previous
one is acked, which measures the most either server can take). ``ratio`` is service
throughput / echo throughput in saturate mode: in open mode a server that keeps up acks just
what is offered, so that ratio says nothing. Each mode runs ``--rounds`` times per target,
alternating which target goes first, and the figures add the rounds up (``ratio`` is the
service's pings over the echo's, ``round_ratios`` each round's), so a drift in the rest of
the machine's load weighs on both alike. The last line printed is one JSON object; one line
per run (round x target x mode) goes to stderr before it. See docs/benchmarks.md.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    LOGISTICS_REDIS_URL=redis://127.0.0.1:6379/9 LOGISTICS_NATS_URL=nats://127.0.0.1:4222 \\
    .venv/bin/python bench/ingest.py --streams 1000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import json
import math
import random
import struct
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import redis.asyncio as aioredis
from _common import (
    ServerUrls,
    cpu_seconds,
    free_port,
    fresh_database,
    in_work_dir,
    own_cpu_seconds,
    percentile,
    raise_open_files,
    servers,
    start_service,
    stop_process,
    tree_cpu_seconds,
)
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

from logistics.api.auth import mint_token

SERVICE = "bengobox.logistics.v1.TelemetryService"
METHOD = f"/{SERVICE}/StreamLocations"
ADMIN_SCOPES = ["logistics:read", "logistics:admin"]
NAIROBI = (-1.335, 36.70, -1.22, 36.95)  # south, west, north, east
STREAMS_PER_CHANNEL = 100
THIS_FILE = Path(__file__).resolve()
# What the service logs when a Redis call of the stream failed and its live-index work was
# skipped (the batch is still acked: tracks are stored).
INDEX_FAILED = "live index unavailable"
CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]  # one connection per channel

# --- messages, encoded by hand: the client must stay cheap next to the servers ---------------

# A LocationPing after its sequence and record_time: position (field 3, a GeoPoint of two
# doubles) and heading_deg (6), which change per ping, then accuracy_m (4), speed_mps (5) and
# battery_percent (8), fixed per rider.
_MOVE = struct.Struct("<BBBdBdBf")
_FIXED = struct.Struct("<BfBfBf")


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_NANOS = [b"\x10" + _varint(ms * 1_000_000) if ms else b"" for ms in range(1000)]


def _length(n: int) -> bytes:
    return _LENGTH[n] if n < 0x80 else _varint(n)


_LENGTH = [bytes((n,)) for n in range(0x80)]
_SMALL = 1 << 16
_SEQUENCE = [b"\x08" + _varint(n) for n in range(_SMALL)]
_DEGREES = 180.0 / math.pi


@dataclass
class Rider:
    """A simulated rider driving round a circle somewhere in Nairobi."""

    id: str
    token: str
    rng: random.Random
    sequence: int = 0  # last sequence sent; kept across runs (the service de-duplicates)
    last_time: float = 0.0
    center: tuple[float, float] = (0.0, 0.0)
    radius_m: float = 0.0
    speed_mps: float = 0.0
    phase: float = 0.0
    accuracy_m: float = 0.0

    @classmethod
    def create(cls, rider_id: str, token: str, seed: int) -> Rider:
        rng = random.Random(seed)
        south, west, north, east = NAIROBI
        return cls(
            rider_id,
            token,
            rng,
            center=(rng.uniform(south, north), rng.uniform(west, east)),
            radius_m=rng.uniform(300, 2500),
            speed_mps=rng.uniform(3, 14),
            phase=rng.uniform(0, 2 * math.pi),
            accuracy_m=rng.uniform(4, 20),
        )

    def batch(self, size: int, now: float, interval: float) -> bytes:
        """The next ``size`` pings as serialized StreamLocationsRequest bytes, their record
        times spread evenly over the time since the previous batch."""
        since = self.last_time or now - interval
        step = (now - since) / size
        self.last_time = now
        lat0, lng0 = self.center
        r_lat = self.radius_m / 111_320
        r_lng = r_lat / math.cos(math.radians(lat0))
        omega = self.speed_mps / self.radius_m
        fixed = _FIXED.pack(0x25, self.accuracy_m, 0x2D, self.speed_mps, 0x45, 80.0)
        cos, sin, pack = math.cos, math.sin, _MOVE.pack
        sec_bytes: dict[int, bytes] = {}
        pings = []
        sequence = self.sequence
        for j in range(1, size + 1):
            sequence += 1
            t = since + step * j
            angle = self.phase + omega * t
            sec = int(t)
            seconds = sec_bytes.get(sec) or sec_bytes.setdefault(sec, b"\x08" + _varint(sec))
            stamp = seconds + _NANOS[int((t - sec) * 1000)]
            lat, lng = lat0 + r_lat * cos(angle), lng0 + r_lng * sin(angle)
            heading = (angle * _DEGREES + 90.0) % 360.0
            body = b"".join(
                (
                    _SEQUENCE[sequence] if sequence < _SMALL else b"\x08" + _varint(sequence),
                    b"\x12",
                    _LENGTH[len(stamp)],
                    stamp,
                    pack(0x1A, 0x12, 0x09, lat, 0x11, lng, 0x35, heading),
                    fixed,
                )
            )
            pings.append(b"\x0a" + _LENGTH[len(body)] + body)
        self.sequence = sequence
        inner = b"".join(pings)
        return b"\x0a" + _length(len(inner)) + inner


def _check_encoding() -> None:
    """The hand-made bytes parse as the message they claim to be."""
    rider = Rider.create(str(uuid.uuid4()), "", 1)
    request = telemetry_pb2.StreamLocationsRequest.FromString(rider.batch(3, time.time(), 1.0))
    pings = request.batch.pings
    assert [p.sequence for p in pings] == [1, 2, 3], pings
    assert abs(pings[-1].record_time.ToMilliseconds() / 1000 - rider.last_time) < 0.002
    assert -1.4 < pings[0].position.latitude < -1.1
    assert 36.6 < pings[0].position.longitude < 37.0
    assert 0 <= pings[0].heading_deg < 360
    assert pings[0].accuracy_m == struct.unpack("<f", struct.pack("<f", rider.accuracy_m))[0]


# --- the load ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the streams saw inside the measured window."""

    start: float
    end: float
    acked: int = 0
    rejected: int = 0
    batches: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    def inside(self, moment: float) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Run:
    target: str
    mode: str
    acked_pings_per_s: float
    batches_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    rejected: int
    errors: dict[str, int]
    server_cpu_s: float
    server_cpu_us_per_ping: float
    client_cpu_s: float
    redis_cpu_s: float | None
    postgres_cpu_s: float | None
    server_log_warnings: int | None
    live_index_failures: int | None


class Stream:
    def __init__(self, rider: Rider, call: Any) -> None:
        self.rider = rider
        self.call = call
        self.contiguous = 0
        self.sent: collections.deque[tuple[int, float]] = collections.deque()
        self.all_acked = asyncio.Event()

    async def ack(self) -> tuple[int, int]:
        """Reads until an ack; returns its contiguous sequence (-1 if the stream ended) and
        how many pings it rejected."""
        while True:
            reply = await self.call.read()
            if reply is grpc.aio.EOF:
                return -1, 0
            if reply.WhichOneof("message") == "ack":
                return int(reply.ack.contiguous_sequence), len(reply.ack.rejected)

    def record(self, contiguous: int, rejected: int, now: float, tally: Tally) -> None:
        if tally.inside(now):
            tally.acked += max(0, contiguous - self.contiguous)
            tally.rejected += rejected
        self.contiguous = max(self.contiguous, contiguous)
        while self.sent and self.sent[0][0] <= contiguous:
            sent_at = self.sent.popleft()[1]
            if tally.inside(sent_at):
                tally.latencies.append(now - sent_at)
                tally.batches += 1
        if not self.sent:
            self.all_acked.set()

    def sending(self, now: float) -> None:
        self.sent.append((self.rider.sequence, now))
        self.all_acked.clear()


async def _open_loop(stream: Stream, args: argparse.Namespace, tally: Tally) -> None:
    """One batch every ``interval``, whatever the acks do (a reader takes them apart)."""
    rider, interval = stream.rider, args.interval

    async def read() -> None:
        while (ack := await stream.ack())[0] >= 0:
            stream.record(*ack, time.monotonic(), tally)

    reader = asyncio.create_task(read())
    due = time.monotonic() + rider.rng.uniform(0, interval)
    try:
        while due < tally.end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            message = rider.batch(args.batch, time.time(), interval)
            stream.sending(time.monotonic())
            await stream.call.write(message)
            due += interval
        await asyncio.wait_for(stream.all_acked.wait(), args.drain)
        await stream.call.done_writing()
        await asyncio.wait_for(reader, 10)  # the server ends the stream after the last ack
    finally:
        # Cancelling a pending read cancels the call, so this only ever runs on failure.
        reader.cancel()


async def _closed_loop(stream: Stream, args: argparse.Namespace, tally: Tally) -> None:
    """The next batch as soon as the previous one is acked."""
    rider = stream.rider
    while time.monotonic() < tally.end:
        message = rider.batch(args.batch, time.time(), args.interval)
        stream.sending(time.monotonic())
        await stream.call.write(message)
        while stream.sent:
            contiguous, rejected = await stream.ack()
            if contiguous < 0:
                raise RuntimeError("stream ended before its ack")
            stream.record(contiguous, rejected, time.monotonic(), tally)
    await stream.call.done_writing()
    await asyncio.wait_for(_rest(stream), 10)


async def _connect(method: Any, rider: Rider, args: argparse.Namespace) -> Stream:
    """Opens the rider's stream and has a first batch acked (outside the measurement). Like
    the app, it resends from the acknowledged sequence + 1 until the ack covers everything
    it ever sent (a batch whose live-index update failed leaves a gap in Redis)."""
    stream = Stream(rider, method(metadata=(("authorization", f"Bearer {rider.token}"),)))
    high = rider.sequence
    for _ in range(1000):
        await stream.call.write(rider.batch(args.batch, time.time(), args.interval))
        high = max(high, rider.sequence)
        contiguous, _ = await stream.ack()
        if contiguous < 0:
            raise RuntimeError("stream ended before its first ack")
        if contiguous >= high:
            stream.contiguous = rider.sequence = contiguous
            return stream
        rider.sequence = contiguous
    raise RuntimeError(f"the service acks {contiguous}, not {high}")


@dataclass
class Meters:
    """Counters read at the window's edges: CPU of the server, the client, Redis and the
    benchmark database's backends; the service's log lines that say it skipped work."""

    server_pid: int
    redis: aioredis.Redis | None = None
    database_url: str | None = None
    log_path: Path | None = None

    async def read(self) -> dict[str, Any]:
        now: dict[str, Any] = {
            "server": tree_cpu_seconds(self.server_pid),
            "client": own_cpu_seconds(),
        }
        if self.redis is not None:
            info = await self.redis.info("cpu")
            now["redis"] = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        if self.database_url is not None:
            backends = await _backend_pids(self.database_url)
            now["postgres"] = {pid: _cpu_or_zero(pid) for pid in backends}
        if self.log_path is not None:
            text = self.log_path.read_text(errors="replace")
            now["warnings"] = text.count('"level": "WARNING"') + text.count('"level": "ERROR"')
            now["index_failures"] = text.count(INDEX_FAILED)
        return now

    @staticmethod
    def delta(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in last.items():
            if isinstance(value, dict):  # backends born inside the window count in full
                out[key] = round(sum(v - first[key].get(pid, 0.0) for pid, v in value.items()), 2)
            elif isinstance(value, float):
                out[key] = round(value - first[key], 2)
            else:
                out[key] = value - first[key]
        return out


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # gone, or in another PID namespace
        return 0.0


async def run_load(
    target: str, name: str, mode: str, riders: list[Rider], args: argparse.Namespace, meters: Meters
) -> tuple[Run, list[float]]:
    channels = [
        grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        for _ in range(math.ceil(len(riders) / STREAMS_PER_CHANNEL))
    ]
    try:
        methods = [
            c.stream_stream(
                METHOD,
                request_serializer=None,  # the batches are bytes already
                response_deserializer=telemetry_pb2.StreamLocationsResponse.FromString,
            )
            for c in channels
        ]
        gate = asyncio.Semaphore(100)

        async def connect(i: int, rider: Rider) -> Stream:
            async with gate:
                return await _connect(methods[i // STREAMS_PER_CHANNEL], rider, args)

        streams = await asyncio.gather(*(connect(i, r) for i, r in enumerate(riders)))
        begin = time.monotonic() + 0.5
        tally = Tally(begin + args.warmup, begin + args.warmup + args.duration)
        loop = _closed_loop if mode == "saturate" else _open_loop

        async def drive(stream: Stream) -> None:
            await asyncio.sleep(max(0.0, begin - time.monotonic()))
            try:
                await loop(stream, args, tally)
            except grpc.aio.AioRpcError as exc:
                tally.errors[exc.code().name] += 1
                _first_error(tally, exc)
            except (RuntimeError, TimeoutError) as exc:
                tally.errors[type(exc).__name__] += 1
                _first_error(tally, exc)

        async def measure() -> dict[str, Any]:
            await asyncio.sleep(max(0.0, tally.start - time.monotonic()))
            first = await meters.read()
            await asyncio.sleep(max(0.0, tally.end - time.monotonic()))
            return Meters.delta(first, await meters.read())

        window = asyncio.create_task(measure())
        await asyncio.gather(*(drive(s) for s in streams))
        used = await window
    finally:
        for channel in channels:
            await channel.close()
    latencies = tally.latencies
    run = Run(
        target=name,
        mode=mode,
        acked_pings_per_s=round(tally.acked / args.duration, 1),
        batches_per_s=round(tally.batches / args.duration, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 2),
        p99_ms=round(percentile(latencies, 99) * 1000, 2),
        max_ms=round(max(latencies, default=math.nan) * 1000, 2),
        rejected=tally.rejected,
        errors=dict(tally.errors),
        server_cpu_s=used["server"],
        server_cpu_us_per_ping=round(used["server"] * 1e6 / max(tally.acked, 1), 1),
        client_cpu_s=used["client"],
        redis_cpu_s=used.get("redis"),
        postgres_cpu_s=used.get("postgres"),
        server_log_warnings=used.get("warnings"),
        live_index_failures=used.get("index_failures"),
    )
    return run, latencies


def combine(rounds: list[tuple[Run, list[float]]], duration: float) -> Run:
    """One target's runs of one mode, one per round, as one run of all their seconds."""
    runs = [run for run, _ in rounds]
    latencies = [x for _, values in rounds for x in values]
    acked = sum(r.acked_pings_per_s for r in runs) * duration
    errors: collections.Counter[str] = collections.Counter()
    for r in runs:
        errors.update(r.errors)

    def total(field_name: str) -> float | None:
        values = [getattr(r, field_name) for r in runs]
        return None if None in values else round(sum(values), 2)

    server_cpu = sum(r.server_cpu_s for r in runs)
    return Run(
        target=runs[0].target,
        mode=runs[0].mode,
        acked_pings_per_s=round(sum(r.acked_pings_per_s for r in runs) / len(runs), 1),
        batches_per_s=round(sum(r.batches_per_s for r in runs) / len(runs), 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 2),
        p99_ms=round(percentile(latencies, 99) * 1000, 2),
        max_ms=round(max(latencies, default=math.nan) * 1000, 2),
        rejected=sum(r.rejected for r in runs),
        errors=dict(errors),
        server_cpu_s=round(server_cpu, 2),
        server_cpu_us_per_ping=round(server_cpu * 1e6 / max(acked, 1), 1),
        client_cpu_s=round(sum(r.client_cpu_s for r in runs), 2),
        redis_cpu_s=total("redis_cpu_s"),
        postgres_cpu_s=total("postgres_cpu_s"),
        server_log_warnings=None
        if None in (values := [r.server_log_warnings for r in runs])
        else sum(v or 0 for v in values),
        live_index_failures=None
        if None in (failures := [r.live_index_failures for r in runs])
        else sum(v or 0 for v in failures),
    )


def _first_error(tally: Tally, exc: BaseException) -> None:
    if sum(tally.errors.values()) == 1:
        print(f"  first stream error: {exc}", file=sys.stderr)


async def _rest(stream: Stream) -> None:
    """Reads what follows done_writing, so that both ends close the stream cleanly."""
    while await stream.call.read() is not grpc.aio.EOF:
        pass


# --- the echo server -------------------------------------------------------------------------


async def serve_echo(port: int) -> None:
    """A grpcio.aio server whose StreamLocations acks every batch with its last sequence."""

    async def stream_locations(requests: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async for request in requests:
            pings = request.batch.pings
            yield telemetry_pb2.StreamLocationsResponse(
                ack=telemetry_pb2.PingAck(contiguous_sequence=pings[-1].sequence if pings else 0)
            )

    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "StreamLocations": grpc.stream_stream_rpc_method_handler(
                        stream_locations,
                        request_deserializer=telemetry_pb2.StreamLocationsRequest.FromString,
                        response_serializer=telemetry_pb2.StreamLocationsResponse.SerializeToString,
                    )
                },
            )
        ]
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


async def start_echo(log_dir: Path, loop: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    with (log_dir / f"echo-{port}.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - fork and exec only
            [sys.executable, str(THIS_FILE), "--echo-server", str(port), "--echo-loop", loop],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    target = f"127.0.0.1:{port}"
    async with grpc.aio.insecure_channel(target) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
    return target, process


# --- set-up ----------------------------------------------------------------------------------


async def create_riders(target: str, secret: str, tenant: str, n: int) -> list[Rider]:
    """``n`` motorbike riders, made through FleetService, with their rider tokens."""
    async with grpc.aio.insecure_channel(target) as channel:
        fleet = fleet_pb2_grpc.FleetServiceStub(channel)
        admin = _admin_metadata(secret, tenant)
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> str:
            async with gate:
                rider = fleet_pb2.Rider(
                    display_name=f"Bench rider {i}",
                    vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                )
                created = await fleet.CreateRider(
                    fleet_pb2.CreateRiderRequest(parent=f"tenants/{tenant}", rider=rider),
                    metadata=admin,
                )
                return created.name.rsplit("/", 1)[1]

        ids = await asyncio.gather(*(one(i) for i in range(n)))
    scopes = ["logistics:telemetry"]
    return [
        Rider.create(rid, mint_token(secret, tenant=tenant, scopes=scopes, rider_id=rid), i)
        for i, rid in enumerate(ids)
    ]


def _admin_metadata(secret: str, tenant: str) -> tuple[tuple[str, str], ...]:
    token = mint_token(secret, tenant=tenant, scopes=ADMIN_SCOPES)
    return (("authorization", f"Bearer {token}"),)


async def set_sample_interval(target: str, secret: str, tenant: str, seconds: float) -> float:
    """Sets the tenant's track sampling through the API (when it differs); returns the
    interval read back."""
    name = f"tenants/{tenant}/telemetryPolicy"
    async with grpc.aio.insecure_channel(target) as channel:
        telemetry = telemetry_pb2_grpc.TelemetryServiceStub(channel)
        admin = _admin_metadata(secret, tenant)
        get = telemetry_pb2.GetTelemetryPolicyRequest(name=name)
        current = await telemetry.GetTelemetryPolicy(get, metadata=admin)
        if current.sample_interval.ToNanoseconds() != round(seconds * 1e9):
            wanted = telemetry_pb2.TelemetryPolicy(name=name, retention_days=current.retention_days)
            wanted.sample_interval.FromNanoseconds(round(seconds * 1e9))
            request = telemetry_pb2.UpdateTelemetryPolicyRequest(policy=wanted)
            current = await telemetry.UpdateTelemetryPolicy(request, metadata=admin)
    return current.sample_interval.ToNanoseconds() / 1e9


async def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the service's pool)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [int(r["pid"]) for r in rows]


async def _forget_tenant(redis_url: str, tenant: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"lg:{{{tenant}}}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await client.delete(*keys[i : i + 500])
        await client.srem("lg:tenants", tenant)
    finally:
        await client.aclose()


# --- entry point ---------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--streams", type=int, default=1000, help="concurrent rider streams")
    p.add_argument("--batch", type=int, default=10, help="pings per batch")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between batches (open)")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs per target and mode, alternating which target goes first",
    )
    p.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds before")
    p.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late acks")
    p.add_argument("--sample-interval", type=float, default=5.0, help="tenant track sampling")
    p.add_argument("--mode", choices=("open", "saturate", "both"), default="both")
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="serving processes of the service (LOGISTICS_SERVE_PROCESSES); the echo has one",
    )
    p.add_argument(
        "--saturate",
        action="store_const",
        const="saturate",
        dest="mode",
        help="closed loop only (same as --mode saturate)",
    )
    p.add_argument("--quick", action="store_true", help="smoke: 100 streams, 5 s, 2 s warm-up")
    p.add_argument("--profile-service", type=Path, help="run the service under cProfile")
    p.add_argument(
        "--echo-loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="the echo's event loop: asyncio (a bare grpcio server, the anchor) or uvloop "
        "(the service's default loop)",
    )
    p.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.streams, args.duration, args.warmup, args.rounds = 100, 5.0, 2.0, 1
    return args


async def main(args: argparse.Namespace) -> dict[str, Any]:
    _check_encoding()
    return await in_work_dir("bench-ingest-", lambda work: _measure(args, work))


async def _measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    modes = ["open", "saturate"] if args.mode == "both" else [args.mode]
    tenant = f"bench-{uuid.uuid4().hex[:10]}"
    runs: list[Run] = []
    round_ratios: dict[str, list[float | None]] = {}
    async with (
        servers(work / "servers") as urls,
        fresh_database(urls.database_url, "bench_ingest") as database_url,
    ):
        # The per-stream limit (20 batches/s) is raised so that the closed loop measures the
        # service, not its limiter; at the open-loop load (1 batch/s) it never binds.
        service = await start_service(
            ServerUrls(database_url, urls.redis_url, urls.nats_url),
            work,
            profile_to=args.profile_service,
            LOGISTICS_STREAM_BATCHES_PER_SECOND="100000",
            LOGISTICS_STREAM_BURST="100000",
            LOGISTICS_SERVE_PROCESSES=str(args.processes),
        )
        echo_target, echo = await start_echo(work, args.echo_loop)
        redis = aioredis.from_url(urls.redis_url)
        try:
            riders = await create_riders(
                service.grpc_target, service.jwt_secret, tenant, args.streams
            )
            args.sample_interval = await set_sample_interval(
                service.grpc_target, service.jwt_secret, tenant, args.sample_interval
            )
            print(f"{len(riders)} riders in tenant {tenant}; work in {work}", file=sys.stderr)
            # Each target sees its own gap-free sequences: the service acks only up to a gap.
            echo_riders = [dataclasses.replace(r, sequence=0, last_time=0.0) for r in riders]
            targets = (
                ("service", service.grpc_target, service.pid, riders),
                ("echo", echo_target, echo.pid, echo_riders),
            )
            for mode in modes:
                # Rounds alternate the order (service first, then echo first, ...), so that a
                # drift in the machine's other load weighs on both targets alike.
                rounds: dict[str, list[tuple[Run, list[float]]]] = {"service": [], "echo": []}
                for round_ in range(args.rounds):
                    for name, target, pid, fleet in targets[:: 1 if round_ % 2 == 0 else -1]:
                        meters = (
                            Meters(pid, redis, database_url, service.log_path)
                            if name == "service"
                            else Meters(pid)
                        )
                        run, latencies = await run_load(target, name, mode, fleet, args, meters)
                        print(json.dumps({"round": round_ + 1, **asdict(run)}), file=sys.stderr)
                        rounds[name].append((run, latencies))
                        await asyncio.sleep(1.0)
                for name in ("service", "echo"):
                    runs.append(combine(rounds[name], args.duration))
                round_ratios[mode] = [
                    round(s.acked_pings_per_s / e.acked_pings_per_s, 3)
                    if e.acked_pings_per_s
                    else None
                    for (s, _), (e, _) in zip(rounds["service"], rounds["echo"], strict=True)
                ]
        finally:
            stop_process(echo)
            stop_process(service.process)
            await redis.aclose()
            await _forget_tenant(urls.redis_url, tenant)
    return summary(args, runs, round_ratios)


def summary(
    args: argparse.Namespace, runs: list[Run], round_ratios: dict[str, list[float | None]]
) -> dict[str, Any]:
    by = {(r.target, r.mode): r for r in runs}
    basis = "saturate" if ("service", "saturate") in by else "open"
    svc, echo = by[("service", basis)], by[("echo", basis)]
    out: dict[str, Any] = {
        "benchmark": "ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "streams": args.streams,
        "processes": args.processes,
        "echo_loop": args.echo_loop,
        "batch": args.batch,
        "interval_s": args.interval,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": args.warmup,
        "sample_interval_s": args.sample_interval,
        "ratio_basis": basis,
        "acked_pings_per_s": svc.acked_pings_per_s,
        "p50_ms": svc.p50_ms,
        "p99_ms": svc.p99_ms,
        "echo_acked_pings_per_s": echo.acked_pings_per_s,
        "echo_p50_ms": echo.p50_ms,
        "echo_p99_ms": echo.p99_ms,
        "ratio": round(svc.acked_pings_per_s / echo.acked_pings_per_s, 3)
        if echo.acked_pings_per_s
        else None,
        "round_ratios": round_ratios.get(basis, []),
        "server_cpu_s": svc.server_cpu_s,
        "echo_cpu_s": echo.server_cpu_s,
        "server_cpu_us_per_ping": svc.server_cpu_us_per_ping,
        "echo_cpu_us_per_ping": echo.server_cpu_us_per_ping,
        "live_index_failures": svc.live_index_failures,
        "offered_pings_per_s_open": round(args.streams * args.batch / args.interval, 1),
    }
    for mode in ("open", "saturate"):
        if ("service", mode) in by:
            out[mode] = {t: _brief(by[(t, mode)]) for t in ("service", "echo")}
    return out


def _brief(run: Run) -> dict[str, Any]:
    data = asdict(run)
    del data["target"], data["mode"]
    return {k: v for k, v in data.items() if v not in (None, {})}


if __name__ == "__main__":
    arguments = _parse(None)
    raise_open_files(65536)
    if arguments.echo_server is not None:
        loop_factory = None
        if arguments.echo_loop == "uvloop":
            import uvloop

            loop_factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve_echo(arguments.echo_server))
    else:
        result = asyncio.run(main(arguments))
        print(json.dumps(result))
