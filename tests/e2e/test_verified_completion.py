"""Verified completion end to end, over gRPC and Connect: an arrival or completion far from the
step flagged (the step's check in GetTask, the trail, the outbox event), refused under a strict
policy with nothing changed, accepted near the step; the live fix judged when the action sends
no position; no position at all per policy; a replay after reconnect answered as the first
time; and the completion policy itself."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    fleet_pb2,
    task_connect,
    task_pb2,
    telemetry_pb2,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import duration_pb2
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2

from logistics.domain.telemetry import EARTH_RADIUS_M
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth, headers, unique_tenant
from tests.support.errors import fails, status_of
from tests.support.private_redis import PrivateRedis
from tests.support.protos import ts
from tests.support.servers import RunningServer, ServerUrls, server_in_process
from tests.support.tasks import Api, T, drop_off, last_id, pickup, point
from tests.support.telemetry import Stream, events

pytestmark = pytest.mark.e2e

Policy = task_pb2.CompletionPolicy
Check = task_pb2.PresenceCheck
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
PICKUP_AT, DROP_AT = (-1.2833, 36.8167), (-1.3000, 36.7800)


def north_of(at: tuple[float, float], metres: float) -> common_pb2.GeoPoint:
    return point(at[0] + math.degrees(metres / EARTH_RADIUS_M), at[1])


NEAR_DROP = north_of(DROP_AT, 20)
FAR_FROM_DROP = north_of(DROP_AT, 2100)


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


async def at_drop_off(api: Api) -> tuple[task_pb2.Task, str, Any]:
    """A task whose rider (acting with its own token) has picked up and arrived at the drop-off;
    returns the task, the rider and the rider's token."""
    task = await api.create(pickup(), drop_off())
    rider = await api.rider()
    md = api.rider_md(rider)
    await api.assign(task.name, rider)
    await api.start(task.name, md=md)
    await api.arrive(task.name, "0", md=md, location=point(*PICKUP_AT), location_accuracy_m=8)
    await api.complete(task.name, "0", md=md, location=point(*PICKUP_AT))
    await api.arrive(task.name, "1", md=md, location=NEAR_DROP, location_accuracy_m=8)
    return await api.get(task.name), rider, md


async def set_policy(api: Api, **fields: Any) -> task_pb2.CompletionPolicy:
    return await api.tasks.UpdateCompletionPolicy(
        task_pb2.UpdateCompletionPolicyRequest(
            policy=Policy(name=f"{api.parent}/completionPolicy", **fields)
        ),
        metadata=api.md,
    )


def info_of(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for detail in status_of(error).details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError("no ErrorInfo")


async def flagged_events(owner: asyncpg.Connection, api: Api) -> list[dict[str, Any]]:
    return await events(owner, api.tenant, "task.completion_flagged")


async def test_a_completion_far_from_the_drop_off_is_flagged_on_the_step_trail_and_bus(
    api: Api, owner: asyncpg.Connection
) -> None:
    task, _, md = await at_drop_off(api)
    assert task.steps[1].arrival_check.verdict == Check.VERDICT_INSIDE
    assert not task.steps[1].arrival_check.flagged
    done = await api.complete(task.name, "1", md=md, location=FAR_FROM_DROP, location_accuracy_m=12)
    assert done.state == T.STATE_COMPLETED  # flagged, not refused: the default policy
    check = (await api.get(task.name)).steps[1].completion_check
    assert (check.verdict, check.flagged, check.source) == (
        Check.VERDICT_OUTSIDE,
        True,
        Check.SOURCE_REQUEST,
    )
    assert check.distance_m == pytest.approx(2100, abs=1)
    assert (check.radius_m, check.accuracy_m) == (100, 12)
    trail = await api.events(task.name)
    assert [e.type for e in trail][-2:] == ["completed", "completion_flagged"]
    flag = trail[-1]
    assert flag.step_id == "1"
    assert flag.reason == (
        "completed 2.1 km from the drop-off (allowed 100 m + accuracy 12 m; request position)"
    )
    assert flag.location.latitude == pytest.approx(FAR_FROM_DROP.latitude)
    [event] = await flagged_events(owner, api)
    assert event["name"] == task.name
    assert event["action"] == "complete"
    assert event["step_id"] == "1"
    assert event["check"]["verdict"] == "outside"
    assert event["check"]["fix"]["source"] == "request"
    assert event["task"]["state"] == "completed"


async def test_a_strict_policy_refuses_a_far_completion_and_changes_nothing(
    api: Api, owner: asyncpg.Connection
) -> None:
    await set_policy(api, enforcement=Policy.ENFORCEMENT_REFUSE, radius_m=50)
    task, _, md = await at_drop_off(api)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.complete(task.name, "1", md=md, location=FAR_FROM_DROP, location_accuracy_m=12)
    assert caught.value.code() == FAILED_PRECONDITION
    assert "2.1 km from the drop-off" in (caught.value.details() or "")
    info = info_of(caught.value)
    assert info.reason == "OUTSIDE_STEP_AREA"
    assert dict(info.metadata) == {
        "step_id": "1",
        "distance_m": "2100",
        "radius_m": "50",
        "accuracy_m": "12",
        "source": "request",
    }
    after = await api.get(task.name)
    assert (after.etag, after.state) == (task.etag, T.STATE_ARRIVED)
    assert not after.steps[1].HasField("completion_check")
    assert "completion_flagged" not in [e.type for e in await api.events(task.name)]
    assert await flagged_events(owner, api) == []
    # 120 m away with a fix accurate to 80 m is no proof of being elsewhere: accepted.
    done = await api.complete(
        task.name, "1", md=md, location=north_of(DROP_AT, 120), location_accuracy_m=80
    )
    assert done.state == T.STATE_COMPLETED
    assert done.steps[1].completion_check.verdict == Check.VERDICT_INSIDE
    assert await flagged_events(owner, api) == []


async def test_a_strict_policy_refuses_a_far_arrival_but_only_flags_a_dispatcher(
    api: Api, owner: asyncpg.Connection
) -> None:
    await set_policy(api, enforcement=Policy.ENFORCEMENT_REFUSE)
    task = await api.create(pickup(), drop_off())
    rider = await api.rider()
    md = api.rider_md(rider)
    await api.assign(task.name, rider)
    await api.start(task.name, md=md)
    far = north_of(PICKUP_AT, 900)
    await fails(
        api.arrive(task.name, "0", md=md, location=far), FAILED_PRECONDITION, "OUTSIDE_STEP_AREA"
    )
    assert (await api.get(task.name)).state == T.STATE_EN_ROUTE
    # A dispatcher acting for the rider (audited under their own name) is flagged, not refused.
    arrived = await api.arrive(task.name, "0", location=far)
    assert arrived.state == T.STATE_ARRIVED
    assert arrived.steps[0].arrival_check.flagged
    [event] = await flagged_events(owner, api)
    assert event["action"] == "arrive"


async def test_without_a_position_in_the_request_the_riders_fresh_live_fix_is_judged(
    api: Api, grpc_channel: grpc.aio.Channel, owner: asyncpg.Connection
) -> None:
    task, _, md = await at_drop_off(api)
    stream = Stream(grpc_channel, md)
    far = north_of(DROP_AT, 3000)
    ack = await stream.send(
        telemetry_pb2.LocationPing(
            sequence=1, record_time=ts(datetime.now(UTC)), position=far, accuracy_m=6
        )
    )
    assert (ack.contiguous_sequence, list(ack.rejected)) == (1, [])
    await stream.close()
    done = await api.complete(task.name, "1", md=md)
    check = done.steps[1].completion_check
    assert (check.verdict, check.source, check.accuracy_m) == (
        Check.VERDICT_OUTSIDE,
        Check.SOURCE_LIVE,
        6,
    )
    assert check.distance_m == pytest.approx(3000, abs=1)
    [event] = await flagged_events(owner, api)
    assert event["check"]["fix"]["source"] == "live"


async def test_with_no_position_at_all_the_policy_says_allow_or_flag(
    api: Api, owner: asyncpg.Connection
) -> None:
    task, _, md = await at_drop_off(api)
    done = await api.complete(task.name, "1", md=md)  # the default: allowed, not flagged
    assert done.steps[1].completion_check.verdict == Check.VERDICT_NO_POSITION
    assert not done.steps[1].completion_check.flagged
    await set_policy(api, flag_without_position=True, enforcement=Policy.ENFORCEMENT_REFUSE)
    task, _, md = await at_drop_off(api)
    done = await api.complete(task.name, "1", md=md)  # flagged, never refused: no proof
    assert done.state == T.STATE_COMPLETED
    assert done.steps[1].completion_check.flagged
    [event] = await flagged_events(owner, api)
    assert event["reason"] == "completed with no usable position to check against the drop-off"


async def test_an_outlet_pickup_and_an_address_placed_by_a_dispatcher_are_checked_at_their_place(
    api: Api, owner: asyncpg.Connection
) -> None:
    kitchen = (-1.2864, 36.8172)
    await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(
                name=f"{api.parent}/outlets/kitchen-1", location=point(*kitchen)
            )
        ),
        metadata=api.md,
    )
    created = await api.create(
        task_pb2.TaskStep(kind=task_pb2.TaskStep.KIND_PICKUP, outlet_id="kitchen-1"),
        task_pb2.TaskStep(kind=task_pb2.TaskStep.KIND_DROP_OFF, address="Moi Avenue"),
    )
    created.steps[1].location.CopyFrom(point(*DROP_AT))  # the dispatcher places the address
    await api.tasks.UpdateTask(
        task_pb2.UpdateTaskRequest(task=created, update_mask=FieldMask(paths=["steps"])),
        metadata=api.md,
    )
    rider = await api.rider()
    md = api.rider_md(rider)
    await api.assign(created.name, rider)
    await api.start(created.name, md=md)
    arrived = await api.arrive(created.name, "0", md=md, location=north_of(kitchen, 40))
    at_outlet = arrived.steps[0].arrival_check
    assert (at_outlet.verdict, at_outlet.flagged) == (Check.VERDICT_INSIDE, False)
    assert at_outlet.distance_m == pytest.approx(40, abs=1)  # from the outlet's location
    await api.complete(created.name, "0", md=md, location=north_of(kitchen, 40))
    await api.arrive(created.name, "1", md=md, location=north_of(DROP_AT, 30))
    done = await api.complete(created.name, "1", md=md, location=north_of(DROP_AT, 800))
    check = done.steps[1].completion_check
    assert check.flagged
    assert check.distance_m == pytest.approx(800, abs=1)
    assert len(await flagged_events(owner, api)) == 1


async def test_with_the_live_index_down_a_completion_goes_through_on_what_it_has(
    server_urls: ServerUrls, store: Store, database: Database, tmp_path: Path
) -> None:
    redis = PrivateRedis(tmp_path)
    await redis.start()
    try:
        urls = dataclasses.replace(server_urls, redis_url=redis.url)
        async with (
            server_in_process(urls) as running,
            grpc.aio.insecure_channel(running.grpc_target) as channel,
        ):
            api = Api(channel, unique_tenant(), store, database)
            await set_policy(api, flag_without_position=True)
            task, _, md = await at_drop_off(api)
            redis.kill()
            done = await api.complete(task.name, "1", md=md)  # the live fix cannot be read
            assert done.state == T.STATE_COMPLETED
            check = done.steps[1].completion_check
            assert (check.verdict, check.flagged) == (Check.VERDICT_NO_POSITION, True)
    finally:
        redis.kill()


async def test_a_replay_after_reconnect_gets_the_first_outcome(
    api: Api, server: RunningServer, owner: asyncpg.Connection, store: Store, database: Database
) -> None:
    await set_policy(api, enforcement=Policy.ENFORCEMENT_REFUSE)
    task, _, md = await at_drop_off(api)
    refused = {"action_id": str(uuid.uuid4()), "location": FAR_FROM_DROP}
    await fails(api.complete(task.name, "1", md=md, **refused), FAILED_PRECONDITION)
    # The tenant relaxes its policy; the same buffered action, sent again on a new connection,
    # still gets its first answer (with its details); a new action is judged anew.
    policy = await set_policy(api, enforcement=Policy.ENFORCEMENT_FLAG)
    assert policy.enforcement == Policy.ENFORCEMENT_FLAG
    flagged = {"action_id": str(uuid.uuid4()), "location": FAR_FROM_DROP}
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        again = Api(channel, api.tenant, store, database)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await again.complete(task.name, "1", md=md, **refused)
        assert info_of(caught.value).metadata["distance_m"] == "2100"
        first = await again.complete(task.name, "1", md=md, **flagged)
    assert first.steps[1].completion_check.flagged
    await set_policy(api, enforcement=Policy.ENFORCEMENT_OFF)
    async with grpc.aio.insecure_channel(server.grpc_target) as channel:
        again = Api(channel, api.tenant, store, database)
        assert await again.complete(task.name, "1", md=md, **flagged) == first
    assert len(await flagged_events(owner, api)) == 1


async def test_over_connect_a_flag_and_a_refusal_read_as_over_grpc(
    api: Api, server: RunningServer, owner: asyncpg.Connection
) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    admin = headers(api.tenant)
    name = f"{api.parent}/completionPolicy"
    policy = await client.get_completion_policy(
        task_pb2.GetCompletionPolicyRequest(name=name), headers=admin
    )
    assert (policy.enforcement, policy.radius_m, policy.max_accuracy_m) == (
        Policy.ENFORCEMENT_FLAG,
        100,
        150,
    )
    assert policy.max_fix_age.ToTimedelta() == timedelta(seconds=60)
    task, rider, _ = await at_drop_off(api)
    rider_headers = headers(api.tenant, ["logistics:telemetry"], rider_id=last_id(rider))
    request = task_pb2.CompleteStepRequest(
        name=task.name, step_id="1", location=FAR_FROM_DROP, location_accuracy_m=5
    )
    strict = Policy(name=name, enforcement=Policy.ENFORCEMENT_REFUSE, etag=policy.etag)
    await client.update_completion_policy(
        task_pb2.UpdateCompletionPolicyRequest(policy=strict), headers=admin
    )
    with pytest.raises(ConnectError) as caught:
        await client.complete_step(request, headers=rider_headers)
    assert caught.value.code == Code.FAILED_PRECONDITION
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in caught.value.details)
    assert info.reason == "OUTSIDE_STEP_AREA"
    assert info.metadata["radius_m"] == "100"
    await client.update_completion_policy(
        task_pb2.UpdateCompletionPolicyRequest(policy=Policy(name=name)), headers=admin
    )
    done = await client.complete_step(request, headers=rider_headers)
    assert done.steps[1].completion_check.flagged
    assert len(await flagged_events(owner, api)) == 1


async def test_the_completion_policy_is_validated_guarded_and_versioned(api: Api) -> None:
    name = f"{api.parent}/completionPolicy"
    bad = task_pb2.UpdateCompletionPolicyRequest(
        policy=Policy(
            name=name,
            radius_m=2,
            max_accuracy_m=5000,
            max_fix_age=duration_pb2.Duration(seconds=3600),
        )
    )
    assert await fails(
        api.tasks.UpdateCompletionPolicy(bad, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    ) == {"policy.radius_m", "policy.max_accuracy_m", "policy.max_fix_age"}
    dispatcher = auth(api.tenant, ["logistics:read", "logistics:dispatch"])
    ok = task_pb2.UpdateCompletionPolicyRequest(policy=Policy(name=name, radius_m=75))
    await fails(
        api.tasks.UpdateCompletionPolicy(ok, metadata=dispatcher),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    first = await api.tasks.UpdateCompletionPolicy(ok, metadata=api.md)
    assert first.radius_m == 75
    stale = task_pb2.UpdateCompletionPolicyRequest(
        policy=Policy(name=name, radius_m=80, etag='"0"')
    )
    await fails(api.tasks.UpdateCompletionPolicy(stale, metadata=api.md), grpc.StatusCode.ABORTED)
    read = await api.tasks.GetCompletionPolicy(
        task_pb2.GetCompletionPolicyRequest(name=name), metadata=api.md
    )
    assert (read.radius_m, read.etag) == (75, first.etag)
