"""OptimizeRoutes end to end: plans over both listeners, the progress stream, bad input, and
a plan applied through the assignment path (task events, then route.completed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import common_pb2, dispatch_connect, dispatch_pb2, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import headers, unique_tenant
from tests.support.errors import fails
from tests.support.protos import duration as limit
from tests.support.protos import ts
from tests.support.servers import Listeners, RunningServer, ServerUrls, server_in_process
from tests.support.tasks import Api, drop_off, pickup, point

pytestmark = pytest.mark.e2e

R = dispatch_pb2.OptimizeRoutesRequest
DEPOT = point(-1.2864, 36.8172)
# A few hundred metres apart, around the depot.
PLACES = [(-1.2800, 36.8100), (-1.2900, 36.8250), (-1.2950, 36.8050), (-1.2750, 36.8300)]


def stops_request(tenant: str, **fields: Any) -> dispatch_pb2.OptimizeRoutesRequest:
    now = datetime.now(UTC)
    stops = [
        dispatch_pb2.RouteStop(
            id=f"s{i}",
            location=point(lat, lng),
            service_seconds=120,
            demand=common_pb2.Capacity(item_count=2),
            window=common_pb2.TimeWindow(start_time=ts(now), end_time=ts(now + timedelta(hours=2))),
        )
        for i, (lat, lng) in enumerate(PLACES)
    ]
    fields.setdefault(
        "vehicles",
        [
            dispatch_pb2.RouteVehicle(
                id="van", start=DEPOT, capacity=common_pb2.Capacity(item_count=6), count=2
            )
        ],
    )
    fields.setdefault("time_limit", limit(0.5))
    return R(parent=f"tenants/{tenant}", stops=stops, **fields)


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


def check_plan(plan: dispatch_pb2.OptimizeRoutesResponse, tenant: str) -> None:
    visited = [s.stop_id for r in plan.routes for s in r.stops]
    assert sorted(visited) == ["s0", "s1", "s2", "s3"]
    assert not plan.unassigned
    assert plan.plan.startswith(f"tenants/{tenant}/routePlans/")
    for route in plan.routes:
        assert route.name.startswith(f"tenants/{tenant}/routes/")
        assert route.vehicle_id in {"van-1", "van-2"}
        assert route.distance_m > 0
        arrivals = [s.arrival_time.ToDatetime() for s in route.stops]
        assert arrivals == sorted(arrivals)
        assert all(s.load_after.item_count <= 6 for s in route.stops)


async def test_optimize_routes_over_grpc_plans_every_stop(api: Api) -> None:
    plan = await api.dispatch.OptimizeRoutes(stops_request(api.tenant), metadata=api.md)
    check_plan(plan, api.tenant)
    assert plan.engine == "pyvrp"
    assert len(plan.routes) == 2  # 8 items over vans of 6


async def test_optimize_routes_over_connect_and_its_stream(server: RunningServer) -> None:
    tenant = unique_tenant()
    client = dispatch_connect.DispatchServiceClient(server.http_url)
    caller = headers(tenant)
    plan = await client.optimize_routes(stops_request(tenant), headers=caller)
    check_plan(plan, tenant)
    messages = [
        m
        async for m in client.optimize_routes_stream(
            dispatch_pb2.OptimizeRoutesStreamRequest(request=stops_request(tenant)),
            headers=caller,
        )
    ]
    assert messages[-1].HasField("result")
    check_plan(messages[-1].result, tenant)
    assert all(not m.HasField("result") for m in messages[:-1])
    assert messages[-1].best_cost == messages[-1].result.cost


async def test_bad_input_is_invalid_argument_naming_the_field(server: RunningServer) -> None:
    tenant = unique_tenant()
    client = dispatch_connect.DispatchServiceClient(server.http_url)
    caller = headers(tenant)
    cases = {
        "vehicles": stops_request(tenant, vehicles=[]),
        "stops[1].pickup_stop_id": None,
        "time_limit": stops_request(tenant, time_limit=limit(3600)),
        "stops": R(
            parent=f"tenants/{tenant}", vehicles=[dispatch_pb2.RouteVehicle(id="v", start=DEPOT)]
        ),
        "vehicles[0].start": R(
            parent=f"tenants/{tenant}", vehicles=[dispatch_pb2.RouteVehicle(id="v")]
        ),
    }
    broken = stops_request(tenant)
    broken.stops[1].pickup_stop_id = "nobody"
    cases["stops[1].pickup_stop_id"] = broken
    for field, request in cases.items():
        assert request is not None
        with pytest.raises(ConnectError) as caught:
            await client.optimize_routes(request, headers=caller)
        assert caught.value.code == Code.INVALID_ARGUMENT, field
        bad = error_details_pb2.BadRequest()
        assert any(d.Unpack(bad) for d in caught.value.details), field
        assert field in {v.field for v in bad.field_violations}, field


@pytest.fixture(scope="module")
async def one_solver(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    """A server that searches one plan at a time: a search left running holds up the next."""
    async with server_in_process(server_urls, LOGISTICS_ROUTING_SOLVERS="1") as running:
        yield running


async def test_a_cancelled_stream_ends_its_search_and_stores_no_plan(
    one_solver: Listeners, store: Store, database: Database
) -> None:
    async with grpc.aio.insecure_channel(one_solver.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        # A search allowed 30 s: it finds a plan at once and then keeps improving it until
        # the time is up, unless it is cancelled.
        call = api.dispatch.OptimizeRoutesStream(
            dispatch_pb2.OptimizeRoutesStreamRequest(
                request=stops_request(api.tenant, time_limit=limit(30))
            ),
            metadata=api.md,
        )
        first = await asyncio.wait_for(call.read(), 10)
        assert first.best_cost > 0
        assert not first.HasField("result")
        call.cancel()

        # The only solver is free again: the next plan is not kept waiting behind the search.
        plan = await asyncio.wait_for(
            api.dispatch.OptimizeRoutes(stops_request(api.tenant), metadata=api.md), 10
        )
        check_plan(plan, api.tenant)
        # The cancelled search stored nothing.
        stored = await api.sql("SELECT id FROM route_plans")
        assert [str(row["id"]) for row in stored] == [plan.plan.rsplit("/", 1)[1]]


async def test_an_applied_plan_assigns_its_tasks_and_completes_its_route(api: Api) -> None:
    rider = await api.rider()
    first = await api.create(pickup(), drop_off())
    second = await api.create(
        pickup(),
        drop_off(location=point(-1.2700, 36.8000)),
        items=[task_pb2.TaskItem(description="box", quantity=2)],
    )
    plan = await api.dispatch.OptimizeRoutes(
        R(
            parent=api.parent,
            tasks=[first.name, second.name],
            vehicles=[dispatch_pb2.RouteVehicle(id="bike", rider=rider, start=DEPOT)],
            apply=True,
            time_limit=limit(0.5),
        ),
        metadata=api.md,
    )
    assert plan.applied
    assert plan.engine == "ortools"  # pickup-delivery pairs
    assert not plan.unassigned
    (route,) = plan.routes
    assert route.rider == rider
    assert {s.task for s in route.stops} == {first.name, second.name}
    for task in (first, second):
        assert (await api.get(task.name)).rider == rider
        assigned = [e for e in await api.events(task.name) if e.type == "assigned"]
        assert assigned
        assert assigned[-1].reason == f"route {route.name}"
        assert "logistics.task.assigned" in [s for s, _ in await api.outbox(task.name)]

    for task in (first, second):
        await api.start(task.name)
        for step in ("0", "1"):
            await api.arrive(task.name, step)
            await api.complete(task.name, step)
    rows = await api.sql(
        "SELECT data FROM outbox WHERE event_type = 'route.completed' AND data->>'name' = $1",
        route.name,
    )
    assert len(rows) == 1
    assert rows[0]["data"]["stops"] == 4


async def test_a_route_template_is_created_and_read_back(api: Api) -> None:
    plan = stops_request(api.tenant)
    made = await api.dispatch.CreateRouteTemplate(
        dispatch_pb2.CreateRouteTemplateRequest(
            parent=api.parent,
            route_template=dispatch_pb2.RouteTemplate(
                display_name="Weekday shops", plan=plan, weekdays=[1, 2, 3, 4, 5], run_minute=300
            ),
        ),
        metadata=api.md,
    )
    assert made.name.startswith(f"tenants/{api.tenant}/routeTemplates/")
    assert made.next_run_time.ToDatetime().isoweekday() in range(1, 6)
    assert (made.next_run_time.ToDatetime().hour, made.next_run_time.ToDatetime().minute) == (5, 0)
    read = await api.dispatch.GetRouteTemplate(
        dispatch_pb2.GetRouteTemplateRequest(name=made.name), metadata=api.md
    )
    assert read == made
    assert [s.id for s in read.plan.stops] == ["s0", "s1", "s2", "s3"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.dispatch.CreateRouteTemplate(
            dispatch_pb2.CreateRouteTemplateRequest(
                parent=api.parent,
                route_template=dispatch_pb2.RouteTemplate(
                    display_name="Weekday shops", plan=plan, weekdays=[1], run_minute=0
                ),
            ),
            metadata=api.md,
        )
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_route_templates_are_listed_updated_and_deleted_over_grpc(api: Api) -> None:
    made = [
        await api.dispatch.CreateRouteTemplate(
            dispatch_pb2.CreateRouteTemplateRequest(
                parent=api.parent,
                route_template=dispatch_pb2.RouteTemplate(
                    display_name=name, plan=stops_request(api.tenant), weekdays=[1], run_minute=60
                ),
            ),
            metadata=api.md,
        )
        for name in ("Mondays", "Also Mondays")
    ]
    listed = await api.dispatch.ListRouteTemplates(
        dispatch_pb2.ListRouteTemplatesRequest(parent=api.parent, page_size=1), metadata=api.md
    )
    assert [t.name for t in listed.route_templates] == [made[0].name]
    rest = await api.dispatch.ListRouteTemplates(
        dispatch_pb2.ListRouteTemplatesRequest(
            parent=api.parent, page_size=1, page_token=listed.next_page_token
        ),
        metadata=api.md,
    )
    assert [t.name for t in rest.route_templates] == [made[1].name]
    assert not rest.next_page_token

    edit = dispatch_pb2.RouteTemplate(
        name=made[0].name, etag=made[0].etag, weekdays=[6, 7], run_minute=30
    )
    mask = field_mask_pb2.FieldMask(paths=["weekdays", "run_minute"])
    updated = await api.dispatch.UpdateRouteTemplate(
        dispatch_pb2.UpdateRouteTemplateRequest(route_template=edit, update_mask=mask),
        metadata=api.md,
    )
    assert (list(updated.weekdays), updated.run_minute) == ([6, 7], 30)
    assert updated.display_name == "Mondays"
    assert updated.plan == made[0].plan
    assert updated.next_run_time.ToDatetime().isoweekday() in (6, 7)
    assert updated.etag != made[0].etag
    again = dispatch_pb2.UpdateRouteTemplateRequest(route_template=edit, update_mask=mask)
    await fails(api.dispatch.UpdateRouteTemplate(again, metadata=api.md), grpc.StatusCode.ABORTED)
    bad = dispatch_pb2.UpdateRouteTemplateRequest(
        route_template=dispatch_pb2.RouteTemplate(name=made[0].name, run_minute=1440),
        update_mask=field_mask_pb2.FieldMask(paths=["run_minute", "next_run_time"]),
    )
    assert await fails(
        api.dispatch.UpdateRouteTemplate(bad, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    ) == {"update_mask"}
    bad.update_mask.paths.remove("next_run_time")
    assert await fails(
        api.dispatch.UpdateRouteTemplate(bad, metadata=api.md), grpc.StatusCode.INVALID_ARGUMENT
    ) == {"route_template.run_minute"}

    await api.dispatch.DeleteRouteTemplate(
        dispatch_pb2.DeleteRouteTemplateRequest(name=made[0].name, etag=updated.etag),
        metadata=api.md,
    )
    gone = dispatch_pb2.GetRouteTemplateRequest(name=made[0].name)
    await fails(api.dispatch.GetRouteTemplate(gone, metadata=api.md), grpc.StatusCode.NOT_FOUND)
    left = await api.dispatch.ListRouteTemplates(
        dispatch_pb2.ListRouteTemplatesRequest(parent=api.parent), metadata=api.md
    )
    assert [t.name for t in left.route_templates] == [made[1].name]


async def test_route_templates_over_connect(server: RunningServer, api: Api) -> None:
    client = dispatch_connect.DispatchServiceClient(server.http_url)
    auth = headers(api.tenant)
    made = await client.create_route_template(
        dispatch_pb2.CreateRouteTemplateRequest(
            parent=api.parent,
            route_template=dispatch_pb2.RouteTemplate(
                display_name="Weekend", plan=stops_request(api.tenant), weekdays=[6], run_minute=0
            ),
        ),
        headers=auth,
    )
    listed = await client.list_route_templates(
        dispatch_pb2.ListRouteTemplatesRequest(parent=api.parent), headers=auth
    )
    assert list(listed.route_templates) == [made]
    renamed = await client.update_route_template(
        dispatch_pb2.UpdateRouteTemplateRequest(
            route_template=dispatch_pb2.RouteTemplate(
                name=made.name, etag=made.etag, display_name="Saturdays"
            )
        ),
        headers=auth,
    )
    assert renamed.display_name == "Saturdays"
    assert list(renamed.weekdays) == [6]
    with pytest.raises(ConnectError) as caught:
        await client.delete_route_template(
            dispatch_pb2.DeleteRouteTemplateRequest(name=made.name, etag=made.etag), headers=auth
        )
    assert caught.value.code == Code.ABORTED
    await client.delete_route_template(
        dispatch_pb2.DeleteRouteTemplateRequest(name=made.name, etag=renamed.etag), headers=auth
    )
    with pytest.raises(ConnectError) as caught:
        await client.get_route_template(
            dispatch_pb2.GetRouteTemplateRequest(name=made.name), headers=auth
        )
    assert caught.value.code == Code.NOT_FOUND
