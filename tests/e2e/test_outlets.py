"""The outlet registry end to end: an outlet set, read and listed over gRPC and Connect, bad
hours refused naming the field, a stale etag ABORTED, and outlets named by tasks listed too."""

from __future__ import annotations

import grpc
import pytest
from bengobox.logistics.v1 import common_pb2, fleet_connect, fleet_pb2, task_connect, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import field_mask_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import PICKUP, Api, drop_off, pickup

pytestmark = pytest.mark.e2e

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def kitchen(api: Api) -> fleet_pb2.Outlet:
    return fleet_pb2.Outlet(
        name=f"{api.parent}/outlets/kitchen-1",
        display_name="Central kitchen",
        location=common_pb2.GeoPoint(latitude=-1.2864, longitude=36.8172),
        address="Moi Avenue 12",
        pickup_instructions="Back door, ring twice",
        time_zone="Africa/Nairobi",
        opening_hours=[
            fleet_pb2.OpeningHours(weekday=d, open_minute=480, close_minute=1320)
            for d in range(1, 6)
        ],
    )


async def test_an_outlet_is_set_read_and_listed_over_grpc(api: Api) -> None:
    outlet = await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(outlet=kitchen(api)), metadata=api.md
    )
    assert outlet.pickup_instructions == "Back door, ring twice"
    assert len(outlet.opening_hours) == 5
    assert outlet.etag
    read = await api.fleet.GetOutlet(fleet_pb2.GetOutletRequest(name=outlet.name), metadata=api.md)
    assert read == outlet

    bad = fleet_pb2.Outlet(
        name=outlet.name,
        opening_hours=[fleet_pb2.OpeningHours(weekday=9, open_minute=600, close_minute=500)],
    )
    fields = await fails(
        api.fleet.UpdateOutlet(
            fleet_pb2.UpdateOutletRequest(
                outlet=bad, update_mask=field_mask_pb2.FieldMask(paths=["opening_hours"])
            ),
            metadata=api.md,
        ),
        INVALID,
    )
    assert fields == {"outlet.opening_hours[0].weekday", "outlet.opening_hours[0].close_minute"}
    zone = fleet_pb2.Outlet(name=outlet.name, time_zone="Nairobi")
    assert await fails(
        api.fleet.UpdateOutlet(fleet_pb2.UpdateOutletRequest(outlet=zone), metadata=api.md),
        INVALID,
    ) == {"outlet.time_zone"}
    assert (
        await api.fleet.GetOutlet(fleet_pb2.GetOutletRequest(name=outlet.name), metadata=api.md)
        == outlet
    )  # bad input changed nothing

    renamed = fleet_pb2.Outlet(name=outlet.name, display_name="Kitchen", etag=outlet.etag)
    changed = await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(outlet=renamed), metadata=api.md
    )
    assert changed.display_name == "Kitchen"
    assert changed.address == "Moi Avenue 12"
    await fails(
        api.fleet.UpdateOutlet(fleet_pb2.UpdateOutletRequest(outlet=renamed), metadata=api.md),
        grpc.StatusCode.ABORTED,
    )

    await api.create(outlet_id="shop-2")  # a task makes an outlet known
    first = await api.fleet.ListOutlets(
        fleet_pb2.ListOutletsRequest(parent=api.parent, page_size=1), metadata=api.md
    )
    rest = await api.fleet.ListOutlets(
        fleet_pb2.ListOutletsRequest(
            parent=api.parent, page_size=1, page_token=first.next_page_token
        ),
        metadata=api.md,
    )
    assert [o.name for o in first.outlets] == [outlet.name]
    assert [o.name for o in rest.outlets] == [f"{api.parent}/outlets/shop-2"]
    assert not rest.next_page_token
    missing = fleet_pb2.GetOutletRequest(name=f"{api.parent}/outlets/nowhere")
    await fails(api.fleet.GetOutlet(missing, metadata=api.md), grpc.StatusCode.NOT_FOUND)
    assert await fails(
        api.fleet.GetOutlet(fleet_pb2.GetOutletRequest(name="outlets/x"), metadata=api.md),
        INVALID,
    ) == {"name"}


async def test_outlets_over_connect(server: RunningServer, api: Api) -> None:
    client = fleet_connect.FleetServiceClient(server.http_url)
    auth = headers(api.tenant)
    outlet = await client.update_outlet(
        fleet_pb2.UpdateOutletRequest(outlet=kitchen(api)), headers=auth
    )
    assert await client.get_outlet(fleet_pb2.GetOutletRequest(name=outlet.name), headers=auth) == (
        outlet
    )
    listed = await client.list_outlets(
        fleet_pb2.ListOutletsRequest(parent=api.parent), headers=auth
    )
    assert list(listed.outlets) == [outlet]
    with pytest.raises(ConnectError) as caught:
        await client.update_outlet(
            fleet_pb2.UpdateOutletRequest(
                outlet=fleet_pb2.Outlet(
                    name=outlet.name, time_zone="Africa/Nairobi", etag='"99"', address="x"
                )
            ),
            headers=auth,
        )
    assert caught.value.code == Code.ABORTED
    reader = headers(api.tenant, ["logistics:read"])
    with pytest.raises(ConnectError) as caught:
        await client.update_outlet(
            fleet_pb2.UpdateOutletRequest(outlet=fleet_pb2.Outlet(name=outlet.name, address="x")),
            headers=reader,
        )
    assert caught.value.code == Code.PERMISSION_DENIED


async def test_a_pickup_naming_an_outlet_is_placed_there_over_grpc_and_connect(
    server: RunningServer, api: Api
) -> None:
    outlet = await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(outlet=kitchen(api)), metadata=api.md
    )
    at_kitchen = task_pb2.TaskStep(kind=PICKUP, outlet_id="kitchen-1")
    created = await api.create(at_kitchen, drop_off())
    step = created.steps[0]
    assert step.location == outlet.location
    assert step.address == "Moi Avenue 12"
    assert step.instructions == "Back door, ring twice"
    assert step.outlet_id == "kitchen-1"
    # What the caller gives wins over the outlet's.
    own = task_pb2.TaskStep(kind=PICKUP, outlet_id="kitchen-1", instructions="Ask for Wanjiru")
    read = await api.get((await api.create(own, drop_off())).name)
    assert read.steps[0].instructions == "Ask for Wanjiru"
    assert read.steps[0].location == outlet.location

    client = task_connect.TaskServiceClient(server.http_url)
    over_connect = await client.create_task(
        api.create_request(at_kitchen, drop_off()), headers=headers(api.tenant)
    )
    assert over_connect.steps[0].location == outlet.location


async def test_a_pickup_at_an_unknown_or_unplaced_outlet_is_refused_naming_the_step(
    api: Api,
) -> None:
    unknown = task_pb2.TaskStep(kind=PICKUP, outlet_id="nowhere")
    assert await fails(api.create(unknown, drop_off()), INVALID) == {"task.steps[0].outlet_id"}
    await api.fleet.UpdateOutlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=fleet_pb2.Outlet(name=f"{api.parent}/outlets/no-pin", display_name="No pin")
        ),
        metadata=api.md,
    )
    unplaced = task_pb2.TaskStep(kind=PICKUP, outlet_id="no-pin")
    assert await fails(api.create(unplaced, drop_off()), INVALID) == {"task.steps[0].outlet_id"}
    # Only a pickup may leave its point to an outlet.
    drop = task_pb2.TaskStep(kind=task_pb2.TaskStep.KIND_DROP_OFF, outlet_id="no-pin")
    assert await fails(api.create(pickup(), drop), INVALID) == {"task.steps[1].location"}
    assert await api.sql("SELECT id FROM tasks") == []
