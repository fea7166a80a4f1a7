"""Outlet change events end to end, over gRPC and Connect: an outlet registered emits
``outlet.created`` (by UpdateOutlet or by the first task naming it), a change ``outlet.updated``
naming the fields that changed, each in the change's transaction; an edit that changes nothing
or is refused emits nothing."""

from __future__ import annotations

import grpc
import pytest
from bengobox.logistics.v1 import common_pb2, fleet_connect, fleet_pb2
from google.protobuf import field_mask_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.errors import fails
from tests.support.servers import RunningServer
from tests.support.tasks import Api, drop_off, pickup

pytestmark = pytest.mark.e2e


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def kitchen(api: Api, **fields: object) -> fleet_pb2.Outlet:
    return fleet_pb2.Outlet(name=f"{api.parent}/outlets/kitchen-1", **fields)  # type: ignore[arg-type]


async def test_registering_and_changing_an_outlet_emit_its_events(
    api: Api, server: RunningServer
) -> None:
    name = f"{api.parent}/outlets/kitchen-1"
    first = kitchen(
        api,
        display_name="Central kitchen",
        location=common_pb2.GeoPoint(latitude=-1.2864, longitude=36.8172),
        pickup_instructions="Back door",
    )
    await api.fleet.UpdateOutlet(fleet_pb2.UpdateOutletRequest(outlet=first), metadata=api.md)
    events = await api.outbox(name)
    assert [s for s, _ in events] == ["logistics.outlet.created", "logistics.outlet.updated"]
    created, updated = (d for _, d in events)
    assert created["outlet"]["id"] == "kitchen-1"
    assert created["outlet"]["latitude"] is None  # nothing known before the update
    assert updated["changed"] == ["display_name", "location", "pickup_instructions"]
    assert updated["outlet"]["latitude"] == pytest.approx(-1.2864)
    assert updated["outlet"]["pickup_instructions"] == "Back door"

    client = fleet_connect.FleetServiceClient(server.http_url)
    moved = await client.update_outlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=kitchen(api, pickup_instructions="Side door, ring twice"),
            update_mask=field_mask_pb2.FieldMask(paths=["pickup_instructions"]),
        ),
        headers=headers(api.tenant),
    )
    assert moved.pickup_instructions == "Side door, ring twice"
    subject, data = (await api.outbox(name))[-1]
    assert (subject, data["changed"]) == ("logistics.outlet.updated", ["pickup_instructions"])
    assert data["outlet"]["version"] == 3

    # The same values again, or a refused change, emit nothing.
    await client.update_outlet(
        fleet_pb2.UpdateOutletRequest(
            outlet=kitchen(api, pickup_instructions="Side door, ring twice"),
            update_mask=field_mask_pb2.FieldMask(paths=["pickup_instructions"]),
        ),
        headers=headers(api.tenant),
    )
    await fails(
        api.fleet.UpdateOutlet(
            fleet_pb2.UpdateOutletRequest(
                outlet=kitchen(api, time_zone="Mars/Olympus"),
                update_mask=field_mask_pb2.FieldMask(paths=["time_zone"]),
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert len(await api.outbox(name)) == 3


async def test_the_first_task_naming_an_outlet_registers_it_once(api: Api) -> None:
    await api.create(pickup(outlet_id="java-house-9"), drop_off(), outlet_id="java-house-9")
    await api.create(pickup(outlet_id="java-house-9"), drop_off())
    events = await api.outbox(f"{api.parent}/outlets/java-house-9")
    assert [s for s, _ in events] == ["logistics.outlet.created"]
    assert events[0][1]["tenant"] == api.tenant
