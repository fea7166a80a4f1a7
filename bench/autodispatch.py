"""AutoDispatch decisions per second, through the real service, against the bare assignment.

N riders with a vehicle and a shift open their telemetry streams, send a position, and accept
every offer they get (as a rider app would, on the stream). T tasks near them are dispatched
with AutoDispatch, C at a time: each decision finds the nearest available riders, claims an
offer in Redis, sends it over the rider's stream through NATS, waits for the answer and assigns
atomically. In the same run, T other tasks are assigned with AssignTask (the same atomic
assignment, no matching, no offer): the anchor. Reports decisions per second and latency for
both and ``ratio`` = AutoDispatch decisions/s / AssignTask decisions/s; the last line is one
JSON object.

    LOGISTICS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
    LOGISTICS_REDIS_URL=redis://127.0.0.1:6379/10 LOGISTICS_NATS_URL=nats://127.0.0.1:4222 \\
    .venv/bin/python bench/autodispatch.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from _common import fresh_database, percentile, servers, start_service, stop_process
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import timestamp_pb2

from logistics.api.auth import mint_token

CENTRE = (-1.2864, 36.8172)
ALL = ["logistics:read", "logistics:dispatch", "logistics:telemetry", "logistics:admin"]


def ts(moment: datetime) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


def spot(rnd: random.Random, spread: float = 0.02) -> tuple[float, float]:
    return CENTRE[0] + rnd.uniform(-spread, spread), CENTRE[1] + rnd.uniform(-spread, spread)


async def rider_app(
    channel: grpc.aio.Channel, secret: str, tenant: str, md: Any, i: int, rnd: random.Random
) -> grpc.aio.StreamStreamCall:  # type: ignore[type-arg]
    fleet = fleet_pb2_grpc.FleetServiceStub(channel)
    car = await fleet.CreateVehicle(
        fleet_pb2.CreateVehicleRequest(
            parent=f"tenants/{tenant}",
            vehicle=fleet_pb2.Vehicle(type=common_pb2.VEHICLE_TYPE_MOTORBIKE, plate=f"KB{i:05d}"),
        ),
        metadata=md,
    )
    rider = await fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(
            parent=f"tenants/{tenant}",
            rider=fleet_pb2.Rider(display_name=f"Rider {i}", vehicle=car.name),
        ),
        metadata=md,
    )
    now = datetime.now(UTC)
    await fleet.CreateShift(
        fleet_pb2.CreateShiftRequest(
            parent=rider.name,
            shift=fleet_pb2.Shift(
                planned=common_pb2.TimeWindow(
                    start_time=ts(now - timedelta(hours=1)), end_time=ts(now + timedelta(hours=8))
                )
            ),
        ),
        metadata=md,
    )
    rider_id = rider.name.rsplit("/", 1)[1]
    token = mint_token(secret, tenant=tenant, scopes=["logistics:telemetry"], rider_id=rider_id)
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
        metadata=(("authorization", f"Bearer {token}"),)
    )
    lat, lng = spot(rnd)
    ping = telemetry_pb2.LocationPing(
        sequence=1,
        record_time=ts(now),
        position=common_pb2.GeoPoint(latitude=lat, longitude=lng),
        accuracy_m=5,
    )
    await call.write(
        telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=[ping]))
    )
    return call


async def accept_everything(call: grpc.aio.StreamStreamCall) -> None:  # type: ignore[type-arg]
    async for reply in call:
        if reply.HasField("offer"):
            await call.write(
                telemetry_pb2.StreamLocationsRequest(
                    offer_response=telemetry_pb2.OfferResponse(
                        offer_id=reply.offer.offer_id, accept=True
                    )
                )
            )


async def timed(
    jobs: list[Callable[[], Awaitable[bool]]], concurrency: int
) -> tuple[float, list[float], int]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    succeeded = 0

    async def one(job: Callable[[], Awaitable[bool]]) -> None:
        nonlocal succeeded
        async with gate:
            start = time.perf_counter()
            ok = await job()
            latencies.append((time.perf_counter() - start) * 1000)
            succeeded += ok

    begin = time.perf_counter()
    await asyncio.gather(*(one(j) for j in jobs))
    return time.perf_counter() - begin, latencies, succeeded


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rnd = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as work:
        async with (
            servers(Path(work)) as urls,
            fresh_database(urls.database_url, "bench_dispatch") as db,
        ):
            service = await start_service(
                type(urls)(db, urls.redis_url, urls.nats_url),
                Path(work),
                LOGISTICS_MAX_ACTIVE_TASKS=str(args.tasks),
                LOGISTICS_OFFER_TIMEOUT_SECONDS="5",
            )
            try:
                return await run(service.grpc_target, service.jwt_secret, args, rnd)
            finally:
                stop_process(service.process)


async def run(
    target: str, secret: str, args: argparse.Namespace, rnd: random.Random
) -> dict[str, Any]:
    tenant = f"bench-{rnd.randrange(16**8):08x}"
    md = (("authorization", f"Bearer {mint_token(secret, tenant=tenant, scopes=ALL)}"),)
    async with grpc.aio.insecure_channel(target) as channel:
        apps = [await rider_app(channel, secret, tenant, md, i, rnd) for i in range(args.riders)]
        listeners = [asyncio.create_task(accept_everything(call)) for call in apps]
        await asyncio.sleep(1.0)  # every stream open, subscribed, profiled
        tasks = task_pb2_grpc.TaskServiceStub(channel)
        dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)

        async def new_task() -> str:
            lat, lng = spot(rnd)
            created = await tasks.CreateTask(
                task_pb2.CreateTaskRequest(
                    parent=f"tenants/{tenant}",
                    task=task_pb2.Task(
                        kind=task_pb2.Task.KIND_DELIVERY,
                        steps=[
                            task_pb2.TaskStep(
                                kind=task_pb2.TaskStep.KIND_PICKUP,
                                location=common_pb2.GeoPoint(latitude=lat, longitude=lng),
                            )
                        ],
                    ),
                ),
                metadata=md,
            )
            return created.name

        auto_tasks = [await new_task() for _ in range(args.tasks)]
        manual_tasks = [await new_task() for _ in range(args.tasks)]
        found = await dispatch.FindNearestRiders(
            dispatch_pb2.FindNearestRidersRequest(
                parent=f"tenants/{tenant}",
                point=common_pb2.GeoPoint(latitude=CENTRE[0], longitude=CENTRE[1]),
                max_riders=100,
                radius_m=20_000,
            ),
            metadata=md,
        )
        riders = [c.rider for c in found.riders]

        def auto(name: str) -> Callable[[], Awaitable[bool]]:
            async def job() -> bool:
                reply = await dispatch.AutoDispatch(
                    dispatch_pb2.AutoDispatchRequest(task=name), metadata=md
                )
                return reply.outcome == dispatch_pb2.AutoDispatchResponse.OUTCOME_ASSIGNED

            return job

        def manual(name: str, rider: str) -> Callable[[], Awaitable[bool]]:
            async def job() -> bool:
                await dispatch.AssignTask(
                    dispatch_pb2.AssignTaskRequest(task=name, rider=rider, reason="bench"),
                    metadata=md,
                )
                return True

            return job

        manual_s, manual_ms, _ = await timed(
            [manual(t, riders[i % len(riders)]) for i, t in enumerate(manual_tasks)],
            args.concurrency,
        )
        auto_s, auto_ms, auto_ok = await timed([auto(t) for t in auto_tasks], args.concurrency)
        for call in apps:
            call.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    result = {
        "riders": args.riders,
        "tasks": args.tasks,
        "concurrency": args.concurrency,
        "auto_decisions_per_s": round(args.tasks / auto_s, 1),
        "auto_assigned": auto_ok,
        "auto_p50_ms": round(percentile(auto_ms, 50), 2),
        "auto_p99_ms": round(percentile(auto_ms, 99), 2),
        "assign_decisions_per_s": round(args.tasks / manual_s, 1),
        "assign_p50_ms": round(percentile(manual_ms, 50), 2),
        "assign_p99_ms": round(percentile(manual_ms, 99), 2),
        "ratio": round((args.tasks / auto_s) / (args.tasks / manual_s), 3),
    }
    return result


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--riders", type=int, default=50)
    p.add_argument("--tasks", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


if __name__ == "__main__":
    outcome = asyncio.run(main(_parse()))
    print(json.dumps(outcome))
