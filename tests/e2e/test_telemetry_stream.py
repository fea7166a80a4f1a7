"""The rider's location stream end to end: a real server, a grpcio client, what the acks say,
what lands in the track table, the outbox and the live index, limits, keep-alives and a Redis
restart under a running stream."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import httpx
import pytest
import redis.asyncio as aioredis
from bengobox.logistics.v1 import (
    common_pb2,
    telemetry_pb2,
    telemetry_pb2_grpc,
)
from google.protobuf import duration_pb2
from prometheus_client.parser import text_string_to_metric_families

from logistics.domain.geofence import Circle, FenceKind, Geofence
from logistics.domain.ids import TenantSlug
from logistics.geo.live_index import LiveIndex
from logistics.geo.live_values import LivePosition
from logistics.store.unit_of_work import Store
from tests.support.auth import bearer, token, unique_tenant
from tests.support.errors import retry_delay
from tests.support.private_redis import PrivateRedis
from tests.support.protos import ts
from tests.support.servers import (
    Listeners,
    RunningServer,
    ServerUrls,
    server_in_process,
    start_server,
    stop_server,
)
from tests.support.telemetry import (
    BASE,
    NAIROBI,
    Rider,
    Stream,
    events,
    new_rider,
    offset,
    ping,
    pings,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

Reason = telemetry_pb2.PingRejectReason


# --- helpers -------------------------------------------------------------------------------


async def stored_sequences(owner: asyncpg.Connection, rider: Rider) -> list[int]:
    rows = await owner.fetch(
        "SELECT sequence FROM track_points WHERE rider_id = $1 ORDER BY sequence",
        uuid.UUID(rider.id),
    )
    return [r["sequence"] for r in rows]


# --- acknowledgements ------------------------------------------------------------------------


async def test_acks_carry_the_highest_contiguous_sequence(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    stream = Stream(grpc_channel, rider.app)
    assert (await stream.send(*pings(1, 2, 4))).contiguous_sequence == 2
    assert (await stream.send(*pings(5, 6))).contiguous_sequence == 2
    assert (await stream.send(*pings(3))).contiguous_sequence == 6
    assert (await stream.send(*pings(7))).contiguous_sequence == 7
    await stream.close()
    assert await stored_sequences(owner, rider) == [1, 2, 3, 4, 5, 6, 7]


async def test_out_of_order_batches_are_acknowledged_once_the_gap_fills(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    stream = Stream(grpc_channel, rider.app)
    acks = [
        (await stream.send(*batch)).contiguous_sequence
        for batch in (pings(1), pings(8, 9, 10), pings(5, 4), pings(7, 6), pings(3, 2))
    ]
    await stream.close()
    assert acks == [1, 1, 1, 1, 10]
    assert await stored_sequences(owner, rider) == list(range(1, 11))


async def test_a_replayed_batch_is_not_counted_twice(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    stream = Stream(grpc_channel, rider.app)
    assert (await stream.send(*pings(1, 2, 3))).contiguous_sequence == 3
    assert (await stream.send(*pings(1, 2, 3))).contiguous_sequence == 3
    assert (await stream.send(*pings(3, 3, 2, 4))).contiguous_sequence == 4
    await stream.close()
    assert await stored_sequences(owner, rider) == [1, 2, 3, 4]


async def test_a_stream_dropped_mid_batch_resumes_without_loss_or_double_count(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    first = Stream(grpc_channel, rider.app)
    assert (await first.send(*pings(1, 2, 3, 4, 5))).contiguous_sequence == 5
    assert (await first.send(*pings(6, 7, 8, 9, 10))).contiguous_sequence == 10
    # The connection drops right after the next batch goes out, before its ack is read.
    await first.call.write(
        telemetry_pb2.StreamLocationsRequest(
            batch=telemetry_pb2.PingBatch(pings=pings(11, 12, 13, 14, 15))
        )
    )
    first.call.cancel()
    # The app resends from its last ack + 1, with some already acknowledged pings again.
    second = Stream(grpc_channel, rider.app)
    assert (await second.send(*pings(8, 9, 10, 11, 12, 13, 14, 15))).contiguous_sequence == 15
    assert (await second.send(*pings(14, 15, 16, 17, 18, 19, 20))).contiguous_sequence == 20
    await second.close()
    assert await stored_sequences(owner, rider) == list(range(1, 21))
    track = await telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel).GetTrack(
        telemetry_pb2.GetTrackRequest(
            rider=rider.name,
            window=common_pb2.TimeWindow(
                start_time=ts(BASE), end_time=ts(BASE + timedelta(minutes=1))
            ),
        ),
        metadata=rider.admin,
    )
    assert len(track.points) == 20


async def test_out_of_order_batches_right_after_a_reconnect_are_not_acknowledged_early(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    first = Stream(grpc_channel, rider.app)
    assert (await first.send(*pings(1, 2))).contiguous_sequence == 2
    await first.close()
    second = Stream(grpc_channel, rider.app)
    early = (await second.send(*pings(5, 6))).contiguous_sequence
    late = (await second.send(*pings(3, 4))).contiguous_sequence
    await second.close()
    assert (early, late) == (2, 6)
    assert await stored_sequences(owner, rider) == [1, 2, 3, 4, 5, 6]


# --- checks ----------------------------------------------------------------------------------


async def test_each_rejection_reason_is_in_the_ack_and_the_stream_goes_on(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    no_time = ping(4)
    no_time.ClearField("record_time")
    stream = Stream(grpc_channel, rider.app)
    ack = await stream.send(
        ping(1),
        ping(2, at=(91.0, 36.8)),
        ping(3, accuracy=500.0),
        no_time,
        ping(5, seconds=3 * 3600),  # recorded three hours from now
        ping(6, at=offset(20_000)),  # 20 km from ping 1 a few seconds later
        ping(7),
        ping(0),
    )
    assert ack.contiguous_sequence == 7
    assert [(r.sequence, r.reason) for r in ack.rejected] == [
        (0, Reason.PING_REJECT_REASON_OUT_OF_RANGE),
        (2, Reason.PING_REJECT_REASON_OUT_OF_RANGE),
        (3, Reason.PING_REJECT_REASON_INACCURATE),
        (4, Reason.PING_REJECT_REASON_OUT_OF_RANGE),
        (5, Reason.PING_REJECT_REASON_FUTURE_TIME),
        (6, Reason.PING_REJECT_REASON_SPOOFING_SUSPECTED),
    ]
    assert all(r.detail for r in ack.rejected)
    next_ack = await stream.send(*pings(8, 9))
    await stream.close()
    assert (next_ack.contiguous_sequence, list(next_ack.rejected)) == (9, [])
    assert await stored_sequences(owner, rider) == [1, 7, 8, 9]
    spoofing = await events(owner, rider.tenant, "rider.spoofing_suspected")
    assert [(e["rider"], e["sequence"]) for e in spoofing] == [(rider.name, 6)]


async def test_resending_acknowledged_pings_after_a_reconnect_does_not_rejudge_them(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    first = Stream(grpc_channel, rider.app)
    ack = await first.send(ping(1), ping(2, at=offset(20_000)), ping(3))
    assert (ack.contiguous_sequence, [r.sequence for r in ack.rejected]) == (3, [2])
    await first.close()
    # The app resends its last pings, acknowledged ones included, exactly as before.
    second = Stream(grpc_channel, rider.app)
    ack = await second.send(ping(2, at=offset(20_000)), ping(3), ping(4))
    await second.close()
    assert (ack.contiguous_sequence, [r.sequence for r in ack.rejected]) == (4, [])
    assert await stored_sequences(owner, rider) == [1, 3, 4]
    assert len(await events(owner, rider.tenant, "rider.spoofing_suspected")) == 1


async def test_a_jump_right_after_a_reconnect_is_still_suspected(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store)
    first = Stream(grpc_channel, rider.app)
    assert (await first.send(ping(1))).contiguous_sequence == 1
    await first.close()
    second = Stream(grpc_channel, rider.app)
    ack = await second.send(ping(2, at=offset(20_000)))
    await second.close()
    assert [(r.sequence, r.reason) for r in ack.rejected] == [
        (2, Reason.PING_REJECT_REASON_SPOOFING_SUSPECTED)
    ]
    assert await stored_sequences(owner, rider) == [1]


async def test_the_speed_limit_follows_the_riders_vehicle(
    grpc_channel: grpc.aio.Channel,
) -> None:
    # 300 m in 10 s (30 m/s): a car can, a bicycle cannot.
    for vehicle, rejected in (
        (common_pb2.VEHICLE_TYPE_CAR, []),
        (common_pb2.VEHICLE_TYPE_BICYCLE, [2]),
    ):
        rider = await new_rider(grpc_channel, vehicle=vehicle)
        stream = Stream(grpc_channel, rider.app)
        ack = await stream.send(ping(1, 0, offset(0)), ping(2, 10, offset(300)))
        await stream.close()
        assert [r.sequence for r in ack.rejected] == rejected


# --- who may stream ----------------------------------------------------------------------------


async def _stream_error(
    channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...] | None
) -> grpc.StatusCode:
    call = telemetry_pb2_grpc.TelemetryServiceStub(channel).StreamLocations(metadata=metadata)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(call.read(), 15)
    return caught.value.code()


async def test_only_a_rider_token_may_stream(grpc_channel: grpc.aio.Channel) -> None:
    rider = await new_rider(grpc_channel)
    assert await _stream_error(grpc_channel, None) == grpc.StatusCode.UNAUTHENTICATED
    assert (
        await _stream_error(grpc_channel, bearer("not-a-token")) == grpc.StatusCode.UNAUTHENTICATED
    )
    no_rider = bearer(token(rider.tenant, ["logistics:telemetry"]))
    assert await _stream_error(grpc_channel, no_rider) == grpc.StatusCode.PERMISSION_DENIED
    bad_id = bearer(token(rider.tenant, ["logistics:telemetry"], rider_id="rider-7"))
    assert await _stream_error(grpc_channel, bad_id) == grpc.StatusCode.PERMISSION_DENIED
    no_scope = bearer(token(rider.tenant, ["logistics:read"], rider_id=rider.id))
    assert await _stream_error(grpc_channel, no_scope) == grpc.StatusCode.PERMISSION_DENIED
    unknown = bearer(token(rider.tenant, ["logistics:telemetry"], rider_id=str(uuid.uuid4())))
    assert await _stream_error(grpc_channel, unknown) == grpc.StatusCode.NOT_FOUND


# --- limits and keep-alives (a server with small limits) ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Limited:
    channel: grpc.aio.Channel
    http_url: str

    async def stream_calls(self) -> dict[str, float]:
        """StreamLocations calls counted by /metrics, by status code."""
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.http_url}/metrics")).text
        counts = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "logistics_rpc_calls_total" and sample.labels["method"].endswith(
                    "/StreamLocations"
                ):
                    counts[sample.labels["code"]] = sample.value
        return counts


@pytest.fixture(scope="module")
async def limited(server_urls: ServerUrls) -> AsyncIterator[Limited]:
    running: Listeners
    async with (
        server_in_process(
            server_urls,
            LOGISTICS_STREAM_MAX_PINGS="5",
            LOGISTICS_STREAM_BATCHES_PER_SECOND="1",
            LOGISTICS_STREAM_BURST="3",
            LOGISTICS_STREAM_KEEPALIVE_SECONDS="0.3",
        ) as running,
        grpc.aio.insecure_channel(running.grpc_target) as channel,
    ):
        yield Limited(channel, running.http_url)


async def test_a_malformed_message_ends_the_stream_as_invalid_argument_after_earlier_acks(
    grpc_channel: grpc.aio.Channel,
) -> None:
    rider = await new_rider(grpc_channel)
    raw = grpc_channel.stream_stream(
        "/bengobox.logistics.v1.TelemetryService/StreamLocations",
        request_serializer=lambda b: b,
        response_deserializer=telemetry_pb2.StreamLocationsResponse.FromString,
    )
    call = raw(metadata=rider.app)
    good = telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=pings(1, 2)))
    await call.write(good.SerializeToString())
    reply = await asyncio.wait_for(call.read(), 15)
    assert reply.ack.contiguous_sequence == 2
    await call.write(b"\x0a\xff\xff")  # a batch whose length runs past the message
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await asyncio.wait_for(call.read(), 15)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed" in (caught.value.details() or "")
    # What was acked stays acked: a new stream carries on from it.
    again = Stream(grpc_channel, rider.app)
    assert (await again.send(ping(3))).contiguous_sequence == 3
    await again.close()


async def test_a_draining_server_ends_rider_streams_cleanly_and_what_was_acked_is_kept(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = await start_server(server_urls, tmp_path_factory.mktemp("drain-stream"))
    try:
        async with grpc.aio.insecure_channel(server.grpc_target) as channel:
            rider = await new_rider(channel)
            stream = Stream(channel, rider.app)
            assert (await stream.send(*pings(1, 2, 3))).contiguous_sequence == 3
            server.process.terminate()
            # The stream ends with OK (the app reconnects elsewhere), well inside the grace.
            while await asyncio.wait_for(stream.call.read(), 5) is not grpc.aio.EOF:
                pass
            assert await stream.call.code() == grpc.StatusCode.OK
        assert await asyncio.to_thread(server.process.wait, 15) == 0
    finally:
        stop_server(server)
    index = aioredis.from_url(server_urls.redis_url)
    try:
        state = await LiveIndex(index).stream_state(rider.tenant, rider.id)
    finally:
        await index.aclose()
    assert state.contiguous == 3


async def test_a_batch_over_the_ping_limit_is_resource_exhausted_with_retry_info(
    limited: Limited,
) -> None:
    rider = await new_rider(limited.channel)
    stream = Stream(limited.channel, rider.app)
    assert (await stream.send(*pings(1, 2, 3, 4, 5))).contiguous_sequence == 5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream.send(*pings(6, 7, 8, 9, 10, 11))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert retry_delay(caught.value) == timedelta(0)


async def test_a_rider_sending_batches_too_fast_is_told_when_to_retry(
    limited: Limited,
) -> None:
    rider = await new_rider(limited.channel)
    stream = Stream(limited.channel, rider.app)
    for sequence in (1, 2, 3):  # the burst
        assert (await stream.send(ping(sequence))).contiguous_sequence == sequence
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stream.send(ping(4))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # About a second (one batch a second), less the time the three batches took.
    assert timedelta(0) < retry_delay(caught.value) <= timedelta(seconds=1)
    # Told to wait, the app waits and carries on from its last ack on a new stream.
    await asyncio.sleep(1.0)
    again = Stream(limited.channel, rider.app)
    assert (await again.send(ping(4))).contiguous_sequence == 4
    await again.close()


async def test_an_idle_stream_receives_keep_alives(limited: Limited) -> None:
    rider = await new_rider(limited.channel)
    stream = Stream(limited.channel, rider.app)
    before = datetime.now(UTC)
    replies = [await asyncio.wait_for(stream.call.read(), 5) for _ in range(3)]
    assert all(r.HasField("keep_alive") for r in replies)
    for reply in replies:
        server_time = reply.keep_alive.server_time.ToDatetime(UTC)
        assert (
            before - timedelta(seconds=5) < server_time < datetime.now(UTC) + timedelta(seconds=5)
        )
    # The stream still works after idling.
    assert (await stream.send(ping(1))).contiguous_sequence == 1
    await stream.close()


async def test_streams_the_app_drops_are_not_counted_as_internal_errors(
    limited: Limited,
) -> None:
    drops = 8  # whether a drop hits the fault depends on timing: about half of them do
    before = await limited.stream_calls()
    rider = await new_rider(limited.channel)
    for sequence in range(1, drops + 1):
        stream = Stream(limited.channel, rider.app)
        assert (await stream.send(ping(sequence))).contiguous_sequence == sequence
        stream.call.cancel()

    async def all_counted() -> bool:
        return sum((await limited.stream_calls()).values()) >= sum(before.values()) + drops

    assert await eventually(all_counted, within=5.0)
    after = await limited.stream_calls()
    assert after.get("internal", 0) == before.get("internal", 0)


# --- tracks --------------------------------------------------------------------------------


async def test_get_track_returns_the_points_and_the_distance_along_them(
    grpc_channel: grpc.aio.Channel,
    store: Store,
) -> None:
    rider = await new_rider(grpc_channel, store)
    stream = Stream(grpc_channel, rider.app)
    await stream.send(
        ping(1, 0, offset(0)), ping(3, 20, offset(200, 150)), ping(2, 10, offset(200))
    )
    await stream.close()
    track = await telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel).GetTrack(
        telemetry_pb2.GetTrackRequest(
            rider=rider.name,
            window=common_pb2.TimeWindow(
                start_time=ts(BASE - timedelta(minutes=1)), end_time=ts(BASE + timedelta(hours=1))
            ),
        ),
        metadata=rider.admin,
    )
    times = [p.record_time.ToDatetime(UTC) for p in track.points]
    assert times == [BASE + timedelta(seconds=s) for s in (0, 10, 20)]
    assert [p.position.latitude for p in track.points] == pytest.approx(
        [offset(0)[0], offset(200)[0], offset(200, 150)[0]]
    )
    assert track.distance_m == pytest.approx(350, abs=1)


async def test_the_default_policy_keeps_one_point_per_five_seconds(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection
) -> None:
    rider = await new_rider(grpc_channel)
    stream = Stream(grpc_channel, rider.app)
    assert (await stream.send(*pings(*range(1, 12)))).contiguous_sequence == 11
    await stream.close()
    assert await stored_sequences(owner, rider) == [1, 6, 11]


# --- policy and geofence methods ---------------------------------------------------------------

SNAPSHOT_BUG = (
    "store/snapshot.py snapshot() has no timedelta case, so the audit row of "
    "UpdateTelemetryPolicy (TelemetryPolicy.sample_interval) and of CreateGeofence "
    "(Geofence.dwell_threshold, also in the geofence.created event) cannot be JSON-encoded: "
    "the call fails with INTERNAL 'Object of type timedelta is not JSON serializable'"
)


async def test_an_admin_can_change_the_telemetry_policy(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    telemetry = telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel)
    name = f"tenants/{tenant}/telemetryPolicy"
    updated = await telemetry.UpdateTelemetryPolicy(
        telemetry_pb2.UpdateTelemetryPolicyRequest(
            policy=telemetry_pb2.TelemetryPolicy(
                name=name, sample_interval=duration_pb2.Duration(seconds=0), retention_days=30
            )
        ),
        metadata=bearer(token(tenant)),
    )
    got = await telemetry.GetTelemetryPolicy(
        telemetry_pb2.GetTelemetryPolicyRequest(name=name), metadata=bearer(token(tenant))
    )
    assert (got.sample_interval.ToTimedelta(), got.retention_days) == (timedelta(0), 30)
    assert got.etag == updated.etag


async def test_an_admin_can_create_and_read_a_geofence(grpc_channel: grpc.aio.Channel) -> None:
    tenant = unique_tenant()
    telemetry = telemetry_pb2_grpc.TelemetryServiceStub(grpc_channel)
    created = await telemetry.CreateGeofence(
        telemetry_pb2.CreateGeofenceRequest(
            parent=f"tenants/{tenant}",
            geofence=telemetry_pb2.Geofence(
                display_name="Westlands hub",
                kind=telemetry_pb2.Geofence.KIND_HUB,
                circle=telemetry_pb2.Geofence.Circle(
                    center=common_pb2.GeoPoint(latitude=NAIROBI[0], longitude=NAIROBI[1]),
                    radius_m=200,
                ),
                dwell_threshold=duration_pb2.Duration(seconds=60),
            ),
        ),
        metadata=bearer(token(tenant)),
    )
    got = await telemetry.GetGeofence(
        telemetry_pb2.GetGeofenceRequest(name=created.name), metadata=bearer(token(tenant))
    )
    assert got == created
    assert got.dwell_threshold.ToTimedelta() == timedelta(seconds=60)


# --- geofences --------------------------------------------------------------------------------


async def test_geofence_enter_dwell_and_exit_are_emitted_once_despite_boundary_jitter(
    grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(grpc_channel, store, common_pb2.VEHICLE_TYPE_CAR)
    fence_id = uuid.uuid4()
    # Written directly: CreateGeofence fails (see test_an_admin_can_create_and_read_a_geofence).
    async with store.write(TenantSlug(rider.tenant)) as uow:
        await uow.geofences.add(
            Geofence(
                fence_id,
                "Westlands hub",
                FenceKind.HUB,
                Circle(*NAIROBI, 200.0),
                dwell_threshold=timedelta(seconds=60),
            )
        )
    # Distance north of the centre, second by second; accuracy 20 m throughout.
    path = [
        (0, 600),  # outside
        (10, 350),
        (20, 150),  # clearly inside: entered
        # Jitter within 20 m of the boundary: neither sure in nor sure out.
        (25, 215),
        (30, 185),
        (35, 212),
        (40, 190),
        (90, 205),  # still there a minute after entering: dwelled
        (95, 195),
        (100, 240),  # clearly outside: exited
        (105, 190),  # jitter back across the boundary, within accuracy
        (110, 215),
        (115, 185),
        (120, 230),
    ]
    stream = Stream(grpc_channel, rider.app)
    sequence = 0
    for chunk in (path[:3], path[3:7], path[7:9], path[9:]):
        batch = []
        for seconds, north in chunk:
            sequence += 1
            batch.append(ping(sequence, seconds, offset(north), accuracy=20.0))
        ack = await stream.send(*batch)
        assert (ack.contiguous_sequence, list(ack.rejected)) == (sequence, [])
    await stream.close()
    counts = {
        kind: await events(owner, rider.tenant, f"geofence.{kind}")
        for kind in ("entered", "dwelled", "exited")
    }
    assert {k: len(v) for k, v in counts.items()} == {"entered": 1, "dwelled": 1, "exited": 1}
    assert {e["geofence"] for v in counts.values() for e in v} == {
        f"tenants/{rider.tenant}/geofences/{fence_id}"
    }
    assert [
        e["record_time"][:19] for e in counts["entered"] + counts["dwelled"] + counts["exited"]
    ] == [(BASE + timedelta(seconds=s)).isoformat()[:19] for s in (20, 90, 100)]


# --- a Redis restart under a running stream ------------------------------------------------------


@dataclasses.dataclass
class RedisBacked:
    redis: PrivateRedis
    server: RunningServer
    channel: grpc.aio.Channel

    async def live(self, rider: Rider) -> LivePosition | None:
        """The rider in the server's live index (a new client: the old one died with Redis)."""
        client = aioredis.from_url(self.redis.url)
        try:
            return await LiveIndex(client).rider(rider.tenant, rider.id)
        finally:
            await client.aclose()


@pytest.fixture(scope="module")
async def redis_backed(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RedisBacked]:
    redis = PrivateRedis(tmp_path_factory.mktemp("private-redis"))
    await redis.start()
    running = None
    try:
        running = await start_server(
            dataclasses.replace(server_urls, redis_url=redis.url),
            tmp_path_factory.mktemp("redis-backed"),
            LOGISTICS_RIDER_OFFLINE_SECONDS="1",
            LOGISTICS_RIDER_STALE_SECONDS="1",
        )
        async with grpc.aio.insecure_channel(running.grpc_target) as channel:
            yield RedisBacked(redis, running, channel)
    finally:
        if running is not None:
            stop_server(running)
        redis.kill()


async def test_after_a_redis_restart_acks_continue_and_the_rider_is_indexed_again(
    redis_backed: RedisBacked, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(redis_backed.channel, store)
    stream = Stream(redis_backed.channel, rider.app)
    assert (await stream.send(*pings(1, 2, 3))).contiguous_sequence == 3
    live = await redis_backed.live(rider)
    assert live is not None
    assert live.record_time == BASE + timedelta(seconds=3)

    await redis_backed.redis.restart_empty()
    assert await redis_backed.live(rider) is None

    # The same stream: acks keep counting from where they were, replays stay replays.
    assert (await stream.send(*pings(3, 4, 5))).contiguous_sequence == 5
    assert (await stream.send(*pings(7))).contiguous_sequence == 5
    assert (await stream.send(*pings(6))).contiguous_sequence == 7
    live = await redis_backed.live(rider)
    assert live is not None
    assert live.record_time == BASE + timedelta(seconds=7)
    await stream.close()

    # A new stream resumes from the last ack.
    again = Stream(redis_backed.channel, rider.app)
    assert (await again.send(*pings(6, 7, 8, 9))).contiguous_sequence == 9
    assert (await again.send(*pings(11))).contiguous_sequence == 9
    assert (await again.send(*pings(10))).contiguous_sequence == 11
    await again.close()
    live = await redis_backed.live(rider)
    assert live is not None
    assert live.record_time == BASE + timedelta(seconds=11)
    assert await stored_sequences(owner, rider) == list(range(1, 12))


async def test_a_rider_streaming_through_a_redis_restart_still_goes_offline_when_it_stops(
    redis_backed: RedisBacked, owner: asyncpg.Connection, store: Store
) -> None:
    rider = await new_rider(redis_backed.channel, store)
    stream = Stream(redis_backed.channel, rider.app)
    assert (await stream.send(*pings(1))).contiguous_sequence == 1
    await redis_backed.redis.restart_empty()
    assert (await stream.send(*pings(2))).contiguous_sequence == 2
    await stream.close()

    async def offline() -> bool:
        return bool(await events(owner, rider.tenant, "rider.offline"))

    assert await eventually(offline, within=3.0)
