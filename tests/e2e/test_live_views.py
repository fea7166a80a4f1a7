"""Live views end to end through real gRPC and Connect clients: a snapshot then deltas, moving
the area on an open WatchFleet, fan-out across two server processes, a stalled viewer next
to a healthy one, tenant and zone isolation, alerts, and TrackTask to completion."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import struct
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import nats
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    events_pb2,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import struct_pb2

from logistics.domain.telemetry import EARTH_RADIUS_M
from tests.support.auth import bearer, token, unique_tenant
from tests.support.protos import ts
from tests.support.servers import (
    Listeners,
    RunningServer,
    ServerUrls,
    server_in_process,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.e2e

NAIROBI = (-1.2864, 36.8172)
Alert = telemetry_pb2.Alert
Task = task_pb2.Task
M_PER_DEG = math.pi * EARTH_RADIUS_M / 180
FAST = {"LOGISTICS_LIVE_INTERVAL_SECONDS": "0.2", "LOGISTICS_LIVE_STALL_SECONDS": "2"}


def offset(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    lat, lng = NAIROBI
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def box(south_m: float, west_m: float, north_m: float, east_m: float) -> telemetry_pb2.BoundingBox:
    sw, ne = offset(south_m, west_m), offset(north_m, east_m)
    return telemetry_pb2.BoundingBox(
        south_west=common_pb2.GeoPoint(latitude=sw[0], longitude=sw[1]),
        north_east=common_pb2.GeoPoint(latitude=ne[0], longitude=ne[1]),
    )


@pytest.fixture(scope="module")
async def live_server(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    async with server_in_process(server_urls, **FAST) as running:
        yield running


@pytest.fixture(scope="module")
async def second_server(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    running = await start_server(server_urls, tmp_path_factory.mktemp("live2"), **FAST)
    yield running
    stop_server(running)


@pytest.fixture
async def channel(live_server: Listeners) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(live_server.grpc_target) as ch:
        yield ch


class RiderApp:
    """A rider with its own StreamLocations call, pinging where it is told."""

    def __init__(self, channel: grpc.aio.Channel, tenant: str, rider_id: str) -> None:
        self.tenant, self.id = tenant, rider_id
        self.name = f"tenants/{tenant}/riders/{rider_id}"
        metadata = bearer(token(tenant, ["logistics:telemetry"], rider_id=rider_id))
        self.call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(
            metadata=metadata
        )
        self.sequence = 0
        # Each ping is recorded 30 s after the previous one, starting in the past: a rider may
        # then move up to a couple of kilometres between pings without looking like a spoofer.
        self.clock = datetime.now(UTC) - timedelta(minutes=40)

    @classmethod
    async def create(
        cls, channel: grpc.aio.Channel, tenant: str, fleet: str | None = None
    ) -> RiderApp:
        created = await fleet_pb2_grpc.FleetServiceStub(channel).CreateRider(
            fleet_pb2.CreateRiderRequest(
                parent=f"tenants/{tenant}",
                rider=fleet_pb2.Rider(
                    display_name="Akinyi",
                    vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                    fleet=fleet or "",
                ),
            ),
            metadata=bearer(token(tenant)),
        )
        return cls(channel, tenant, created.name.rsplit("/", 1)[1])

    async def at(self, north_m: float, east_m: float = 0.0) -> datetime:
        """One ping at the point; returns its record time once acknowledged."""
        self.sequence += 1
        lat, lng = offset(north_m, east_m)
        self.clock += timedelta(seconds=30)
        recorded = self.clock
        await self.call.write(
            telemetry_pb2.StreamLocationsRequest(
                batch=telemetry_pb2.PingBatch(
                    pings=[
                        telemetry_pb2.LocationPing(
                            sequence=self.sequence,
                            record_time=ts(recorded),
                            position=common_pb2.GeoPoint(latitude=lat, longitude=lng),
                            accuracy_m=5.0,
                        )
                    ]
                )
            )
        )
        while True:
            reply = await asyncio.wait_for(self.call.read(), 15)
            assert reply is not grpc.aio.EOF
            if reply.HasField("ack"):
                assert reply.ack.contiguous_sequence == self.sequence, reply
                return recorded

    async def close(self) -> None:
        await self.call.done_writing()
        while await asyncio.wait_for(self.call.read(), 15) is not grpc.aio.EOF:
            pass


class Viewer:
    """Reads frames of a live view call in the background and keeps them."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.frames: list[telemetry_pb2.FleetFrame] = []
        self.arrived: list[float] = []
        self._new = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.call:
            self.frames.append(message.frame)
            self.arrived.append(time.monotonic())
            self._new.set()

    async def until(self, check: Any, within: float = 10.0) -> telemetry_pb2.FleetFrame:
        """The first frame (seen so far or arriving) that ``check`` accepts."""
        deadline = time.monotonic() + within
        seen = 0
        while True:
            for frame in self.frames[seen:]:
                if check(frame):
                    return frame
            seen = len(self.frames)
            self._new.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no such frame in {within} s; got {self.frames}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)

    def shown(self) -> set[str]:
        """The riders the frames so far leave on the viewer's map."""
        riders: set[str] = set()
        for frame in self.frames:
            if frame.snapshot:
                riders = set()
            riders |= {r.rider for r in frame.rider_upserts}
            riders -= set(frame.rider_removals)
        return riders

    def cancel(self) -> None:
        self.call.cancel()
        self.reader.cancel()


def subscribe(
    channel: grpc.aio.Channel, tenant: str, area: telemetry_pb2.BoundingBox, **kwargs: Any
) -> Viewer:
    metadata = kwargs.pop("metadata", None) or bearer(token(tenant, ["logistics:read"]))
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).SubscribeFleet(
        telemetry_pb2.SubscribeFleetRequest(
            parent=f"tenants/{tenant}",
            subscription=telemetry_pb2.FleetSubscription(bounding_box=area, **kwargs),
        ),
        metadata=metadata,
    )
    return Viewer(call)


def upserted(rider: RiderApp) -> Any:
    return lambda f: any(r.rider == rider.name for r in f.rider_upserts)


# --- snapshot, deltas, moving the area ----------------------------------------------------------


async def test_a_view_starts_with_a_snapshot_then_sends_deltas(channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    early, late = await RiderApp.create(channel, tenant), await RiderApp.create(channel, tenant)
    outside = await RiderApp.create(channel, tenant)
    await early.at(100)
    await outside.at(5000)
    viewer = subscribe(channel, tenant, box(-500, -500, 500, 500))
    try:
        first = await viewer.until(lambda f: True)
        assert first.snapshot
        assert first.sequence == 1
        assert [r.rider for r in first.rider_upserts] == [early.name]
        view = first.rider_upserts[0]
        assert view.status == telemetry_pb2.RiderView.STATUS_ONLINE
        assert view.position.latitude == pytest.approx(offset(100)[0])

        await late.at(-200, 100)
        delta = await viewer.until(upserted(late))
        assert not delta.snapshot
        assert delta.sequence > first.sequence

        await early.at(900)  # leaves the box
        gone = await viewer.until(lambda f: early.name in f.rider_removals)
        assert not gone.snapshot
        assert viewer.shown() == {late.name}
        sequences = [f.sequence for f in viewer.frames]
        assert sequences == sorted(set(sequences))
    finally:
        viewer.cancel()
        for rider in (early, late, outside):
            await rider.close()


async def test_a_view_keeps_only_the_latest_position_of_a_rider_per_frame(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    viewer = subscribe(channel, tenant, box(-2000, -2000, 2000, 2000))
    try:
        await viewer.until(lambda f: f.snapshot)
        for step in range(10):  # ten pings well inside one 200 ms frame interval
            await rider.at(10.0 * step)
        last = offset(90.0)[0]
        await viewer.until(
            lambda f: any(r.position.latitude == pytest.approx(last) for r in f.rider_upserts)
        )
        for frame in viewer.frames:
            assert len([r for r in frame.rider_upserts if r.rider == rider.name]) <= 1
        assert len(viewer.frames) < 10
    finally:
        viewer.cancel()
        await rider.close()


async def test_watch_fleet_moves_its_area_mid_stream(channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    here, there = await RiderApp.create(channel, tenant), await RiderApp.create(channel, tenant)
    await here.at(0)
    await there.at(10_000)
    requests: asyncio.Queue[telemetry_pb2.WatchFleetRequest | None] = asyncio.Queue()

    async def outgoing() -> AsyncIterator[telemetry_pb2.WatchFleetRequest]:
        while (request := await requests.get()) is not None:
            yield request

    await requests.put(
        telemetry_pb2.WatchFleetRequest(
            subscription=telemetry_pb2.FleetSubscription(bounding_box=box(-300, -300, 300, 300))
        )
    )
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).WatchFleet(
        outgoing(), metadata=bearer(token(tenant, ["logistics:read"]))
    )
    viewer = Viewer(call)
    try:
        first = await viewer.until(lambda f: f.snapshot)
        assert [r.rider for r in first.rider_upserts] == [here.name]
        await requests.put(
            telemetry_pb2.WatchFleetRequest(
                subscription=telemetry_pb2.FleetSubscription(
                    bounding_box=box(9_700, -300, 10_300, 300)
                )
            )
        )
        moved = await viewer.until(lambda f: f.snapshot and f.sequence > first.sequence)
        assert [r.rider for r in moved.rider_upserts] == [there.name]
        await there.at(10_050)
        await viewer.until(upserted(there))
        await here.at(20)  # no longer watched
        await asyncio.sleep(0.6)
        assert viewer.shown() == {there.name}
        await requests.put(None)
    finally:
        viewer.cancel()
        await here.close()
        await there.close()


async def test_a_bad_subscription_is_invalid_argument(channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    inverted = box(500, 500, -500, -500)
    viewer = subscribe(channel, tenant, inverted)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await viewer.reader
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "bounding_box" in (error.value.details() or "")


# --- fan-out across processes ----------------------------------------------------------------


async def test_a_viewer_on_one_process_sees_pings_ingested_by_another(
    channel: grpc.aio.Channel, second_server: RunningServer
) -> None:
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    async with grpc.aio.insecure_channel(second_server.grpc_target) as other:
        viewer = subscribe(other, tenant, box(-1000, -1000, 1000, 1000))
        try:
            await viewer.until(lambda f: f.snapshot)
            await rider.at(50)
            frame = await viewer.until(upserted(rider))
            assert frame.rider_upserts[0].position.latitude == pytest.approx(offset(50)[0])
        finally:
            viewer.cancel()
            await rider.close()


# --- isolation --------------------------------------------------------------------------------


async def test_viewers_see_only_their_tenant(channel: grpc.aio.Channel) -> None:
    mine, theirs = unique_tenant(), unique_tenant()
    rider = await RiderApp.create(channel, mine)
    stranger = await RiderApp.create(channel, theirs)
    viewer = subscribe(channel, mine, box(-1000, -1000, 1000, 1000))
    try:
        await viewer.until(lambda f: f.snapshot)
        await stranger.at(10)
        await rider.at(20)
        await viewer.until(upserted(rider))
        assert stranger.name not in viewer.shown()
        other = subscribe(
            channel,
            theirs,
            box(-1000, -1000, 1000, 1000),
            metadata=bearer(token(mine, ["logistics:read"])),
        )
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await other.reader
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        viewer.cancel()
        await rider.close()
        await stranger.close()


async def test_watching_needs_the_read_scope(channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    viewer = subscribe(
        channel,
        tenant,
        box(-100, -100, 100, 100),
        metadata=bearer(token(tenant, ["logistics:telemetry"], rider_id=str(uuid.uuid4()))),
    )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await viewer.reader
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def create_zone(channel: grpc.aio.Channel, tenant: str, north_m: float) -> str:
    """A zone fence: a 1 km square centred ``north_m`` north of Nairobi; returns its id."""
    corners = [offset(north_m - 500, -500), offset(north_m - 500, 500)]
    corners += [offset(north_m + 500, 500), offset(north_m + 500, -500)]
    fence = await telemetry_pb2_grpc.TelemetryServiceStub(channel).CreateGeofence(
        telemetry_pb2.CreateGeofenceRequest(
            parent=f"tenants/{tenant}",
            geofence=telemetry_pb2.Geofence(
                display_name=f"zone {north_m}",
                kind=telemetry_pb2.Geofence.KIND_ZONE,
                polygon=telemetry_pb2.Polygon(
                    vertices=[common_pb2.GeoPoint(latitude=a, longitude=b) for a, b in corners]
                ),
            ),
        ),
        metadata=bearer(token(tenant)),
    )
    return fence.name.rsplit("/", 1)[1]


async def test_a_zone_restricted_dispatcher_sees_only_its_zones(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    north, south = await create_zone(channel, tenant, 0), await create_zone(channel, tenant, -3000)
    inside, elsewhere = (
        await RiderApp.create(channel, tenant),
        await RiderApp.create(channel, tenant),
    )
    await inside.at(100)
    await elsewhere.at(-3000)
    restricted = bearer(token(tenant, ["logistics:read"], zones=[north]))
    viewer = subscribe(channel, tenant, box(-5000, -5000, 5000, 5000), metadata=restricted)
    try:
        first = await viewer.until(lambda f: f.snapshot)
        assert [r.rider for r in first.rider_upserts] == [inside.name]
        await elsewhere.at(-2900)
        await inside.at(150)
        await viewer.until(lambda f: any(r.rider == inside.name for r in f.rider_upserts))
        assert viewer.shown() == {inside.name}
        call = telemetry_pb2_grpc.TelemetryServiceStub(channel).SubscribeFleet(
            telemetry_pb2.SubscribeFleetRequest(
                parent=f"tenants/{tenant}",
                subscription=telemetry_pb2.FleetSubscription(
                    zone=f"tenants/{tenant}/geofences/{south}"
                ),
            ),
            metadata=restricted,
        )
        with pytest.raises(grpc.aio.AioRpcError) as error:
            async for _ in call:
                pass
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        viewer.cancel()
        await inside.close()
        await elsewhere.close()


# --- slow viewers --------------------------------------------------------------------------------


async def test_a_stalled_viewer_is_cut_off_and_does_not_slow_a_healthy_one(
    live_server: Listeners,
) -> None:
    tenant = unique_tenant()
    # A tiny flow-control window: a viewer that stops reading blocks the server's writes soon.
    tight = [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]
    async with (
        grpc.aio.insecure_channel(live_server.grpc_target) as channel,
        grpc.aio.insecure_channel(live_server.grpc_target, options=tight) as slow_channel,
    ):
        riders = [await RiderApp.create(channel, tenant) for _ in range(30)]
        area = box(-3000, -3000, 3000, 3000)
        stalled = telemetry_pb2_grpc.TelemetryServiceStub(slow_channel).SubscribeFleet(
            telemetry_pb2.SubscribeFleetRequest(
                parent=f"tenants/{tenant}",
                subscription=telemetry_pb2.FleetSubscription(bounding_box=area),
            ),
            metadata=bearer(token(tenant, ["logistics:read"])),
        )
        await stalled.initial_metadata()  # open, then never read
        healthy = subscribe(channel, tenant, area)
        try:
            await healthy.until(lambda f: f.snapshot)
            lags: list[float] = []
            started = time.monotonic()
            round_ = 0
            while time.monotonic() - started < 5.0:
                round_ += 1
                sent = time.monotonic()
                for i, rider in enumerate(riders):
                    await rider.at(10.0 * i, 5.0 * round_)
                last = riders[-1]
                lat = offset(10.0 * (len(riders) - 1), 5.0 * round_)[1]
                await healthy.until(
                    lambda f, last=last, lat=lat: any(
                        r.rider == last.name and r.position.longitude == pytest.approx(lat)
                        for r in f.rider_upserts
                    )
                )
                lags.append(time.monotonic() - sent)
            # The healthy viewer kept getting frames within an interval or so of each round.
            assert max(lags[1:]) < 1.5, lags
            # Reading again, the stalled viewer gets what was in flight, then the reason.
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await asyncio.wait_for(_drain(stalled), 10)
            assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "took no frame" in (error.value.details() or "")
            async with httpx.AsyncClient() as http:
                metrics = (await http.get(f"{live_server.http_url}/metrics")).text
            detached = [
                float(line.split()[-1])
                for line in metrics.splitlines()
                if line.startswith("logistics_live_viewers_stalled_total")
            ]
            assert detached
            assert detached[0] >= 1
        finally:
            healthy.cancel()
            stalled.cancel()
            for rider in riders:
                await rider.close()


async def _drain(call: Any) -> None:
    async for _ in call:
        pass


# --- alerts ----------------------------------------------------------------------------------


async def test_alerts_in_the_area_reach_the_view(
    channel: grpc.aio.Channel, server_urls: ServerUrls
) -> None:
    """The relay's events (published here as the relay would) become alerts in the view."""
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    await rider.at(0)
    viewer = subscribe(channel, tenant, box(-1000, -1000, 1000, 1000))
    client = await nats.connect(server_urls.nats_url)
    try:
        await viewer.until(lambda f: f.snapshot)
        lat, lng = offset(10)
        data = struct_pb2.Struct()
        data.update({"rider": rider.name, "latitude": lat, "longitude": lng, "tenant": tenant})
        event = events_pb2.Event(
            id=str(uuid.uuid4()),
            type="geofence.entered",
            tenant=tenant,
            resource=rider.name,
            data=data,
        )
        event.event_time.GetCurrentTime()
        far = events_pb2.Event()
        far.CopyFrom(event)
        far.id = str(uuid.uuid4())
        far.data.update({"latitude": offset(9000)[0]})
        far.type = "geofence.exited"
        await client.publish("logistics.geofence.exited", far.SerializeToString())
        await client.publish("logistics.geofence.entered", event.SerializeToString())
        frame = await viewer.until(lambda f: len(f.alerts) > 0)
        assert [(a.type, a.rider) for a in frame.alerts] == [
            (Alert.TYPE_GEOFENCE_ENTERED, rider.name)
        ]
        assert frame.alerts[0].position.latitude == pytest.approx(lat)
    finally:
        await client.close()
        viewer.cancel()
        await rider.close()


async def test_an_event_published_twice_shows_once_in_the_view(
    channel: grpc.aio.Channel, server_urls: ServerUrls
) -> None:
    """A relay that crashed before marking its batch publishes it again: core NATS delivers
    both copies, and the view shows the event once."""
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    await rider.at(0)
    viewer = subscribe(channel, tenant, box(-1000, -1000, 1000, 1000))
    client = await nats.connect(server_urls.nats_url)

    def alert(event_type: str) -> events_pb2.Event:
        lat, lng = offset(10)
        data = struct_pb2.Struct()
        data.update({"rider": rider.name, "latitude": lat, "longitude": lng, "tenant": tenant})
        event = events_pb2.Event(
            id=str(uuid.uuid4()), type=event_type, tenant=tenant, resource=rider.name, data=data
        )
        event.event_time.GetCurrentTime()
        return event

    def alerts(alert_type: int) -> int:
        return sum(a.type == alert_type for f in viewer.frames for a in f.alerts)

    try:
        await viewer.until(lambda f: f.snapshot)
        entered = alert("geofence.entered").SerializeToString()
        await client.publish("logistics.geofence.entered", entered)
        await viewer.until(lambda f: any(a.type == Alert.TYPE_GEOFENCE_ENTERED for a in f.alerts))
        await client.publish("logistics.geofence.entered", entered)  # the relay's second copy
        await client.publish(
            "logistics.geofence.dwelled", alert("geofence.dwelled").SerializeToString()
        )
        await viewer.until(lambda f: any(a.type == Alert.TYPE_GEOFENCE_DWELLED for a in f.alerts))
        assert alerts(Alert.TYPE_GEOFENCE_ENTERED) == 1
        assert alerts(Alert.TYPE_GEOFENCE_DWELLED) == 1
    finally:
        await client.close()
        viewer.cancel()
        await rider.close()


# --- Connect (browsers) ------------------------------------------------------------------------


async def test_subscribe_fleet_over_connect_streams_json_frames(
    channel: grpc.aio.Channel, live_server: Listeners
) -> None:
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    await rider.at(0)
    body = {
        "parent": f"tenants/{tenant}",
        "subscription": {
            "boundingBox": {
                "southWest": dict(zip(("latitude", "longitude"), offset(-500, -500), strict=True)),
                "northEast": dict(zip(("latitude", "longitude"), offset(500, 500), strict=True)),
            }
        },
    }
    envelope = json.dumps(body).encode()
    url = f"{live_server.http_url}/bengobox.logistics.v1.TelemetryService/SubscribeFleet"
    headers = {
        "content-type": "application/connect+json",
        "authorization": f"Bearer {token(tenant, ['logistics:read'])}",
    }
    frames: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "POST",
            url,
            content=struct.pack(">BI", 0, len(envelope)) + envelope,
            headers=headers,
        ) as response,
    ):
        assert response.status_code == 200
        buffer = b""
        async for chunk in response.aiter_bytes():
            buffer += chunk
            while len(buffer) >= 5:
                flags, size = struct.unpack(">BI", buffer[:5])
                if len(buffer) < 5 + size:
                    break
                message, buffer = json.loads(buffer[5 : 5 + size]), buffer[5 + size :]
                if flags & 0x02:
                    raise AssertionError(f"stream ended: {message}")
                frames.append(message["frame"])
                if len(frames) == 1:
                    await rider.at(30)
            if len(frames) >= 2:
                break
    assert frames[0]["snapshot"] is True
    assert frames[0]["riderUpserts"][0]["rider"] == rider.name
    assert frames[1]["riderUpserts"][0]["rider"] == rider.name
    await rider.close()


# --- TrackTask ---------------------------------------------------------------------------------


async def test_track_task_follows_the_rider_until_the_task_is_completed(
    channel: grpc.aio.Channel,
) -> None:
    tenant = unique_tenant()
    rider = await RiderApp.create(channel, tenant)
    await rider.at(0)
    tasks = task_pb2_grpc.TaskServiceStub(channel)
    admin = bearer(token(tenant))
    drop = offset(2000)
    created = await tasks.CreateTask(
        task_pb2.CreateTaskRequest(
            parent=f"tenants/{tenant}",
            task=task_pb2.Task(
                kind=task_pb2.Task.KIND_DELIVERY,
                steps=[
                    task_pb2.TaskStep(
                        kind=task_pb2.TaskStep.KIND_PICKUP,
                        location=common_pb2.GeoPoint(latitude=offset(500)[0], longitude=NAIROBI[1]),
                    ),
                    task_pb2.TaskStep(
                        kind=task_pb2.TaskStep.KIND_DROP_OFF,
                        location=common_pb2.GeoPoint(latitude=drop[0], longitude=drop[1]),
                    ),
                ],
            ),
        ),
        metadata=admin,
    )
    task_id = created.name.rsplit("/", 1)[1]
    tracking = bearer(token(tenant, [], task_id=task_id))
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).TrackTask(
        telemetry_pb2.TrackTaskRequest(task=created.name), metadata=tracking
    )
    updates: list[telemetry_pb2.TrackTaskResponse] = []

    async def read() -> None:
        async for update in call:
            updates.append(update)

    reader = asyncio.create_task(read())

    async def until(check: Any, within: float = 15.0) -> telemetry_pb2.TrackTaskResponse:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for update in updates:
                if check(update):
                    return update
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such update; got {updates}")

    try:
        await until(lambda u: u.state == Task.STATE_CREATED)
        await dispatch_pb2_grpc.DispatchServiceStub(channel).AssignTask(
            dispatch_pb2.AssignTaskRequest(task=created.name, rider=rider.name, reason="test"),
            metadata=admin,
        )
        await rider.at(100)
        moving = await until(
            lambda u: u.state == Task.STATE_ASSIGNED and u.HasField("rider_position")
        )
        assert moving.rider == rider.name
        assert moving.eta.ToTimedelta() > timedelta(0)
        await rider.at(300)
        await until(lambda u: u.rider_position.latitude == pytest.approx(offset(300)[0], abs=1e-7))
        await tasks.StartTask(task_pb2.StartTaskRequest(name=created.name), metadata=admin)
        await until(lambda u: u.state == Task.STATE_EN_ROUTE)
        for step in ("0", "1"):
            await tasks.ArriveAtStep(
                task_pb2.ArriveAtStepRequest(name=created.name, step_id=step), metadata=admin
            )
            await tasks.CompleteStep(
                task_pb2.CompleteStepRequest(name=created.name, step_id=step), metadata=admin
            )
        await asyncio.wait_for(reader, 15)  # the stream ends with the task
        assert updates[-1].state == Task.STATE_COMPLETED
        assert not updates[-1].HasField("rider_position")
        assert await call.code() == grpc.StatusCode.OK
        # The tracking token follows that task only.
        other = telemetry_pb2_grpc.TelemetryServiceStub(channel).TrackTask(
            telemetry_pb2.TrackTaskRequest(task=f"tenants/{tenant}/tasks/{uuid.uuid4()}"),
            metadata=tracking,
        )
        with pytest.raises(grpc.aio.AioRpcError) as error:
            async for _ in other:
                pass
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        reader.cancel()
        await rider.close()
