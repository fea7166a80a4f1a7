"""Outages for real, not mocked: the service runs on PostgreSQL, Redis and NATS of its own (on
free ports, data under the test's directory), and each in turn is crashed (SIGKILL) or hung
(SIGSTOP) and brought back on the same port while calls on both listeners and a rider's stream
keep going.

What a caller must see: calls needing the lost dependency answer UNAVAILABLE with a RetryInfo
(Connect: "unavailable", HTTP 503), never INTERNAL, UNKNOWN or no answer; calls not needing it
keep working; /readyz says so; once the dependency is back the service serves again by itself,
nothing it acknowledged is lost, and events written while NATS was away reach JetStream. The
service logs each outage once, not once per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import httpx
import nats
import nats.js.errors
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
)

from logistics.embedded import EmbeddedServers
from logistics.store.db import Database
from logistics.store.migrate import migrate
from logistics.store.unit_of_work import Store
from tests.support.auth import token
from tests.support.faults import (
    CALL_TIMEOUT_S,
    STREAM,
    Load,
    Outcome,
    Probe,
    RiderApp,
    connect_probe,
    failed_after,
    grpc_probe,
    log_entries,
    ok_after,
    stream_probe,
    write_raced_the_end,
)
from tests.support.servers import (
    RunningServer,
    ServerUrls,
    server_env,
    start_server,
    stop_server,
)
from tests.support.telemetry import Rider, new_rider

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

REASONS = {
    "postgres": "POSTGRES_UNAVAILABLE",
    "redis": "REDIS_UNAVAILABLE",
    "nats": "NATS_UNAVAILABLE",
}
# How long the service may take to notice an outage, and to serve again once it is over.
NOTICE_S = 20.0
RESUME_S = 20.0
# How long a server is kept hung: longer than a readiness check's timeout (2 s).
HANG_S = 4.0
PICKUP = (-1.2864, 36.8172)
V1 = "/bengobox.logistics.v1"


@dataclass
class World:
    servers: EmbeddedServers
    urls: ServerUrls
    server: RunningServer
    worker_log: Path
    channel: grpc.aio.Channel
    http: httpx.AsyncClient


def _start_worker(urls: ServerUrls, log_path: Path) -> subprocess.Popen[bytes]:
    """``logistics worker``: the outbox relay to JetStream runs there, not in ``serve``."""
    env = server_env(urls, 0, 0, LOGISTICS_OUTBOX_POLL_SECONDS="0.1")
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "logistics.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    # Not under pytest's numbered temporary directories: another pytest session on the
    # machine may delete those it thinks old while these servers still write there.
    with tempfile.TemporaryDirectory(prefix="logistics-outages-") as scratch:
        async for world in _world(Path(scratch)):
            yield world


async def _world(scratch: Path) -> AsyncIterator[World]:
    servers = EmbeddedServers(scratch / "servers")
    embedded = await servers.start()
    server = worker = None
    try:
        assert embedded.database_url
        assert embedded.redis_url
        assert embedded.nats_url
        urls = ServerUrls(embedded.database_url, embedded.redis_url, embedded.nats_url)
        await migrate(urls.database_url)
        logs = scratch / "logs"
        logs.mkdir()
        server = await start_server(urls, logs)
        worker_log = logs / "worker.log"
        worker = _start_worker(urls, worker_log)
        async with (
            grpc.aio.insecure_channel(server.grpc_target) as channel,
            httpx.AsyncClient(base_url=server.http_url) as http,
        ):
            yield World(servers, urls, server, worker_log, channel, http)
    finally:
        if worker is not None:
            worker.terminate()
            await asyncio.to_thread(worker.wait, 15)
        if server is not None:
            stop_server(server)
        await servers.stop()


@contextlib.asynccontextmanager
async def owner(world: World) -> AsyncIterator[asyncpg.Connection]:
    """A short-lived connection as the database owner (no row-level security)."""
    conn = await asyncpg.connect(world.urls.database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def rider_keeping_every_ping(world: World) -> Rider:
    db = await Database.connect(world.urls.database_url, role="logistics_app", min_size=1)
    try:
        return await new_rider(world.channel, Store(db))
    finally:
        await db.close()


# --- the calls made throughout ------------------------------------------------------------------


def probes(world: World, rider: Rider, created: list[str]) -> list[Probe]:
    """GetRider and CreateTask (PostgreSQL) and FindNearestRiders by a point (Redis), each
    on both listeners. Tasks whose creation was acknowledged go to ``created``."""
    admin = token(rider.tenant)
    metadata = (("authorization", f"Bearer {admin}"),)
    headers = {"authorization": f"Bearer {admin}"}
    parent = f"tenants/{rider.tenant}"
    point = common_pb2.GeoPoint(latitude=PICKUP[0], longitude=PICKUP[1])
    task = task_pb2.Task(
        kind=task_pb2.Task.KIND_DELIVERY,
        steps=[task_pb2.TaskStep(kind=task_pb2.TaskStep.KIND_PICKUP, location=point)],
    )
    task_json = {
        "kind": "KIND_DELIVERY",
        "steps": [
            {"kind": "KIND_PICKUP", "location": {"latitude": PICKUP[0], "longitude": PICKUP[1]}}
        ],
    }
    fleet = fleet_pb2_grpc.FleetServiceStub(world.channel)
    tasks = task_pb2_grpc.TaskServiceStub(world.channel)
    dispatch = dispatch_pb2_grpc.DispatchServiceStub(world.channel)

    async def create_task(deadline_s: float) -> None:
        made = await tasks.CreateTask(
            task_pb2.CreateTaskRequest(parent=parent, task=task),
            metadata=metadata,
            timeout=deadline_s,
        )
        created.append(made.name)

    return [
        grpc_probe(
            "GetRider",
            {"postgres"},
            lambda timeout: fleet.GetRider(
                fleet_pb2.GetRiderRequest(name=rider.name), metadata=metadata, timeout=timeout
            ),
        ),
        connect_probe(
            "GetRider",
            {"postgres"},
            world.http,
            f"{V1}.FleetService/GetRider",
            lambda: {"name": rider.name},
            headers,
        ),
        grpc_probe("CreateTask", {"postgres"}, create_task),
        connect_probe(
            "CreateTask",
            {"postgres"},
            world.http,
            f"{V1}.TaskService/CreateTask",
            lambda: {"parent": parent, "task": task_json},
            headers,
            on_ok=lambda body: created.append(str(body["name"])),
        ),
        grpc_probe(
            "FindNearestRiders",
            {"redis"},
            lambda timeout: dispatch.FindNearestRiders(
                dispatch_pb2.FindNearestRidersRequest(parent=parent, point=point, radius_m=3000),
                metadata=metadata,
                timeout=timeout,
            ),
        ),
        connect_probe(
            "FindNearestRiders",
            {"redis"},
            world.http,
            f"{V1}.DispatchService/FindNearestRiders",
            lambda: {
                "parent": parent,
                "point": {"latitude": PICKUP[0], "longitude": PICKUP[1]},
                "radiusM": 3000,
            },
            headers,
        ),
    ]


# --- readiness and the log -----------------------------------------------------------------------


async def readiness(world: World) -> tuple[int, dict[str, Any]]:
    response = await world.http.get("/readyz", timeout=CALL_TIMEOUT_S)
    return response.status_code, response.json()


def reports_outage(status: int, body: dict[str, Any], dependency: str) -> bool:
    """The readiness contract of issue 13: without PostgreSQL a replica cannot serve (503);
    without Redis or NATS it serves "degraded" (200), naming the dependency that is down."""
    checks: dict[str, str] = body.get("checks", {})
    down = checks.get(dependency, "").startswith("error")
    if dependency == "postgres":
        return status == 503 and down
    others_ok = all(v == "ok" for k, v in checks.items() if k != dependency)
    return status == 200 and body.get("status") == "degraded" and down and others_ok


async def wait_for_readiness(
    world: World, expect: Callable[[int, dict[str, Any]], bool], what: str, within_s: float
) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + within_s
    status, body = await readiness(world)
    while not expect(status, body):
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz not {what} within {within_s:.0f}s: {status} {body}")
        await asyncio.sleep(0.1)
        status, body = await readiness(world)
    return status, body


async def check_readiness_reports(world: World, dependency: str) -> None:
    """/readyz names ``dependency`` as down, as ``reports_outage`` says it must."""
    status, body = await wait_for_readiness(
        world,
        lambda s, b: str(b.get("checks", {}).get(dependency, "")).startswith("error"),
        f"naming {dependency} as down",
        NOTICE_S,
    )
    assert reports_outage(status, body, dependency), (status, body)


# --- one outage ----------------------------------------------------------------------------------


@dataclass
class Outage:
    """What happened to the calls and the stream during one dependency's outage."""

    dependency: str
    load: Load
    rider: Rider
    created: list[str]
    app: RiderApp
    down_at: float = 0.0
    up_at: float = 0.0
    log_from: int = 0

    def needing(self) -> list[Probe]:
        return [p for p in self.load.probes if self.dependency in p.needs]

    def not_needing(self) -> list[Probe]:
        return [p for p in self.load.probes if self.dependency not in p.needs]

    def bad_outcomes(self) -> list[Outcome]:
        """Calls that answered other than OK, or UNAVAILABLE with RetryInfo and the
        dependency's reason when they need it."""
        needs = {p.name: p.needs for p in self.load.probes}
        needs[STREAM] = stream_probe().needs
        bad = []
        for o in self.load.outcomes:
            if o.code == "ok":
                continue
            expected = (
                self.dependency in needs[o.probe]
                and o.code == "unavailable"
                and o.retry_info
                and o.reason == REASONS[self.dependency]
            )
            if not expected and not (o.probe == STREAM and write_raced_the_end(o)):
                bad.append(o)
        return bad


async def begin(world: World, dependency: str) -> Outage:
    rider = await rider_keeping_every_ping(world)
    created: list[str] = []
    load = Load(probes(world, rider, created))
    app = RiderApp(world.channel, rider, load)
    outage = Outage(dependency, load, rider, created, app)
    outage.log_from = len(world.server.log_path.read_text(errors="replace").splitlines())
    load.start()
    app.start()
    await load.until(
        "every call answers OK before the outage",
        NOTICE_S,
        *(ok_after(p, 0) for p in load.probes),
        ok_after(stream_probe(), 0),
    )
    return outage


async def crash(world: World, outage: Outage) -> None:
    """SIGKILLs the dependency and waits until each call, and /readyz, shows it."""
    load, dependency = outage.load, outage.dependency
    outage.down_at = load.now()
    await world.servers.kill(dependency)
    await load.until(
        f"with {dependency} down, calls needing it fail and the others answer",
        NOTICE_S,
        *(failed_after(p, outage.down_at) for p in outage.needing()),
        *(ok_after(p, outage.down_at) for p in outage.not_needing()),
    )
    await check_readiness_reports(world, dependency)


async def recover(world: World, outage: Outage) -> float:
    """Restarts the dependency on its port; returns how long until every call (and the rider's
    stream, reconnecting if it ended) was served again."""
    load, dependency = outage.load, outage.dependency
    await world.servers.restart(dependency)
    outage.up_at = load.now()
    took = await load.until(
        f"service resumes by itself after {dependency} is back",
        RESUME_S,
        *(ok_after(p, outage.up_at) for p in load.probes),
        ok_after(stream_probe(), outage.up_at),
    )
    await wait_for_readiness(
        world, lambda status, body: status == 200 and body["status"] == "ok", "ok again", RESUME_S
    )
    return took


async def finish(world: World, outage: Outage) -> None:
    """Stops the calls, then checks every outcome, the acknowledged writes and the log."""
    await outage.load.stop()
    await outage.app.stop()
    bad = outage.bad_outcomes()
    if bad:
        errors = [
            f"{e['logger']}: {e['message']}\n{e.get('error', '')[-3000:]}"
            for e in log_entries(world.server.log_path)[outage.log_from :]
            if e.get("level") == "ERROR"
        ]
        raise AssertionError(
            f"{len(bad)} calls answered wrongly:\n"
            + "\n".join(map(str, bad[:20]))
            + "\nerrors the server logged meanwhile:\n"
            + "\n".join(errors[:5])
            + "\nand its other output:\n"
            + "\n".join(
                line
                for line in world.server.log_path.read_text(errors="replace").splitlines()
                if not line.startswith("{")
            )[-3000:]
        )

    # Every acknowledged create is there, every acknowledged ping is in the rider's track.
    assert outage.created
    async with owner(world) as conn:
        found = await conn.fetchval(
            "SELECT count(*) FROM tasks WHERE id = ANY($1::uuid[])",
            [name.rsplit("/", 1)[1] for name in outage.created],
        )
        sequences = await conn.fetch(
            "SELECT DISTINCT sequence FROM track_points WHERE rider_id = $1 ORDER BY sequence",
            uuid.UUID(outage.rider.id),
        )
    assert found == len(set(outage.created))
    assert outage.app.acked > 0
    assert [r["sequence"] for r in sequences][: outage.app.acked] == list(
        range(1, outage.app.acked + 1)
    )

    # One warning per outage, naming the dependency and its cause; no traceback per call.
    lines = log_entries(world.server.log_path)[outage.log_from :]
    warnings = [
        e for e in lines if e.get("logger") == "logistics.outages" and e.get("level") == "WARNING"
    ]
    about = [e for e in warnings if e.get("dependency") == outage.dependency]
    if outage.needing():
        assert 1 <= len(about) <= 2, about
        assert all(e.get("cause") for e in about)
    ours = [e for e in lines if e.get("level") == "ERROR" and e["logger"].startswith("logistics")]
    assert not ours, [(e["logger"], e["message"], e.get("error", "")[-500:]) for e in ours[:3]]
    # nats-py's own default error callback logs each failed reconnection (one every two
    # seconds, hung or down) with a traceback: bounded by time, not by the calls made.
    theirs = [e for e in lines if e.get("level") == "ERROR" and e["logger"].startswith("nats")]
    assert len(theirs) <= 2 + outage.load.now() / 2, len(theirs)


async def restore(world: World, dependency: str) -> None:
    """Leaves the dependency running for the next test, whatever this one did."""
    if dependency in world.servers.pids:
        world.servers.send_signal(dependency, signal.SIGCONT)
    else:
        await world.servers.restart(dependency)


@contextlib.asynccontextmanager
async def outage_under_load(world: World, dependency: str) -> AsyncIterator[Outage]:
    """Calls and a rider's stream running for the block, which takes ``dependency`` down and
    back; then every outcome, the acknowledged writes and the log are checked."""
    outage = await begin(world, dependency)
    try:
        yield outage
    finally:
        await outage.load.stop()
        await outage.app.stop()
        await restore(world, dependency)
    await finish(world, outage)


# --- the tests -----------------------------------------------------------------------------------


async def test_a_postgres_crash_is_unavailable_to_callers_until_service_resumes_by_itself(
    world: World,
) -> None:
    async with outage_under_load(world, "postgres") as outage:
        await crash(world, outage)
        await recover(world, outage)


async def hang(world: World, outage: Outage) -> None:
    """SIGSTOPs the dependency for a while: its sockets stay open and nothing answers. The
    service's timeouts must turn that into UNAVAILABLE, not a call stuck with it."""
    load, dependency = outage.load, outage.dependency
    hung_at = load.now()
    world.servers.send_signal(dependency, signal.SIGSTOP)
    try:
        await load.until(
            f"with {dependency} hung, calls needing it fail and the others answer",
            NOTICE_S,
            *(failed_after(p, hung_at) for p in outage.needing()),
            *(ok_after(p, hung_at) for p in outage.not_needing()),
        )
        await check_readiness_reports(world, dependency)
        await asyncio.sleep(max(0.0, HANG_S - (load.now() - hung_at)))
    finally:
        world.servers.send_signal(dependency, signal.SIGCONT)
    resumed_at = load.now()
    await load.until(
        f"service resumes by itself once {dependency} answers again",
        RESUME_S,
        *(ok_after(p, resumed_at) for p in load.probes),
        ok_after(stream_probe(), resumed_at),
    )


async def test_a_hung_or_crashed_redis_fails_only_the_calls_needing_it(world: World) -> None:
    async with outage_under_load(world, "redis") as outage:
        await hang(world, outage)
        await crash(world, outage)
        await recover(world, outage)


async def jetstream_message_ids(url: str, stream: str = "LOGISTICS") -> set[str]:
    """The de-duplication ids (the outbox ids) of every message in the events stream."""
    nc = await nats.connect(url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        try:
            state = (await js.stream_info(stream)).state
        except nats.js.errors.NotFoundError:
            # A restarted server answers before it has recovered its streams from disk.
            return set()
        ids = set()
        for seq in range(state.first_seq, state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            ids.add((message.headers or {}).get("Nats-Msg-Id", ""))
        return ids
    finally:
        await nc.close()


async def test_a_hung_or_crashed_nats_delays_events_and_loses_none(world: World) -> None:
    async with outage_under_load(world, "nats") as outage:
        await hang(world, outage)
        down_since = datetime.now(UTC)
        await crash(world, outage)
        # Long enough for several tasks to be created, and the stream to ack, without NATS.
        await asyncio.sleep(2.0)
        back_since = datetime.now(UTC)
        await recover(world, outage)

    # Tasks created while NATS was down: their events waited in the outbox and went out.
    async with owner(world) as conn:
        rows = await conn.fetch(
            """SELECT o.id FROM outbox o JOIN tenants t ON t.id = o.tenant_id
               WHERE t.slug = $1 AND o.subject = 'logistics.task.created'
                 AND o.create_time BETWEEN $2 AND $3""",
            outage.rider.tenant,
            down_since,
            back_since,
        )
    waiting = {str(r["id"]) for r in rows}
    assert waiting, "no task was created while NATS was down"
    deadline = time.monotonic() + RESUME_S
    while missing := waiting - await jetstream_message_ids(world.urls.nats_url):
        assert time.monotonic() < deadline, f"{len(missing)} events never reached JetStream"
        await asyncio.sleep(0.2)
