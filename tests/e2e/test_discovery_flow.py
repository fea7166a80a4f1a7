"""Tenant and outlet discovery end to end: a real ``logistics serve`` asks a real HTTP origin on
127.0.0.1 about tenants and outlets it has never seen. The origin checks each request's Standard
Webhooks signature with the reference library, answers from a script, and records what it saw;
the tests check what the caller got and what was (or was not) stored."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import fleet_pb2, fleet_pb2_grpc
from google.rpc import error_details_pb2, status_pb2
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from logistics.domain.ids import TenantSlug
from logistics.events.signing import generate_secret
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth
from tests.support.auth import unique_tenant as new_tenant
from tests.support.servers import Listeners, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

SECRET = generate_secret()
SERVER_TIMEOUT_S = 3.0  # HttpDiscovery's per-attempt timeout as the server builds it
SERVER_ATTEMPTS = 4


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON; None: the right answer for what was asked
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    webhook_id: str
    request: dict[str, Any]
    verified: bool

    @property
    def key(self) -> tuple[str, ...]:
        if self.request.get("type") == "outlet.lookup":
            return ("outlet", self.request["tenant"], self.request["outlet_id"])
        return ("tenant", self.request["tenant"])


@dataclass
class Origin:
    """The upstream service. Each key (a tenant, or a tenant's outlet) answers from its own
    script, in order, the last reply repeating; an unscripted key gets a correct 200."""

    url: str = ""
    secret: str = SECRET
    scripts: dict[tuple[str, ...], list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tenant_will(self, slug: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[("tenant", slug)] = list(replies)

    def outlet_will(self, slug: str, outlet_id: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[("outlet", slug, outlet_id)] = list(replies)

    def asked(self, *key: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.key == key]

    def answer(self, raw: bytes, headers: dict[str, str]) -> tuple[Reply, Any]:
        try:
            Webhook(self.secret).verify(raw, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        seen = Seen(headers.get("webhook-id", ""), json.loads(raw), verified)
        with self.lock:
            self.seen.append(seen)
            if not verified:
                return Reply(401, {"error": "bad signature"}), None
            script = self.scripts.get(seen.key, [])
            reply = (script.pop(0) if len(script) > 1 else script[0]) if script else Reply()
        if reply.body is not None:
            return reply, reply.body
        if seen.key[0] == "tenant":
            slug = seen.request["tenant"]
            return reply, {"tenant": {"slug": slug, "display_name": f"{slug.upper()} Couriers"}}
        outlet_id = seen.request["outlet_id"]
        return reply, {
            "outlet": {
                "id": outlet_id,
                "display_name": f"Outlet {outlet_id}",
                "latitude": -1.2921,
                "longitude": 36.8219,
            }
        }


def handler_for(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply, body = origin.answer(raw, headers)
            time.sleep(reply.delay_s)
            content = json.dumps(body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller timed out and went away: that was the point

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def running_origin() -> Iterator[Origin]:
    origin = Origin()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(origin))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    origin.url = f"http://127.0.0.1:{httpd.server_address[1]}/platform/discovery"
    yield origin
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def origin(running_origin: Origin) -> Origin:
    running_origin.secret = SECRET
    return running_origin


@pytest.fixture(scope="module")
async def discovering_server(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory, running_origin: Origin
) -> AsyncIterator[Listeners]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NO_PROXY", "127.0.0.1")  # the origin is local, whatever proxy is set
        async with server_in_process(
            server_urls,
            LOGISTICS_DISCOVERY_URL=running_origin.url,
            LOGISTICS_DISCOVERY_SECRETS=SECRET,
            LOGISTICS_DATA_DIR=str(tmp_path_factory.mktemp("discovery-data")),
        ) as running:
            yield running


@pytest.fixture
async def fleet(
    discovering_server: Listeners,
) -> AsyncIterator[fleet_pb2_grpc.FleetServiceStub]:
    async with grpc.aio.insecure_channel(discovering_server.grpc_target) as channel:
        yield fleet_pb2_grpc.FleetServiceStub(channel)


def create_rider(fleet: fleet_pb2_grpc.FleetServiceStub, tenant: str, **fields: Any) -> Any:
    fields.setdefault("display_name", "Wambui")
    return fleet.CreateRider(
        fleet_pb2.CreateRiderRequest(parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(**fields)),
        metadata=auth(tenant),
    )


async def list_riders(fleet: fleet_pb2_grpc.FleetServiceStub, tenant: str) -> list[str]:
    listed = await fleet.ListRiders(
        fleet_pb2.ListRidersRequest(parent=f"tenants/{tenant}"), metadata=auth(tenant)
    )
    return [r.display_name for r in listed.riders]


async def fails(call: Any, code: grpc.StatusCode) -> str:
    """Awaits a call that must fail with ``code``; returns its ErrorInfo reason."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    for key, value in caught.value.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info.reason
    raise AssertionError("no ErrorInfo in the error")


async def tenant_row(database: Database, slug: str) -> dict[str, Any] | None:
    async with database.transaction() as conn:
        row = await conn.fetchrow("SELECT id, display_name FROM tenants WHERE slug = $1", slug)
    return dict(row) if row else None


async def outlet_rows(store: Store, database: Database, slug: str) -> dict[str, tuple[Any, ...]]:
    tenant_id = await store.tenants.find(TenantSlug(slug))
    assert tenant_id is not None
    async with database.transaction(tenant_id) as conn:
        rows = await conn.fetch("SELECT id, display_name, latitude, longitude FROM outlets")
    return {r["id"]: (r["display_name"], r["latitude"], r["longitude"]) for r in rows}


# --- tenants --------------------------------------------------------------------------------------


async def test_a_new_tenant_is_looked_up_once_and_its_name_stored(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    assert await tenant_row(database, tenant) is None
    first = await create_rider(fleet, tenant, display_name="First")
    assert first.name.startswith(f"tenants/{tenant}/riders/")

    [asked] = origin.asked("tenant", tenant)
    assert asked.verified
    assert asked.request == {"type": "tenant.lookup", "tenant": tenant}
    row = await tenant_row(database, tenant)
    assert row is not None
    assert row["display_name"] == f"{tenant.upper()} Couriers"

    await create_rider(fleet, tenant, display_name="Second")
    await fleet.CreateVehicle(
        fleet_pb2.CreateVehicleRequest(
            parent=f"tenants/{tenant}", vehicle=fleet_pb2.Vehicle(type=1)
        ),
        metadata=auth(tenant),
    )
    assert len(origin.asked("tenant", tenant)) == 1
    assert sorted(await list_riders(fleet, tenant)) == ["First", "Second"]


async def test_reading_an_unknown_tenant_asks_nobody_and_registers_nothing(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    assert await list_riders(fleet, tenant) == []
    assert origin.asked("tenant", tenant) == []
    assert await tenant_row(database, tenant) is None


async def test_a_burst_of_writes_for_a_new_tenant_asks_once(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.tenant_will(tenant, Reply(delay_s=0.3))
    created = await asyncio.gather(
        *(create_rider(fleet, tenant, display_name=f"R{i}") for i in range(6))
    )
    assert len({r.name for r in created}) == 6
    assert len(origin.asked("tenant", tenant)) == 1
    assert await tenant_row(database, tenant) is not None


async def test_discovery_failing_past_its_retries_rejects_the_write_and_stores_nothing(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.tenant_will(tenant, *[Reply(500)] * SERVER_ATTEMPTS, Reply())

    reason = await fails(
        create_rider(fleet, tenant, external_id="hr-1"), grpc.StatusCode.UNAVAILABLE
    )
    assert reason == "DISCOVERY_UNAVAILABLE"
    tries = origin.asked("tenant", tenant)
    assert len(tries) == SERVER_ATTEMPTS
    assert len({t.webhook_id for t in tries}) == 1  # one lookup, retried
    assert all(t.verified for t in tries)
    assert await tenant_row(database, tenant) is None
    assert await list_riders(fleet, tenant) == []

    # The origin is back: the very same write now succeeds, once.
    created = await create_rider(fleet, tenant, external_id="hr-1")
    assert created.external_id == "hr-1"
    assert len(origin.asked("tenant", tenant)) == SERVER_ATTEMPTS + 1
    assert await tenant_row(database, tenant) is not None
    assert await list_riders(fleet, tenant) == ["Wambui"]


async def test_a_lookup_that_times_out_is_retried_and_the_write_goes_through(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.tenant_will(tenant, Reply(delay_s=SERVER_TIMEOUT_S + 1.0), Reply())
    started = time.monotonic()
    created = await create_rider(fleet, tenant)
    assert time.monotonic() - started >= SERVER_TIMEOUT_S
    assert created.display_name == "Wambui"
    tries = origin.asked("tenant", tenant)
    assert len(tries) == 2
    assert tries[0].webhook_id == tries[1].webhook_id
    assert await tenant_row(database, tenant) is not None


async def test_a_tenant_unknown_to_the_platform_is_not_found_and_not_retried(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.tenant_will(tenant, Reply(404, {"error": "no such tenant"}))
    reason = await fails(create_rider(fleet, tenant), grpc.StatusCode.NOT_FOUND)
    assert reason == "TENANT_UNKNOWN"
    assert len(origin.asked("tenant", tenant)) == 1
    assert await tenant_row(database, tenant) is None
    assert await list_riders(fleet, tenant) == []


async def test_an_origin_that_rejects_our_signature_fails_the_write_at_once(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.secret = generate_secret()  # the origin no longer shares our secret
    reason = await fails(create_rider(fleet, tenant), grpc.StatusCode.UNAVAILABLE)
    assert reason == "DISCOVERY_UNAVAILABLE"
    [asked] = origin.asked("tenant", tenant)
    assert not asked.verified
    assert await tenant_row(database, tenant) is None


async def test_a_malformed_answer_fails_the_write_and_stores_nothing(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, database: Database
) -> None:
    tenant = new_tenant()
    origin.tenant_will(
        tenant, Reply(body={"tenant": {"slug": "someone-else", "display_name": "X"}})
    )
    await fails(create_rider(fleet, tenant), grpc.StatusCode.UNAVAILABLE)
    assert len(origin.asked("tenant", tenant)) == 1
    assert await tenant_row(database, tenant) is None


# --- outlets --------------------------------------------------------------------------------------


async def test_a_rider_naming_a_new_outlet_stores_the_outlet_as_discovered(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, store: Store, database: Database
) -> None:
    tenant = new_tenant()
    await create_rider(fleet, tenant, display_name="Before")
    outlet = f"outlet-{uuid.uuid4().hex[:6]}"
    rider = await create_rider(fleet, tenant, home_outlet_id=outlet)
    assert rider.home_outlet_id == outlet

    [asked] = origin.asked("outlet", tenant, outlet)
    assert asked.verified
    assert asked.request == {"type": "outlet.lookup", "tenant": tenant, "outlet_id": outlet}
    assert await outlet_rows(store, database, tenant) == {
        outlet: (f"Outlet {outlet}", -1.2921, 36.8219)
    }
    # A known outlet is not asked about again, whichever write names it.
    await create_rider(fleet, tenant, display_name="Also there", home_outlet_id=outlet)
    await fleet.UpsertRider(
        fleet_pb2.UpsertRiderRequest(
            parent=f"tenants/{tenant}",
            rider=fleet_pb2.Rider(external_id="e-1", display_name="U", home_outlet_id=outlet),
        ),
        metadata=auth(tenant),
    )
    assert len(origin.asked("outlet", tenant, outlet)) == 1


async def test_an_outlet_without_coordinates_is_stored_without_them(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, store: Store, database: Database
) -> None:
    tenant = new_tenant()
    origin.outlet_will(
        tenant, "kiosk-1", Reply(body={"outlet": {"id": "kiosk-1", "display_name": "Kiosk"}})
    )
    await create_rider(fleet, tenant, home_outlet_id="kiosk-1")
    assert await outlet_rows(store, database, tenant) == {"kiosk-1": ("Kiosk", None, None)}


@pytest.mark.parametrize(
    ("replies", "code", "reason"),
    [
        pytest.param(
            [Reply(503)], grpc.StatusCode.UNAVAILABLE, "DISCOVERY_UNAVAILABLE", id="unavailable"
        ),
        pytest.param([Reply(404)], grpc.StatusCode.NOT_FOUND, "OUTLET_UNKNOWN", id="unknown"),
    ],
)
async def test_a_failing_outlet_lookup_rejects_the_rider_and_stores_nothing(
    fleet: fleet_pb2_grpc.FleetServiceStub,
    origin: Origin,
    store: Store,
    database: Database,
    replies: list[Reply],
    code: grpc.StatusCode,
    reason: str,
) -> None:
    tenant = new_tenant()
    await create_rider(fleet, tenant, display_name="Already here")
    origin.outlet_will(tenant, "outlet-x", *replies)
    assert await fails(create_rider(fleet, tenant, home_outlet_id="outlet-x"), code) == reason
    assert await list_riders(fleet, tenant) == ["Already here"]
    assert await outlet_rows(store, database, tenant) == {}

    # Once the origin knows the outlet, the same write succeeds.
    origin.outlet_will(tenant, "outlet-x", Reply())
    rider = await create_rider(fleet, tenant, home_outlet_id="outlet-x")
    assert rider.home_outlet_id == "outlet-x"
    assert set(await outlet_rows(store, database, tenant)) == {"outlet-x"}


async def test_an_update_moving_a_rider_to_an_unreachable_outlet_changes_nothing(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, store: Store, database: Database
) -> None:
    tenant = new_tenant()
    rider = await create_rider(fleet, tenant, home_outlet_id="outlet-a")
    origin.outlet_will(tenant, "outlet-b", Reply(500))
    await fails(
        fleet.UpdateRider(
            fleet_pb2.UpdateRiderRequest(
                rider=fleet_pb2.Rider(name=rider.name, home_outlet_id="outlet-b"),
                update_mask={"paths": ["home_outlet_id"]},
            ),
            metadata=auth(tenant),
        ),
        grpc.StatusCode.UNAVAILABLE,
    )
    got = await fleet.GetRider(fleet_pb2.GetRiderRequest(name=rider.name), metadata=auth(tenant))
    assert got == rider
    assert set(await outlet_rows(store, database, tenant)) == {"outlet-a"}


async def test_a_fleet_with_one_unreachable_outlet_stores_neither_outlet_nor_fleet(
    fleet: fleet_pb2_grpc.FleetServiceStub, origin: Origin, store: Store, database: Database
) -> None:
    tenant = new_tenant()
    await create_rider(fleet, tenant)
    origin.outlet_will(tenant, "down", Reply(500))

    def create_fleet(*outlets: str) -> Any:
        return fleet.CreateFleet(
            fleet_pb2.CreateFleetRequest(
                parent=f"tenants/{tenant}",
                fleet=fleet_pb2.Fleet(
                    display_name="Westlands", kind=fleet_pb2.Fleet.KIND_OWN, outlet_ids=outlets
                ),
            ),
            metadata=auth(tenant),
        )

    await fails(create_fleet("up", "down"), grpc.StatusCode.UNAVAILABLE)
    assert await outlet_rows(store, database, tenant) == {}
    listed = await fleet.ListFleets(
        fleet_pb2.ListFleetsRequest(parent=f"tenants/{tenant}"), metadata=auth(tenant)
    )
    assert list(listed.fleets) == []
    created = await create_fleet("up")
    assert list(created.outlet_ids) == ["up"]
    assert set(await outlet_rows(store, database, tenant)) == {"up"}
