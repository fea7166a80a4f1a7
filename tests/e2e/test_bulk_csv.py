"""End to end over HTTP: CSV import and export of riders and vehicles on the real server."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import AlreadyExists, NotFound
from logistics.domain.fleet import Fleet, FleetKind, Rider
from logistics.domain.ids import TenantSlug
from logistics.services.bulk import BulkService
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.store.bulk import BulkRepository
from logistics.store.db import Database
from logistics.store.unit_of_work import Store, UnitOfWork
from tests.support.auth import headers, unique_tenant
from tests.support.servers import RunningServer, ServerUrls

pytestmark = pytest.mark.e2e

RIDER_HEADER = (
    "external_id,display_name,phone,email,fleet,home_outlet_id,zone,vehicle_plate,"
    "vehicle_type,state"
)
VEHICLE_HEADER = (
    "plate,type,electric,capacity_weight_kg,capacity_volume_l,capacity_items,"
    "temperature_controlled,min_temperature_c,max_temperature_c,max_stops,state"
)
VEHICLES = [
    "KDA 001A,motorbike,false,20,40,1,false,0,0,8,active",
    "KDA 002B,van,true,800.5,3000,60,true,2,8,25,active",
    "KDA 003C,car,false,150,400,10,false,0,0,12,out_of_service",
]


def csv_file(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def import_csv(
    client: httpx.AsyncClient,
    tenant: str,
    kind: str,
    body: str | bytes,
    *,
    dry_run: bool = False,
    sent: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/v1/tenants/{tenant}/fleet/{kind}:import",
        params={"dry_run": "true"} if dry_run else {},
        content=body.encode() if isinstance(body, str) else body,
        headers={"content-type": "text/csv", **(headers(tenant) if sent is None else sent)},
    )


async def export_csv(client: httpx.AsyncClient, tenant: str, kind: str) -> list[list[str]]:
    response = await client.get(
        f"/v1/tenants/{tenant}/fleet/{kind}:export", headers=headers(tenant)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return parse(response.text)


async def history(store: Store, database: Database, tenant: str) -> dict[str, list[Any]]:
    """The tenant's audit rows and outbox events, oldest first."""
    tenant_id = await store.tenants.find(TenantSlug(tenant))
    assert tenant_id is not None
    async with database.transaction(tenant_id) as conn:
        audit = await conn.fetch(
            "SELECT action, resource, before, after FROM audit_log ORDER BY id"
        )
        outbox = await conn.fetch("SELECT event_type, subject, data FROM outbox ORDER BY seq")
    return {"audit": list(audit), "outbox": list(outbox)}


async def new_fleet(store: Store, tenant: str) -> uuid.UUID:
    async with store.write(TenantSlug(tenant)) as uow:
        fleet = await uow.fleets.add(Fleet(uuid.uuid4(), "Westlands riders", FleetKind.OWN))
    return fleet.id


@pytest.fixture
async def client(server: RunningServer) -> Any:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as c:
        yield c


async def test_import_then_export_round_trips_and_reimport_changes_nothing(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    vehicles = csv_file(VEHICLE_HEADER, VEHICLES)
    response = await import_csv(client, tenant, "vehicles", vehicles)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": False,
        "rows": 3,
        "valid": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "error_count": 0,
    }
    fleet = await new_fleet(store, tenant)
    riders = csv_file(
        RIDER_HEADER,
        [
            f"EMP-1,Wanjiku Kamau,+254712345678,wanjiku@example.co.ke,{fleet},outlet-1,"
            "westlands,KDA 001A,motorbike,active",
            'EMP-2,"Otieno, Brian",,,,,,KDA 002B,van,suspended',
            "EMP-3,Achieng,+254700000003,,,outlet-2,cbd,,on_foot,active",
        ],
    )
    response = await import_csv(client, tenant, "riders", riders)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    assert response.json()["valid"] == 3

    assert await export_csv(client, tenant, "vehicles") == parse(vehicles)
    assert await export_csv(client, tenant, "riders") == parse(riders)

    seen = await history(store, database, tenant)
    # The riders' outlets become known as the riders are imported (outlet.created, once each).
    assert [e["event_type"] for e in seen["outbox"]] == ["vehicle.created"] * 3 + [
        "outlet.created"
    ] * 2 + ["rider.created"] * 3
    assert [a["action"] for a in seen["audit"]] == ["vehicle.create"] * 3 + ["rider.create"] * 3
    event = seen["outbox"][5]["data"]
    assert event["tenant"] == tenant
    assert event["rider"]["external_id"] == "EMP-1"
    assert event["rider"]["fleet_id"] == str(fleet)
    assert event["name"] == f"tenants/{tenant}/riders/{event['rider']['id']}"
    assert seen["audit"][3]["resource"] == event["name"]
    assert seen["outbox"][0]["data"]["vehicle"]["capacity"]["item_count"] == 1

    for kind, body in (("vehicles", vehicles), ("riders", riders)):
        again = (await import_csv(client, tenant, kind, body)).json()
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert await history(store, database, tenant) == seen


async def test_changed_rows_are_updated_with_before_and_after_even_when_riders_swap_vehicles(
    client: httpx.AsyncClient, store: Store, database: Database
) -> None:
    tenant = unique_tenant()
    await import_csv(client, tenant, "vehicles", csv_file(VEHICLE_HEADER, VEHICLES))
    first = [
        "EMP-1,Wanjiku,,,,,,KDA 001A,motorbike,active",
        "EMP-2,Brian,,,,,,KDA 002B,van,active",
        "EMP-3,Achieng,,,,,,,on_foot,active",
    ]
    await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, first))
    before = await history(store, database, tenant)
    second = [
        "EMP-1,Wanjiku,,,,,,KDA 002B,van,active",
        "EMP-2,Brian,,,,,,KDA 001A,motorbike,active",
        "EMP-3,Achieng,,,,,,,on_foot,active",
        "EMP-4,Njeri,,,,,,KDA 003C,car,active",
    ]
    report = (await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, second))).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 2, 1)
    assert await export_csv(client, tenant, "riders") == parse(csv_file(RIDER_HEADER, second))
    after = await history(store, database, tenant)
    new_events = after["outbox"][len(before["outbox"]) :]
    assert sorted(e["event_type"] for e in new_events) == [
        "rider.created",
        "rider.updated",
        "rider.updated",
    ]
    updates = [a for a in after["audit"][len(before["audit"]) :] if a["action"] == "rider.update"]
    assert {a["before"]["external_id"] for a in updates} == {"EMP-1", "EMP-2"}
    for audit in updates:
        assert audit["after"]["version"] == audit["before"]["version"] + 1
        assert audit["after"]["vehicle_id"] != audit["before"]["vehicle_id"]


async def test_bad_rows_are_reported_by_row_and_field_and_good_rows_applied(
    client: httpx.AsyncClient, store: Store
) -> None:
    tenant = unique_tenant()
    await import_csv(client, tenant, "vehicles", csv_file(VEHICLE_HEADER, VEHICLES[:1]))
    fleet = await new_fleet(store, tenant)
    rows = [
        f"EMP-1,Good One,+254712345678,,{fleet},,,,bicycle,active",  # 1
        "EMP-2,Bad Phone,0712345678,,,,,,,",  # 2
        "EMP-3,Bad State,,,,,,,,retired",  # 3
        "EMP-1,Duplicate,,,,,,,,",  # 4
        f"EMP-5,Unknown Fleet,,,{uuid.uuid4()},,,,,",  # 5
        "EMP-6,Unknown Plate,,,,,,KXX 999Z,,",  # 6
        "EMP-7,,,,,,,,,",  # 7: no display name
        "EMP-8,Too Few Cells",  # 8
        f"EMP-9,Other Tenant Fleet,,,tenants/someone-else/fleets/{fleet},,,,,",  # 9
        "EMP-10,Good Two,,,,,,kda  001a,motorbike,",  # 10: plate normalised
    ]
    response = await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, rows))
    assert response.status_code == 200, response.text
    report = response.json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (2, "phone"),
        (3, "state"),
        (4, "external_id"),
        (5, "fleet"),
        (6, "vehicle_plate"),
        (7, "display_name"),
        (8, "row"),
        (9, "fleet"),
    ]
    assert "row 1" in report["errors"][2]["message"]
    assert "KXX 999Z" in report["errors"][4]["message"]
    assert (report["rows"], report["valid"], report["created"], report["error_count"]) == (
        10,
        2,
        2,
        8,
    )
    exported = await export_csv(client, tenant, "riders")
    assert [(r[0], r[1], r[7]) for r in exported[1:]] == [
        ("EMP-1", "Good One", ""),
        ("EMP-10", "Good Two", "KDA 001A"),
    ]


async def test_a_vehicle_moves_only_from_a_rider_that_lets_it_go_in_the_same_file(
    client: httpx.AsyncClient,
) -> None:
    tenant = unique_tenant()
    await import_csv(client, tenant, "vehicles", csv_file(VEHICLE_HEADER, VEHICLES[:1]))
    await import_csv(
        client, tenant, "riders", csv_file(RIDER_HEADER, ["EMP-1,Wanjiku,,,,,,KDA 001A,,"])
    )
    taken = ["EMP-2,Brian,,,,,,KDA 001A,,", "EMP-3,Achieng,,,,,,KDA 001A,,"]
    report = (await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, taken))).json()
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (1, "vehicle_plate"),
        (2, "vehicle_plate"),
    ]
    assert "used by rider EMP-1" in report["errors"][0]["message"]
    assert "also given to row 1" in report["errors"][1]["message"]
    moved = ["EMP-1,Wanjiku,,,,,,,,", "EMP-2,Brian,,,,,,KDA 001A,,"]
    report = (await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, moved))).json()
    assert (report["created"], report["updated"], report["error_count"]) == (1, 1, 0)
    exported = await export_csv(client, tenant, "riders")
    assert [(r[0], r[7]) for r in exported[1:]] == [("EMP-1", ""), ("EMP-2", "KDA 001A")]


async def test_only_the_first_1000_errors_are_listed_but_all_are_counted(
    client: httpx.AsyncClient,
) -> None:
    tenant = unique_tenant()
    rows = [f"EMP-{i},Rider,not-a-phone,,,,,,," for i in range(1, 1501)]
    report = (await import_csv(client, tenant, "riders", csv_file(RIDER_HEADER, rows))).json()
    assert (report["rows"], report["valid"], report["error_count"]) == (1500, 0, 1500)
    assert [e["row"] for e in report["errors"]] == list(range(1, 1001))


async def test_a_dry_run_reports_but_applies_nothing(
    client: httpx.AsyncClient, store: Store
) -> None:
    tenant = unique_tenant()
    await import_csv(client, tenant, "vehicles", csv_file(VEHICLE_HEADER, VEHICLES[:1]))
    rows = [
        "EMP-1,Wanjiku,,,,,,KDA 001A,motorbike,active",
        "EMP-2,Brian,,,,,,NOPE 1,,",
        f"EMP-3,Achieng,,,{uuid.uuid4()},,,,,",
    ]
    response = await import_csv(
        client, tenant, "riders", csv_file(RIDER_HEADER, rows), dry_run=True
    )
    report = response.json()
    assert report["dry_run"] is True
    assert (report["valid"], report["created"], report["error_count"]) == (1, 1, 2)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (2, "vehicle_plate"),
        (3, "fleet"),
    ]
    assert await export_csv(client, tenant, "riders") == [RIDER_HEADER.split(",")]
    vehicles = csv_file(VEHICLE_HEADER, [VEHICLES[0].replace("false,20", "true,25"), VEHICLES[1]])
    report = (await import_csv(client, tenant, "vehicles", vehicles, dry_run=True)).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 0)
    assert await export_csv(client, tenant, "vehicles") == parse(
        csv_file(VEHICLE_HEADER, VEHICLES[:1])
    )


async def test_a_broken_file_is_rejected_whole(client: httpx.AsyncClient) -> None:
    tenant = unique_tenant()
    wrong_header = csv_file(
        RIDER_HEADER.replace("phone", "phone_number") + ",nickname",
        ["EMP-1,Wanjiku,+254712345678,,,,,,,active,Wa"],
    )
    response = await import_csv(client, tenant, "riders", wrong_header)
    assert response.status_code == 400
    message = response.json()["message"]
    assert "phone_number" in message
    assert "nickname" in message
    assert "missing column 'phone'" in message
    not_utf8 = (RIDER_HEADER + "\nEMP-1,Caf\xe9,,,,,,,,\n").encode("latin-1")
    assert (await import_csv(client, tenant, "riders", not_utf8)).status_code == 400
    unclosed = csv_file(RIDER_HEADER, ['EMP-1,"Wanjiku,,,,,,,,'])
    assert (await import_csv(client, tenant, "riders", unclosed)).status_code == 400
    assert (await import_csv(client, tenant, "riders", "")).status_code == 400
    assert await export_csv(client, tenant, "riders") == [RIDER_HEADER.split(",")]


async def test_import_needs_admin_on_its_own_tenant_and_export_needs_read(
    client: httpx.AsyncClient,
) -> None:
    tenant = unique_tenant()
    body = csv_file(RIDER_HEADER, ["EMP-1,Wanjiku,,,,,,,,"])
    no_token = await import_csv(client, tenant, "riders", body, sent={})
    assert no_token.status_code == 401
    read_only = headers(tenant, ["logistics:read"])
    assert (await import_csv(client, tenant, "riders", body, sent=read_only)).status_code == 403
    other = headers(unique_tenant())
    assert (await import_csv(client, tenant, "riders", body, sent=other)).status_code == 403
    export = f"/v1/tenants/{tenant}/fleet/riders:export"
    assert (await client.get(export)).status_code == 401
    assert (await client.get(export, headers=other)).status_code == 403
    assert (
        await client.get(export, headers=headers(tenant, ["logistics:dispatch"]))
    ).status_code == 403
    assert (await client.get(export, headers=read_only)).status_code == 200
    assert await export_csv(client, tenant, "riders") == [RIDER_HEADER.split(",")]


async def test_concurrent_overlapping_imports_both_succeed_without_duplicates(
    client: httpx.AsyncClient,
) -> None:
    tenant = unique_tenant()
    first = csv_file(RIDER_HEADER, [f"EMP-{i:04},Rider {i},,,,,,,,active" for i in range(0, 300)])
    second = csv_file(
        RIDER_HEADER, [f"EMP-{i:04},Rider {i},,,,,,,,active" for i in range(150, 450)]
    )
    a, b = await asyncio.gather(
        import_csv(client, tenant, "riders", first), import_csv(client, tenant, "riders", second)
    )
    assert a.status_code == b.status_code == 200
    assert a.json()["created"] + b.json()["created"] == 450
    assert a.json()["unchanged"] + b.json()["unchanged"] == 150
    exported = await export_csv(client, tenant, "riders")
    assert [r[0] for r in exported[1:]] == [f"EMP-{i:04}" for i in range(450)]


async def test_single_row_upserts_racing_an_import_create_no_duplicates(
    client: httpx.AsyncClient, store: Store
) -> None:
    """The import succeeds whatever the timing, and so does every upsert: one that loses the
    race for a new external id retries and updates the imported rider; never a second rider."""
    tenant = unique_tenant()
    slug = TenantSlug(tenant)
    fleet = FleetService(store, Outlets(None))
    caller = Caller(slug, "upserter", frozenset({Scope.ADMIN}))
    body = csv_file(RIDER_HEADER, [f"EMP-{i:04},Rider {i},,,,,,,,active" for i in range(3000)])
    refused: list[str] = []

    async def upserts() -> None:
        for i in range(0, 3000, 60):
            rider = Rider(uuid.uuid4(), f"Single {i}", external_id=f"EMP-{i:04}")
            try:
                await fleet.upsert_rider(caller, slug, rider)
            except AlreadyExists as exc:
                refused.append(exc.reason)

    response, _ = await asyncio.gather(import_csv(client, tenant, "riders", body), upserts())
    assert response.status_code == 200, response.text
    assert response.json()["error_count"] == 0
    assert refused == []
    ids = [r[0] for r in (await export_csv(client, tenant, "riders"))[1:]]
    assert ids == [f"EMP-{i:04}" for i in range(3000)]


async def wait_for_a_lock_wait(database_url: str) -> None:
    """Until some session of the database waits on a lock (the import, on our insert)."""
    conn = await asyncpg.connect(database_url)  # a superuser session sees every backend
    try:
        for _ in range(200):
            waiting = await conn.fetchval(
                """SELECT count(*) FROM pg_stat_activity
                   WHERE datname = current_database() AND wait_event_type = 'Lock'"""
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the import never waited for the concurrent insert")
    finally:
        await conn.close()


async def test_a_rider_inserted_while_the_import_runs_is_updated_not_duplicated(
    client: httpx.AsyncClient, store: Store, database: Database, server_urls: ServerUrls
) -> None:
    tenant = unique_tenant()
    body = csv_file(RIDER_HEADER, ["EMP-1,Imported,,,,,,,,active", "EMP-2,Imported,,,,,,,,active"])
    async with store.write(TenantSlug(tenant)) as uow:  # stays uncommitted until the import waits
        await uow.riders.add(Rider(uuid.uuid4(), "Meanwhile", external_id="EMP-2"))
        importing = asyncio.create_task(import_csv(client, tenant, "riders", body))
        await wait_for_a_lock_wait(server_urls.database_url)
    report = (await importing).json()
    assert (report["created"], report["updated"], report["error_count"]) == (1, 1, 0)
    exported = await export_csv(client, tenant, "riders")
    assert [(r[0], r[1]) for r in exported[1:]] == [("EMP-1", "Imported"), ("EMP-2", "Imported")]
    update = (await history(store, database, tenant))["audit"][-1]
    assert update["action"] == "rider.update"
    assert update["before"]["display_name"] == "Meanwhile"


class _Directory(Outlets):
    """Discovery that knows every outlet but ``ghost``."""

    async def ensure(self, uow: UnitOfWork, outlet_ids: Any) -> None:
        if "ghost" in set(outlet_ids):
            raise NotFound("outlet 'ghost' is unknown to the platform", reason="OUTLET_UNKNOWN")
        await super().ensure(uow, outlet_ids)


async def test_rows_naming_an_outlet_unknown_to_discovery_are_reported(store: Store) -> None:
    """In process (the test server has no discovery to refuse an outlet)."""
    slug = TenantSlug(unique_tenant())
    bulk = BulkService(store, _Directory(None), BulkRepository(store))
    rows = [
        "EMP-1,Wanjiku,,,,outlet-1,,,,",
        "EMP-2,Brian,,,,ghost,,,,",
        "EMP-3,Achieng,,,,outlet-2,,,,",
    ]

    async def body() -> Any:
        yield csv_file(RIDER_HEADER, rows).encode()

    caller = Caller(slug, "importer", frozenset({Scope.ADMIN}))
    report = await bulk.import_riders(caller, slug, body(), dry_run=False)
    assert (report.created, report.error_count) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(2, "home_outlet_id")]
    async with store.read(slug) as uow:
        assert await uow.outlets.known(["outlet-1", "outlet-2", "ghost"]) == {
            "outlet-1",
            "outlet-2",
        }
