"""Live-view benchmark: riders pinging once a second through the real ingest path, viewers
watching overlapping boxes of the city with SubscribeFleet, on two server processes that share
one database, Redis and NATS. Measures ping-to-frame latency: from a ping's send to the first
non-snapshot frame, on each viewer, that carries that rider's upsert with that ping's record
time. Target: ``p99_ms`` <= ``interval_ms`` + 100.

The floor, in the same run: the bare NATS round trip (a publish to a subscriber of the same
server, at the ping rate), idle and under the benchmark's load. The last line printed is one
JSON object; one line per phase goes to stderr before it. See docs/benchmarks.md.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    LOGISTICS_REDIS_URL=redis://127.0.0.1:6379/12 LOGISTICS_NATS_URL=nats://127.0.0.1:4222 \\
    .venv/bin/python bench/liveview.py
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import random
import struct
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import nats
import redis.asyncio as aioredis
from _common import (
    ServerUrls,
    Service,
    cpu_seconds,
    fresh_database,
    in_work_dir,
    own_cpu_seconds,
    percentile,
    raise_open_files,
    servers,
    start_service,
    stop_process,
)
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    telemetry_pb2,
)

from logistics.api.auth import mint_token

SERVICE = "bengobox.logistics.v1.TelemetryService"
STREAM_LOCATIONS = f"/{SERVICE}/StreamLocations"
SUBSCRIBE_FLEET = f"/{SERVICE}/SubscribeFleet"
CENTER = (-1.2864, 36.8172)  # Nairobi CBD
M_PER_DEG = math.pi * 6_371_008.8 / 180
STREAMS_PER_CHANNEL = 100
CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]  # one connection per channel
ADMIN_SCOPES = ["logistics:read", "logistics:admin"]
SENT_KEPT = 16  # send times kept per rider (a ping's frame arrives within a few seconds)

# --- one ping, encoded by hand: the client shares the machine with the servers ---------------

_POSITION = struct.Struct("<BBBdBd")  # position (3): GeoPoint {latitude 1, longitude 2}
_FLOATS = struct.Struct("<BfBfBfBf")  # accuracy_m (4), speed_mps (5), heading_deg (6), battery (8)


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_NANOS = [b"\x10" + _varint(ms * 1_000_000) if ms else b"" for ms in range(1000)]


def encode_ping(
    sequence: int,
    record_ms: int,
    lat: float,
    lng: float,
    accuracy: float,
    speed: float,
    heading: float,
) -> bytes:
    """A StreamLocationsRequest with a batch of one LocationPing."""
    seconds, ms = divmod(record_ms, 1000)
    stamp = b"\x08" + _varint(seconds) + _NANOS[ms]
    body = b"".join(
        (
            b"\x08" + _varint(sequence),
            b"\x12" + bytes((len(stamp),)) + stamp,
            _POSITION.pack(0x1A, 0x12, 0x09, lat, 0x11, lng),
            _FLOATS.pack(0x25, accuracy, 0x2D, speed, 0x35, heading, 0x45, 80.0),
        )
    )
    ping = b"\x0a" + bytes((len(body),)) + body  # a ping is < 128 bytes
    return b"\x0a" + bytes((len(ping),)) + ping


def frame_upserts(raw: bytes) -> tuple[bool, list[tuple[str, int]]]:
    """A SubscribeFleetResponse's snapshot flag and its (rider name, record time in ms)."""
    frame = telemetry_pb2.SubscribeFleetResponse.FromString(raw).frame
    return frame.snapshot, [
        (v.rider, v.record_time.seconds * 1000 + v.record_time.nanos // 1_000_000)
        for v in frame.rider_upserts
    ]


# --- the city ---------------------------------------------------------------------------------

Box = tuple[float, float, float, float]  # south, west, north, east


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    lat, lng = CENTER
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def square(center_north_m: float, center_east_m: float, side_m: float) -> Box:
    half = side_m / 2
    south, west = offset(center_north_m - half, center_east_m - half)
    north, east = offset(center_north_m + half, center_east_m + half)
    return south, west, north, east


def inside(box: Box, lat: float, lng: float) -> bool:
    return box[0] <= lat <= box[2] and box[1] <= lng <= box[3]


def viewer_boxes(n: int, area_km: float, box_km: float, rng: random.Random) -> list[Box]:
    """``n`` squares of ``box_km`` placed at random wholly inside the ``area_km`` square round
    the centre, so that they overlap."""
    room = max(0.0, (area_km - box_km) * 500)
    return [
        square(rng.uniform(-room, room), rng.uniform(-room, room), box_km * 1000) for _ in range(n)
    ]


@dataclass
class Rider:
    """A motorbike riding round a circle (3-14 m/s, so no jump looks like spoofing)."""

    id: str
    name: str
    server: int
    token: str
    lat0: float
    lng0: float
    r_lat: float
    r_lng: float
    omega: float
    phase: float
    speed: float
    accuracy: float
    sequence: int = 0
    viewers: tuple[int, ...] = ()  # the viewers whose box the circle reaches
    sent: dict[int, float] = field(default_factory=dict)  # record ms -> monotonic send time
    acked: dict[int, float] = field(default_factory=dict)  # record ms -> when its ack came

    @classmethod
    def create(
        cls, rider_id: str, name: str, server: int, token: str, area_km: float, rng: random.Random
    ) -> Rider:
        radius = rng.uniform(300, 2500)
        half = area_km * 500 - radius
        lat0, lng0 = offset(rng.uniform(-half, half), rng.uniform(-half, half))
        r_lat = radius / M_PER_DEG
        speed = rng.uniform(3, 14)
        return cls(
            rider_id,
            name,
            server,
            token,
            lat0,
            lng0,
            r_lat,
            r_lat / math.cos(math.radians(lat0)),
            speed / radius,
            rng.uniform(0, 2 * math.pi),
            speed,
            rng.uniform(4, 20),
        )

    def reach(self) -> Box:
        return (
            self.lat0 - self.r_lat,
            self.lng0 - self.r_lng,
            self.lat0 + self.r_lat,
            self.lng0 + self.r_lng,
        )

    def where(self, t: float) -> tuple[float, float, float]:
        angle = self.phase + self.omega * t
        heading = (math.degrees(angle) + 90.0) % 360.0
        return (
            self.lat0 + self.r_lat * math.cos(angle),
            self.lng0 + self.r_lng * math.sin(angle),
            heading,
        )

    def ping(self, now: float) -> tuple[bytes, int, float, float]:
        """The next ping, recorded ``now`` (wall clock): its bytes, record ms and position."""
        self.sequence += 1
        record_ms = int(now * 1000)
        lat, lng, heading = self.where(record_ms / 1000)
        data = encode_ping(self.sequence, record_ms, lat, lng, self.accuracy, self.speed, heading)
        return data, record_ms, lat, lng

    def remember(self, record_ms: int, sent_at: float) -> None:
        sent = self.sent
        sent[record_ms] = sent_at
        if len(sent) > SENT_KEPT:
            del sent[next(iter(sent))]
        if len(self.acked) > SENT_KEPT:
            del self.acked[next(iter(self.acked))]


def overlaps(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


# --- what the run saw ---------------------------------------------------------------------------


@dataclass
class Tally:
    start: float
    end: float
    pings_sent: int = 0
    acked: int = 0
    rejected: int = 0
    expected: int = 0  # (ping, viewer) pairs where the viewer's box holds the ping
    delivered: int = 0  # of those, frames that carried the ping
    frames: int = 0
    upserts: int = 0  # in non-snapshot frames
    bytes: int = 0
    snapshot_frames: int = 0
    latencies: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)  # ping sent -> its ack
    after_ack: list[float] = field(default_factory=list)  # its ack -> the frame with it
    same_process: list[float] = field(default_factory=list)
    cross_process: list[float] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)

    def inside(self, moment: float) -> bool:
        return self.start <= moment < self.end


def _first_error(tally: Tally, what: str, exc: BaseException) -> None:
    if sum(tally.errors.values()) == 1:
        print(f"  first {what} error: {exc}", file=sys.stderr)


async def connect(rider: Rider, method: Any, gate: asyncio.Semaphore) -> Any:
    """Opens the rider's stream and has a first ping acked, outside the measurement: the
    streams of a fleet open over time, not in the same second."""
    async with gate:
        call = method(metadata=(("authorization", f"Bearer {rider.token}"),))
        data, record_ms, _, _ = rider.ping(time.time())
        rider.remember(record_ms, time.monotonic())
        await call.write(data)
        while (reply := await call.read()) is not grpc.aio.EOF:
            if reply.WhichOneof("message") == "ack":
                if reply.ack.contiguous_sequence >= rider.sequence:
                    return call
                raise RuntimeError(f"first ping not acked: {reply.ack}")
        raise RuntimeError("stream ended before its first ack")


async def ride(
    rider: Rider, call: Any, boxes: list[Box], tally: Tally, begin: float, stop_at: float
) -> None:
    """One open stream: a ping every second (open loop) from ``begin`` (plus the rider's
    phase) until ``stop_at``, acks read alongside."""
    contiguous = rider.sequence
    unacked: collections.deque[tuple[int, int, float]] = collections.deque()

    async def read() -> None:
        nonlocal contiguous
        while (reply := await call.read()) is not grpc.aio.EOF:
            if reply.WhichOneof("message") != "ack":
                continue
            got = int(reply.ack.contiguous_sequence)
            now = time.monotonic()
            if tally.inside(now):
                tally.acked += max(0, got - contiguous)
                tally.rejected += len(reply.ack.rejected)
            contiguous = max(contiguous, got)
            while unacked and unacked[0][0] <= got:
                _, record_ms, sent_at = unacked.popleft()
                rider.acked[record_ms] = now
                if tally.inside(sent_at):
                    tally.ack_latencies.append(now - sent_at)

    reader = asyncio.create_task(read())
    try:
        due = begin + rider.phase / (2 * math.pi)  # spread over the second
        while due < stop_at:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            data, record_ms, lat, lng = rider.ping(time.time())
            sent_at = time.monotonic()
            rider.remember(record_ms, sent_at)
            unacked.append((rider.sequence, record_ms, sent_at))
            if tally.inside(sent_at):
                tally.pings_sent += 1
                tally.expected += sum(1 for v in rider.viewers if inside(boxes[v], lat, lng))
            await call.write(data)
            due += 1.0
        await call.done_writing()
        await asyncio.wait_for(reader, 15)  # the service ends the stream after the last ack
    except grpc.aio.AioRpcError as exc:
        tally.errors[f"ride:{exc.code().name}"] += 1
        _first_error(tally, "rider stream", exc)
    except TimeoutError as exc:
        tally.errors["ride:timeout"] += 1
        _first_error(tally, "rider stream", exc)
    finally:
        reader.cancel()


async def watch(
    call: Any, server: int, riders: dict[str, Rider], tally: Tally, ready: asyncio.Event
) -> None:
    """Reads one viewer's frames until cancelled; pairs upserts with the pings' send times."""
    try:
        async for raw in call:
            at = time.monotonic()
            ready.set()
            snapshot, upserts = frame_upserts(raw)
            if tally.inside(at):
                tally.frames += 1
                tally.bytes += len(raw)
                if snapshot:
                    tally.snapshot_frames += 1
                else:
                    tally.upserts += len(upserts)
            if snapshot:  # old positions: not a measure of anything
                continue
            for name, record_ms in upserts:
                rider = riders.get(name)
                if rider is None:
                    continue
                sent_at = rider.sent.get(record_ms)
                if sent_at is None or not tally.inside(sent_at):
                    continue
                latency = at - sent_at
                tally.delivered += 1
                tally.latencies.append(latency)
                same = rider.server == server
                (tally.same_process if same else tally.cross_process).append(latency)
                acked_at = rider.acked.get(record_ms)
                if acked_at is not None:
                    tally.after_ack.append(at - acked_at)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.CANCELLED:
            tally.errors[f"view:{exc.code().name}"] += 1
            _first_error(tally, "viewer stream", exc)
    finally:
        ready.set()  # a viewer that failed does not hold the start up


async def watch_loop_lag(tally: Tally, stop_at: float, tick: float = 0.01) -> None:
    """How late this process's event loop wakes up: latency the client itself adds."""
    while time.monotonic() < stop_at:
        before = time.monotonic()
        await asyncio.sleep(tick)
        after = time.monotonic()
        if tally.inside(after):
            tally.loop_lag.append(after - before - tick)


# --- the floor: a bare NATS round trip ------------------------------------------------------------


async def nats_round_trip(url: str, messages: int, rate: float) -> dict[str, float]:
    """Publishes ``messages`` small messages at ``rate`` per second on one connection to a
    subscriber on another (same server); the publish-to-callback times, p50/p99/max in ms."""
    subject = f"bench.liveview.{uuid.uuid4().hex}"
    publisher, subscriber = await nats.connect(url), await nats.connect(url)
    sent = [0.0] * messages
    got: list[float] = []
    done = asyncio.Event()

    async def on_message(msg: Any) -> None:
        got.append(time.monotonic() - sent[int.from_bytes(msg.data[:4], "little")])
        if len(got) == messages:
            done.set()

    try:
        await subscriber.subscribe(subject, cb=on_message)
        await subscriber.flush()
        tick = 0.005
        per_tick = max(1, round(rate * tick))
        payload = bytes(60)
        start = time.monotonic()
        for i in range(messages):
            if i % per_tick == 0:
                await asyncio.sleep(max(0.0, start + (i // per_tick) * tick - time.monotonic()))
            sent[i] = time.monotonic()
            await publisher.publish(subject, i.to_bytes(4, "little") + payload)
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await publisher.close()
        await subscriber.close()
    return _ms_stats(got)


def _ms_stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(max(values, default=math.nan) * 1000, 2),
    }


# --- set-up -------------------------------------------------------------------------------------


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def create_riders(
    services: list[Service], tenant: str, args: argparse.Namespace, boxes: list[Box]
) -> list[Rider]:
    """``args.riders`` motorbike riders made through FleetService, alternately assigned to the
    two services (each rider's token signed with its service's secret)."""
    first = services[0]
    admin = _bearer(mint_token(first.jwt_secret, tenant=tenant, scopes=ADMIN_SCOPES))
    async with grpc.aio.insecure_channel(first.grpc_target) as channel:
        fleet = fleet_pb2_grpc.FleetServiceStub(channel)
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> str:
            async with gate:
                created = await fleet.CreateRider(
                    fleet_pb2.CreateRiderRequest(
                        parent=f"tenants/{tenant}",
                        rider=fleet_pb2.Rider(
                            display_name=f"Bench rider {i}",
                            vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                        ),
                    ),
                    metadata=admin,
                )
                return str(created.name.rsplit("/", 1)[1])

        ids = await asyncio.gather(*(one(i) for i in range(args.riders)))
    rng = random.Random(args.seed)
    riders = []
    for i, rid in enumerate(ids):
        server = i % len(services)
        token = mint_token(
            services[server].jwt_secret,
            tenant=tenant,
            scopes=["logistics:telemetry"],
            rider_id=rid,
        )
        rider = Rider.create(
            rid, f"tenants/{tenant}/riders/{rid}", server, token, args.area_km, rng
        )
        reach = rider.reach()
        rider.viewers = tuple(v for v, b in enumerate(boxes) if overlaps(reach, b))
        riders.append(rider)
    return riders


def subscribe_request(tenant: str, box: Box) -> telemetry_pb2.SubscribeFleetRequest:
    south, west, north, east = box
    return telemetry_pb2.SubscribeFleetRequest(
        parent=f"tenants/{tenant}",
        subscription=telemetry_pb2.FleetSubscription(
            bounding_box=telemetry_pb2.BoundingBox(
                south_west=common_pb2.GeoPoint(latitude=south, longitude=west),
                north_east=common_pb2.GeoPoint(latitude=north, longitude=east),
            ),
            include_riders=True,
        ),
    )


async def _forget_tenant(redis_url: str, tenant: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"lg:{{{tenant}}}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await client.delete(*keys[i : i + 500])
        await client.srem("lg:tenants", tenant)
    finally:
        await client.aclose()


def _log_warnings(service: Service) -> int:
    text = service.log_path.read_text(errors="replace")
    return text.count('"level": "WARNING"') + text.count('"level": "ERROR"')


# --- the run ------------------------------------------------------------------------------------


async def run_load(
    services: list[Service],
    tenant: str,
    riders: list[Rider],
    boxes: list[Box],
    args: argparse.Namespace,
    nats_url: str,
) -> dict[str, Any]:
    by_name = {r.name: r for r in riders}
    rider_channels = [
        [
            grpc.aio.insecure_channel(s.grpc_target, options=CHANNEL_OPTIONS)
            for _ in range(math.ceil(len(riders) / len(services) / STREAMS_PER_CHANNEL))
        ]
        for s in services
    ]
    view_channels = [
        grpc.aio.insecure_channel(s.grpc_target, options=CHANNEL_OPTIONS) for s in services
    ]
    views: list[asyncio.Task[None]] = []
    try:
        # Viewers first, half on each service; each gets its (empty) snapshot before riders
        # start, so every later upsert is a delta.
        far = time.monotonic() + 1e9
        tally = Tally(far, far)  # nothing counts until the window is known
        readies = []
        for v, box in enumerate(boxes):
            server = v % len(services)
            secret = services[server].jwt_secret
            token = mint_token(secret, tenant=tenant, scopes=["logistics:read"])
            method = view_channels[server].unary_stream(
                SUBSCRIBE_FLEET,
                request_serializer=telemetry_pb2.SubscribeFleetRequest.SerializeToString,
                response_deserializer=None,  # bytes: counted, then parsed
            )
            ready = asyncio.Event()
            call = method(subscribe_request(tenant, box), metadata=_bearer(token))
            views.append(asyncio.create_task(watch(call, server, by_name, tally, ready)))
            readies.append(ready)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)

        methods = [
            [
                c.stream_stream(
                    STREAM_LOCATIONS,
                    request_serializer=None,  # bytes already
                    response_deserializer=telemetry_pb2.StreamLocationsResponse.FromString,
                )
                for c in channels
            ]
            for channels in rider_channels
        ]
        counts = [0] * len(services)

        def method_of(rider: Rider) -> Any:
            k = counts[rider.server]
            counts[rider.server] += 1
            return methods[rider.server][k // STREAMS_PER_CHANNEL]

        gate = asyncio.Semaphore(50)
        opened = time.monotonic()
        calls = await asyncio.gather(*(connect(r, method_of(r), gate) for r in riders))
        print(f"{len(calls)} streams open in {time.monotonic() - opened:.1f} s", file=sys.stderr)

        begin = time.monotonic() + 0.2
        tally.start = begin + args.warmup
        tally.end = tally.start + args.duration
        rides = [
            asyncio.create_task(ride(r, c, boxes, tally, begin, tally.end))
            for r, c in zip(riders, calls, strict=True)
        ]
        lag = asyncio.create_task(watch_loop_lag(tally, tally.end))

        await asyncio.sleep(max(0.0, tally.start - time.monotonic()))
        first = _meters(services)
        load_before = os.getloadavg()[0]
        # The floor under load: the same NATS round trip while everything runs.
        floor_at = tally.start + max(0.0, args.duration / 2 - 1)
        await asyncio.sleep(max(0.0, floor_at - time.monotonic()))
        loaded_floor = await nats_round_trip(nats_url, args.nats_messages, len(riders))
        await asyncio.sleep(max(0.0, tally.end - time.monotonic()))
        last = _meters(services)
        load_after = os.getloadavg()[0]
        await lag
        # Frames for pings sent just before the end still count: give them time to arrive.
        await asyncio.sleep(args.interval + args.tail)
        await asyncio.gather(*rides)
    finally:
        for task in views:
            task.cancel()
        await asyncio.gather(*views, return_exceptions=True)
        for channel in [*view_channels, *(c for cs in rider_channels for c in cs)]:
            await channel.close()
    return {
        "tally": tally,
        "cpu": _delta(first, last),
        "loaded_floor": loaded_floor,
        "load_avg": [round(load_before, 2), round(load_after, 2)],
    }


def _meters(services: list[Service]) -> dict[str, float]:
    out = {f"server{i}": cpu_seconds(s.pid) for i, s in enumerate(services)}
    out["client"] = own_cpu_seconds()
    return out


def _delta(first: dict[str, float], last: dict[str, float]) -> dict[str, float]:
    return {k: round(last[k] - first[k], 2) for k in last}


# --- entry point --------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--riders", type=int, default=2000, help="riders, one ping a second each")
    p.add_argument("--viewers", type=int, default=50, help="SubscribeFleet viewers")
    p.add_argument("--interval", type=float, default=0.5, help="the services' frame interval, s")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    p.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds before")
    p.add_argument("--tail", type=float, default=3.0, help="seconds to wait for late frames")
    p.add_argument("--area-km", type=float, default=20.0, help="side of the riders' square")
    p.add_argument("--box-km", type=float, default=5.0, help="side of each viewer's square")
    p.add_argument("--nats-messages", type=int, default=1000, help="messages of the NATS floor")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="smoke: 200 riders, 10 viewers, 5 s")
    args = p.parse_args(argv)
    if args.quick:
        args.riders, args.viewers, args.duration, args.warmup = 200, 10, 5.0, 2.0
    return args


async def main(args: argparse.Namespace) -> dict[str, Any]:
    return await in_work_dir("bench-liveview-", lambda work: _measure(args, work))


async def _measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    tenant = f"bench-{uuid.uuid4().hex[:10]}"
    rng = random.Random(args.seed)
    boxes = viewer_boxes(args.viewers, args.area_km, args.box_km, rng)
    async with (
        servers(work / "servers") as urls,
        fresh_database(urls.database_url, "bench_liveview") as database_url,
    ):
        shared = ServerUrls(database_url, urls.redis_url, urls.nats_url)
        services: list[Service] = []
        try:
            for _ in range(2):
                services.append(
                    await start_service(
                        shared, work, LOGISTICS_LIVE_INTERVAL_SECONDS=str(args.interval)
                    )
                )
            riders = await create_riders(services, tenant, args, boxes)
            print(
                f"{len(riders)} riders, {len(boxes)} viewers in tenant {tenant}; "
                f"services pid {[s.pid for s in services]}; work in {work}",
                file=sys.stderr,
            )
            idle_floor = await nats_round_trip(urls.nats_url, args.nats_messages, len(riders))
            print(json.dumps({"phase": "nats idle", **idle_floor}), file=sys.stderr)
            run = await run_load(services, tenant, riders, boxes, args, urls.nats_url)
            warnings = [_log_warnings(s) for s in services]
        finally:
            for service in services:
                stop_process(service.process)
            await _forget_tenant(urls.redis_url, tenant)
    return summary(args, run, idle_floor, warnings)


def summary(
    args: argparse.Namespace, run: dict[str, Any], idle_floor: dict[str, float], warnings: list[int]
) -> dict[str, Any]:
    tally: Tally = run["tally"]
    cpu: dict[str, float] = run["cpu"]
    d = args.duration
    interval_ms = round(args.interval * 1000, 1)
    stats = _ms_stats(tally.latencies)
    servers_cpu = [cpu[k] for k in sorted(cpu) if k.startswith("server")]
    loaded: dict[str, float] = run["loaded_floor"]
    out: dict[str, Any] = {
        "benchmark": "liveview",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "riders": args.riders,
        "viewers": args.viewers,
        "duration_s": d,
        "warmup_s": args.warmup,
        "interval_ms": interval_ms,
        **stats,
        "samples": len(tally.latencies),
        "target_ms": interval_ms + 100,
        "target_met": bool(stats["p99_ms"] <= interval_ms + 100),
        "same_process": _ms_stats(tally.same_process),
        "cross_process": _ms_stats(tally.cross_process),
        "ack": _ms_stats(tally.ack_latencies),
        "after_ack": _ms_stats(tally.after_ack),
        "delivered_fraction": round(tally.delivered / tally.expected, 4)
        if tally.expected
        else None,
        "frames_per_s": round(tally.frames / d, 1),
        "bytes_per_s": round(tally.bytes / d),
        "upserts_per_s": round(tally.upserts / d, 1),
        "pings_sent_per_s": round(tally.pings_sent / d, 1),
        "acked_pings_per_s": round(tally.acked / d, 1),
        "rejected": tally.rejected,
        "errors": dict(tally.errors),
        "server_cpu_s": servers_cpu,
        "server_cpu_share": [round(c / d, 3) for c in servers_cpu],
        "client_cpu_s": cpu["client"],
        "client_cpu_share": round(cpu["client"] / d, 3),
        "client_loop_lag_p99_ms": round(percentile(tally.loop_lag, 99) * 1000, 2),
        "nats_p50_ms": loaded["p50_ms"],
        "nats_p99_ms": loaded["p99_ms"],
        "nats_max_ms": loaded["max_ms"],
        "nats_idle_p50_ms": idle_floor["p50_ms"],
        "nats_idle_p99_ms": idle_floor["p99_ms"],
        "server_log_warnings": warnings,
        "load_avg_1min": run["load_avg"],  # the machine's, at the window's start and end
    }
    return out


if __name__ == "__main__":
    arguments = _parse(None)
    raise_open_files(65536)
    result = asyncio.run(main(arguments))
    print(json.dumps(result))
