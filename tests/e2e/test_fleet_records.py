"""Vehicles, documents (and their files), shifts, the compliance policy and eligibility, end to
end: the real server over gRPC (grpcio), a few calls over Connect, and the HTTP file endpoints."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import common_pb2, fleet_connect, fleet_pb2, fleet_pb2_grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import field_mask_pb2

from logistics.domain.ids import TenantSlug
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth, headers
from tests.support.auth import unique_tenant as new_tenant
from tests.support.errors import details
from tests.support.protos import ts, window
from tests.support.servers import Listeners, RunningServer, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

Doc = fleet_pb2.ComplianceDocument
Reason = fleet_pb2.IneligibilityReason
CAR, MOTORBIKE, VAN, BICYCLE = (
    common_pb2.VEHICLE_TYPE_CAR,
    common_pb2.VEHICLE_TYPE_MOTORBIKE,
    common_pb2.VEHICLE_TYPE_VAN,
    common_pb2.VEHICLE_TYPE_BICYCLE,
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300  # 76 KiB, sent in uneven chunks
T0 = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


async def fails(call: Any, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    return caught.value


@pytest.fixture
def fleet(grpc_channel: grpc.aio.Channel) -> fleet_pb2_grpc.FleetServiceStub:
    return fleet_pb2_grpc.FleetServiceStub(grpc_channel)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        yield client


class Api:
    """Short calls for one tenant, so each test reads as the steps a user takes."""

    def __init__(self, fleet: fleet_pb2_grpc.FleetServiceStub, tenant: str) -> None:
        self.fleet = fleet
        self.tenant = tenant
        self.parent = f"tenants/{tenant}"
        self.md = auth(tenant)

    async def vehicle(self, **fields: Any) -> fleet_pb2.Vehicle:
        fields.setdefault("type", CAR)
        fields.setdefault("plate", f"K{uuid.uuid4().hex[:6].upper()}")
        return await self.fleet.CreateVehicle(
            fleet_pb2.CreateVehicleRequest(parent=self.parent, vehicle=fleet_pb2.Vehicle(**fields)),
            metadata=self.md,
        )

    async def rider(self, **fields: Any) -> fleet_pb2.Rider:
        fields.setdefault("display_name", "Baraka")
        return await self.fleet.CreateRider(
            fleet_pb2.CreateRiderRequest(parent=self.parent, rider=fleet_pb2.Rider(**fields)),
            metadata=self.md,
        )

    async def document(
        self, rider: str, kind: int = Doc.KIND_LICENCE, content: bytes = b"", **fields: Any
    ) -> Doc:
        return await self.fleet.CreateDocument(
            fleet_pb2.CreateDocumentRequest(
                parent=rider, document=Doc(kind=kind, **fields), content=content
            ),
            metadata=self.md,
        )

    async def get_document(self, name: str) -> Doc:
        return await self.fleet.GetDocument(
            fleet_pb2.GetDocumentRequest(name=name), metadata=self.md
        )

    async def review(self, name: str, state: int, reason: str = "") -> Doc:
        return await self.fleet.ReviewDocument(
            fleet_pb2.ReviewDocumentRequest(name=name, verification_state=state, reason=reason),
            metadata=self.md,
        )

    async def shift(self, rider: str, start: datetime, end: datetime, *breaks: Any) -> Any:
        return await self.fleet.CreateShift(
            fleet_pb2.CreateShiftRequest(
                parent=rider,
                shift=fleet_pb2.Shift(planned=window(start, end), breaks=list(breaks)),
            ),
            metadata=self.md,
        )

    async def eligibility(
        self, rider: str, at: datetime, needed: common_pb2.Capacity | None = None
    ) -> fleet_pb2.Eligibility:
        request = fleet_pb2.GetEligibilityRequest(rider=rider, evaluate_time=ts(at))
        if needed is not None:
            request.capacity_needed.CopyFrom(needed)
        return await self.fleet.GetEligibility(request, metadata=self.md)

    async def link(self, rider: fleet_pb2.Rider, vehicle: str) -> fleet_pb2.Rider:
        return await self.fleet.UpdateRider(
            fleet_pb2.UpdateRiderRequest(
                rider=fleet_pb2.Rider(name=rider.name, vehicle=vehicle), update_mask=mask("vehicle")
            ),
            metadata=self.md,
        )


@pytest.fixture
def api(fleet: fleet_pb2_grpc.FleetServiceStub, tenant: str) -> Api:
    return Api(fleet, tenant)


def reasons(result: fleet_pb2.Eligibility) -> set[tuple[int, int]]:
    return {(r.code, r.document_kind) for r in result.reasons}


async def tenant_id(store: Store, tenant: str) -> Any:
    found = await store.tenants.find(TenantSlug(tenant))
    assert found is not None
    return found


async def link_in_database(store: Store, rider: str, vehicle: str) -> None:
    """Links a rider to a vehicle behind the API's back: rider.vehicle is not wired in the API
    yet (see test_a_rider_is_linked_to_a_vehicle_by_name), and eligibility needs the link."""
    tenant = rider.split("/")[1]
    async with store.write(TenantSlug(tenant)) as uow:
        await uow.conn.execute(
            "UPDATE riders SET vehicle_id = $2, version = version + 1 WHERE id = $1",
            uuid.UUID(rider.rsplit("/", 1)[1]),
            uuid.UUID(vehicle.rsplit("/", 1)[1]),
        )


# --- vehicles -------------------------------------------------------------------------------------


async def test_a_vehicle_is_created_with_a_normalised_plate_and_read_back(api: Api) -> None:
    created = await api.vehicle(
        type=VAN,
        plate="  kda   123a ",
        electric=True,
        capacity=common_pb2.Capacity(weight_kg=800, volume_l=3000, item_count=40),
        temperature_controlled=True,
        min_temperature_c=2,
        max_temperature_c=8,
        max_stops=25,
    )
    assert created.name.startswith(f"tenants/{api.tenant}/vehicles/")
    assert created.plate == "KDA 123A"
    assert created.state == fleet_pb2.Vehicle.STATE_ACTIVE
    assert (created.capacity.weight_kg, created.capacity.item_count) == (800, 40)
    assert created.etag
    got = await api.fleet.GetVehicle(
        fleet_pb2.GetVehicleRequest(name=created.name), metadata=api.md
    )
    assert got == created


async def test_vehicles_are_listed_by_type_and_state_a_page_at_a_time(api: Api) -> None:
    cars = [(await api.vehicle(type=CAR)).name for _ in range(3)]
    await api.vehicle(type=VAN)
    retired = await api.vehicle(type=CAR, state=fleet_pb2.Vehicle.STATE_OUT_OF_SERVICE)

    listed: list[str] = []
    page_token = ""
    pages = 0
    while True:
        page = await api.fleet.ListVehicles(
            fleet_pb2.ListVehiclesRequest(
                parent=api.parent,
                type=CAR,
                state=fleet_pb2.Vehicle.STATE_ACTIVE,
                page_size=2,
                page_token=page_token,
            ),
            metadata=api.md,
        )
        listed += [v.name for v in page.vehicles]
        pages += 1
        page_token = page.next_page_token
        if not page_token:
            break
    assert listed == cars
    assert pages == 2
    everything = await api.fleet.ListVehicles(
        fleet_pb2.ListVehiclesRequest(parent=api.parent), metadata=api.md
    )
    assert len(everything.vehicles) == 5
    out = await api.fleet.ListVehicles(
        fleet_pb2.ListVehiclesRequest(
            parent=api.parent, state=fleet_pb2.Vehicle.STATE_OUT_OF_SERVICE
        ),
        metadata=api.md,
    )
    assert [v.name for v in out.vehicles] == [retired.name]


async def test_a_page_token_does_not_continue_a_listing_with_other_filters(api: Api) -> None:
    for _ in range(3):
        await api.vehicle(type=CAR)
    first = await api.fleet.ListVehicles(
        fleet_pb2.ListVehiclesRequest(parent=api.parent, type=CAR, page_size=1), metadata=api.md
    )
    assert first.next_page_token
    error = await fails(
        api.fleet.ListVehicles(
            fleet_pb2.ListVehiclesRequest(
                parent=api.parent, type=VAN, page_size=1, page_token=first.next_page_token
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"page_token"}


async def test_a_vehicle_update_changes_only_the_masked_fields_and_needs_a_fresh_etag(
    api: Api,
) -> None:
    created = await api.vehicle(type=CAR, plate="KBX 001C", max_stops=10)
    updated = await api.fleet.UpdateVehicle(
        fleet_pb2.UpdateVehicleRequest(
            vehicle=fleet_pb2.Vehicle(
                name=created.name,
                etag=created.etag,
                capacity=common_pb2.Capacity(weight_kg=300),
                plate="IGNORED 1",
                max_stops=99,
            ),
            update_mask=mask("capacity", "max_stops"),
        ),
        metadata=api.md,
    )
    assert updated.capacity.weight_kg == 300
    assert updated.max_stops == 99
    assert updated.plate == "KBX 001C"  # not in the mask
    assert updated.etag != created.etag

    stale = await fails(
        api.fleet.UpdateVehicle(
            fleet_pb2.UpdateVehicleRequest(
                vehicle=fleet_pb2.Vehicle(name=created.name, etag=created.etag, max_stops=1),
                update_mask=mask("max_stops"),
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ABORTED,
    )
    assert details(stale)[0] == "ETAG_MISMATCH"
    now = await api.fleet.GetVehicle(
        fleet_pb2.GetVehicleRequest(name=created.name), metadata=api.md
    )
    assert now == updated


async def test_a_plate_is_unique_in_a_tenant_but_not_across_tenants(api: Api) -> None:
    await api.vehicle(type=CAR, plate="KCC 777C")
    taken = await fails(api.vehicle(type=VAN, plate="kcc  777c"), grpc.StatusCode.ALREADY_EXISTS)
    assert details(taken)[0] == "PLATE_TAKEN"
    other = Api(api.fleet, new_tenant())
    elsewhere = await other.vehicle(type=CAR, plate="KCC 777C")
    assert elsewhere.plate == "KCC 777C"
    second = await api.vehicle(type=CAR, plate="KCC 778C")
    renamed = await fails(
        api.fleet.UpdateVehicle(
            fleet_pb2.UpdateVehicleRequest(
                vehicle=fleet_pb2.Vehicle(name=second.name, plate="KCC 777C"),
                update_mask=mask("plate"),
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert details(renamed)[0] == "PLATE_TAKEN"


async def test_of_two_concurrent_updates_with_one_etag_exactly_one_wins(api: Api) -> None:
    created = await api.vehicle(type=VAN, max_stops=1)

    def update(stops: int) -> Any:
        return api.fleet.UpdateVehicle(
            fleet_pb2.UpdateVehicleRequest(
                vehicle=fleet_pb2.Vehicle(name=created.name, etag=created.etag, max_stops=stops),
                update_mask=mask("max_stops"),
            ),
            metadata=api.md,
        )

    outcomes = await asyncio.gather(*(update(n) for n in (10, 20, 30)), return_exceptions=True)
    won = [o for o in outcomes if isinstance(o, fleet_pb2.Vehicle)]
    lost = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(won) == 1
    assert [e.code() for e in lost] == [grpc.StatusCode.ABORTED] * 2
    now = await api.fleet.GetVehicle(
        fleet_pb2.GetVehicleRequest(name=created.name), metadata=api.md
    )
    assert now == won[0]


async def test_of_concurrent_creates_with_one_plate_exactly_one_wins(api: Api) -> None:
    outcomes = await asyncio.gather(
        *(api.vehicle(type=CAR, plate="KRC 555R") for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(o, fleet_pb2.Vehicle) for o in outcomes) == 1
    assert {o.code() for o in outcomes if isinstance(o, grpc.aio.AioRpcError)} == {
        grpc.StatusCode.ALREADY_EXISTS
    }


async def test_a_car_needs_a_plate_but_a_bicycle_does_not(api: Api) -> None:
    error = await fails(api.vehicle(type=CAR, plate=""), grpc.StatusCode.INVALID_ARGUMENT)
    assert details(error)[1] == {"vehicle.plate"}
    bike = await api.vehicle(type=BICYCLE, plate="")
    assert bike.plate == ""
    error = await fails(api.vehicle(type=0), grpc.StatusCode.INVALID_ARGUMENT)
    assert details(error)[1] == {"vehicle.type"}


async def test_a_rider_is_linked_to_a_vehicle_by_name(api: Api) -> None:
    car = await api.vehicle(type=CAR)
    created = await api.rider(vehicle=car.name, vehicle_type=CAR)
    assert created.vehicle == car.name
    other = await api.vehicle(type=CAR)
    moved = await api.link(created, other.name)
    assert moved.vehicle == other.name


async def test_a_vehicle_in_use_cannot_be_deleted_until_the_rider_lets_go(api: Api) -> None:
    car = await api.vehicle(type=CAR)
    rider = await api.rider(display_name="Kip")
    linked = await api.link(rider, car.name)
    error = await fails(
        api.fleet.DeleteVehicle(fleet_pb2.DeleteVehicleRequest(name=car.name), metadata=api.md),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert details(error)[0] == "VEHICLE_IN_USE"
    await api.link(linked, "")
    await api.fleet.DeleteVehicle(fleet_pb2.DeleteVehicleRequest(name=car.name), metadata=api.md)


async def test_a_vehicle_in_use_cannot_be_deleted_until_unlinked(api: Api, store: Store) -> None:
    car = await api.vehicle(type=CAR, plate="KDD 100D")
    rider = await api.rider(display_name="Kip")
    await link_in_database(store, rider.name, car.name)
    error = await fails(
        api.fleet.DeleteVehicle(fleet_pb2.DeleteVehicleRequest(name=car.name), metadata=api.md),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert details(error)[0] == "VEHICLE_IN_USE"
    await api.fleet.GetVehicle(fleet_pb2.GetVehicleRequest(name=car.name), metadata=api.md)

    await api.fleet.DeleteRider(fleet_pb2.DeleteRiderRequest(name=rider.name), metadata=api.md)
    await api.fleet.DeleteVehicle(
        fleet_pb2.DeleteVehicleRequest(name=car.name, etag=car.etag), metadata=api.md
    )
    await fails(
        api.fleet.GetVehicle(fleet_pb2.GetVehicleRequest(name=car.name), metadata=api.md),
        grpc.StatusCode.NOT_FOUND,
    )
    again = await api.vehicle(type=CAR, plate="KDD 100D")  # a deleted vehicle frees its plate
    assert again.name != car.name


# --- riders by external id ------------------------------------------------------------------------


async def test_upserting_one_external_id_twice_leaves_one_rider_updated(api: Api) -> None:
    def upsert(**fields: Any) -> Any:
        return api.fleet.UpsertRider(
            fleet_pb2.UpsertRiderRequest(
                parent=api.parent, rider=fleet_pb2.Rider(external_id="hr-77", **fields)
            ),
            metadata=api.md,
        )

    first = await upsert(display_name="Njeri", zone="cbd", phone="+254711000001")
    same = await upsert(display_name="Njeri", zone="cbd", phone="+254711000001")
    assert same == first  # nothing changed: same etag, same update time
    changed = await upsert(display_name="Njeri W.", zone="westlands")
    assert changed.name == first.name
    assert (changed.display_name, changed.zone, changed.phone) == ("Njeri W.", "westlands", "")
    assert changed.etag != first.etag
    listed = await api.fleet.ListRiders(
        fleet_pb2.ListRidersRequest(parent=api.parent), metadata=api.md
    )
    assert [r.name for r in listed.riders] == [first.name]
    error = await fails(
        api.fleet.UpsertRider(
            fleet_pb2.UpsertRiderRequest(
                parent=api.parent, rider=fleet_pb2.Rider(display_name="No id")
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"rider.external_id"}


async def test_an_upsert_without_a_state_keeps_an_operators_suspension(api: Api) -> None:
    def upsert() -> Any:
        return api.fleet.UpsertRider(
            fleet_pb2.UpsertRiderRequest(
                parent=api.parent, rider=fleet_pb2.Rider(external_id="hr-9", display_name="Ali")
            ),
            metadata=api.md,
        )

    first = await upsert()
    assert first.state == fleet_pb2.Rider.STATE_ACTIVE
    await api.fleet.UpdateRider(
        fleet_pb2.UpdateRiderRequest(
            rider=fleet_pb2.Rider(name=first.name, state=fleet_pb2.Rider.STATE_SUSPENDED),
            update_mask=mask("state"),
        ),
        metadata=api.md,
    )
    again = await upsert()
    assert again.state == fleet_pb2.Rider.STATE_SUSPENDED


async def test_concurrent_upserts_of_one_external_id_create_one_rider(api: Api) -> None:
    results = await asyncio.gather(
        *(
            api.fleet.UpsertRider(
                fleet_pb2.UpsertRiderRequest(
                    parent=api.parent,
                    rider=fleet_pb2.Rider(external_id="hr-burst", display_name=f"Rider {i % 2}"),
                ),
                metadata=api.md,
            )
            for i in range(10)
        )
    )
    assert len({r.name for r in results}) == 1
    listed = await api.fleet.ListRiders(
        fleet_pb2.ListRidersRequest(parent=api.parent), metadata=api.md
    )
    assert len(listed.riders) == 1
    assert listed.riders[0].display_name in ("Rider 0", "Rider 1")


# --- documents and their files --------------------------------------------------------------------


async def test_a_document_created_with_an_inline_pdf_records_its_hash_type_and_size(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    rider = await api.rider()
    created = await api.document(
        rider.name,
        Doc.KIND_LICENCE,
        content=PDF,
        number="DL-0099",
        issue_time=ts(T0 - 365 * 24 * HOUR),
        expire_time=ts(T0 + 365 * 24 * HOUR),
    )
    assert created.name.startswith(f"{rider.name}/documents/")
    assert created.verification_state == Doc.VERIFICATION_STATE_PENDING
    got = await api.get_document(created.name)
    assert got.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert got.content_type == "application/pdf"
    assert got.file_size_bytes == len(PDF)
    assert got.number == "DL-0099"
    assert got.expire_time.ToDatetime(tzinfo=UTC) == T0 + 365 * 24 * HOUR

    download = await http.get(
        f"{server.http_url}/v1/{created.name}:download", headers=headers(api.tenant)
    )
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"


def chunks_of(data: bytes, sizes: Iterable[int]) -> list[bytes]:
    out, at = [], 0
    for size in sizes:
        out.append(data[at : at + size])
        at += size
    out.append(data[at:])
    return [c for c in out if c]


async def streamed(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_file_streamed_over_http_is_downloaded_byte_for_byte(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    rider = await api.rider()
    document = await api.document(rider.name, Doc.KIND_NATIONAL_ID)
    assert document.file_sha256 == ""
    url = f"{server.http_url}/v1/{document.name}"

    missing = await http.get(f"{url}:download", headers=headers(api.tenant))
    assert missing.status_code == 400
    assert missing.json()["code"] == "failed_precondition"

    # Uneven chunks, the first shorter than the bytes needed to tell the type.
    uploaded = await http.post(
        f"{url}:upload",
        content=streamed(chunks_of(PNG, [3, 5, 1000, 65536])),
        headers=headers(api.tenant),
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["fileSha256"] == hashlib.sha256(PNG).hexdigest()
    got = await api.get_document(document.name)
    assert (got.file_sha256, got.content_type, got.file_size_bytes) == (
        hashlib.sha256(PNG).hexdigest(),
        "image/png",
        len(PNG),
    )
    assert got.etag != document.etag

    download = await http.get(f"{url}:download", headers=headers(api.tenant))
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-sha256"] == got.file_sha256


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"just some notes about the rider\n" * 10, id="plain-text"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 100, id="zip"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_a_file_of_another_type_is_refused_and_the_document_keeps_its_file(
    api: Api, server: RunningServer, http: httpx.AsyncClient, content: bytes
) -> None:
    rider = await api.rider()
    document = await api.document(rider.name, Doc.KIND_INSURANCE, content=PDF)
    refused = await http.post(
        f"{server.http_url}/v1/{document.name}:upload",
        content=streamed([content]),
        headers=headers(api.tenant),
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_argument"
    got = await api.get_document(document.name)
    assert got.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert got.etag == document.etag
    download = await http.get(
        f"{server.http_url}/v1/{document.name}:download", headers=headers(api.tenant)
    )
    assert download.content == PDF


async def test_an_inline_file_of_another_type_creates_no_document(api: Api) -> None:
    rider = await api.rider()
    error = await fails(
        api.document(rider.name, Doc.KIND_LICENCE, content=b"PK\x03\x04zipzipzipzip"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"file"}
    listed = await api.fleet.ListDocuments(
        fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=api.md
    )
    assert list(listed.documents) == []


async def test_a_streamed_file_over_the_default_10_mib_limit_is_refused(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    rider = await api.rider()
    document = await api.document(rider.name, Doc.KIND_LICENCE)
    too_big = 10 * 1024 * 1024 + 1
    data = b"%PDF-1.4\n" + b"\x00" * (too_big - 9)
    body = chunks_of(data, [2**20] * 10)
    assert len(body) == 11
    refused = await http.post(
        f"{server.http_url}/v1/{document.name}:upload",
        content=streamed(body),
        headers=headers(api.tenant),
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_argument"
    got = await api.get_document(document.name)
    assert (got.file_sha256, got.file_size_bytes) == ("", 0)


@pytest.fixture(scope="module")
async def small_server(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Listeners]:
    """A server that takes documents of at most 1000 bytes, its files in a temporary dir."""
    async with server_in_process(
        server_urls,
        LOGISTICS_MAX_DOCUMENT_BYTES="1000",
        LOGISTICS_DATA_DIR=str(tmp_path_factory.mktemp("small-data")),
    ) as running:
        yield running


async def test_files_over_the_configured_limit_are_refused_inline_and_streamed(
    small_server: Listeners, http: httpx.AsyncClient
) -> None:
    tenant = new_tenant()
    async with grpc.aio.insecure_channel(small_server.grpc_target) as channel:
        api = Api(fleet_pb2_grpc.FleetServiceStub(channel), tenant)
        rider = await api.rider()
        at_limit = PDF + b"\n" * (1000 - len(PDF))
        fits = await api.document(rider.name, Doc.KIND_LICENCE, content=at_limit)
        assert fits.file_size_bytes == 1000
        error = await fails(
            api.document(rider.name, Doc.KIND_INSURANCE, content=at_limit + b"\n"),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details(error)[1] == {"file"}
        listed = await api.fleet.ListDocuments(
            fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=api.md
        )
        assert [d.name for d in listed.documents] == [fits.name]

        empty = await api.document(rider.name, Doc.KIND_NATIONAL_ID)
        url = f"{small_server.http_url}/v1/{empty.name}:upload"
        # Declared too large: refused before the body is read.
        declared = await http.post(url, content=at_limit + b"\n", headers=headers(tenant))
        assert declared.status_code == 400
        assert declared.json()["code"] == "invalid_argument"
        # Not declared (chunked): refused as the limit is crossed.
        chunked = await http.post(
            url, content=streamed(chunks_of(at_limit + b"\n", [400, 400])), headers=headers(tenant)
        )
        assert chunked.status_code == 400
        assert chunked.json()["code"] == "invalid_argument"
        got = await api.get_document(empty.name)
        assert (got.file_sha256, got.file_size_bytes) == ("", 0)
        accepted = await http.post(url, content=streamed([at_limit]), headers=headers(tenant))
        assert accepted.status_code == 200
        assert accepted.json()["fileSizeBytes"] == "1000"


async def test_a_document_needs_a_known_kind_and_an_expiry_after_its_issue(api: Api) -> None:
    rider = await api.rider()
    error = await fails(api.document(rider.name, 99), grpc.StatusCode.INVALID_ARGUMENT)
    assert details(error)[1] == {"document.kind"}
    error = await fails(api.document(rider.name, 0), grpc.StatusCode.INVALID_ARGUMENT)
    assert details(error)[1] == {"document.kind"}
    error = await fails(
        api.document(rider.name, issue_time=ts(T0), expire_time=ts(T0 - HOUR)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"document.expire_time"}
    error = await fails(
        api.fleet.ListDocuments(
            fleet_pb2.ListDocumentsRequest(parent=rider.name, kind=42), metadata=api.md
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"kind"}
    listed = await api.fleet.ListDocuments(
        fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=api.md
    )
    assert list(listed.documents) == []


async def test_a_retried_document_create_returns_the_first_document(api: Api) -> None:
    rider = await api.rider()
    request = fleet_pb2.CreateDocumentRequest(
        parent=rider.name, document=Doc(kind=Doc.KIND_LICENCE), content=PDF, request_id="doc-1"
    )
    first = await api.fleet.CreateDocument(request, metadata=api.md)
    again = await api.fleet.CreateDocument(request, metadata=api.md)
    assert again == first
    listed = await api.fleet.ListDocuments(
        fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=api.md
    )
    assert [d.name for d in listed.documents] == [first.name]


async def test_a_reused_document_request_id_with_another_file_is_already_exists(
    api: Api,
) -> None:
    rider = await api.rider()

    def create(content: bytes) -> Any:
        return api.fleet.CreateDocument(
            fleet_pb2.CreateDocumentRequest(
                parent=rider.name,
                document=Doc(kind=Doc.KIND_LICENCE),
                content=content,
                request_id="doc-1",
            ),
            metadata=api.md,
        )

    await create(PDF)
    error = await fails(create(PNG), grpc.StatusCode.ALREADY_EXISTS)
    assert details(error)[0] == "REQUEST_ID_REUSED"


async def test_a_document_is_found_only_under_its_own_rider(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    owner, other = await api.rider(), await api.rider()
    await fails(api.document(f"{api.parent}/riders/{uuid.uuid4()}"), grpc.StatusCode.NOT_FOUND)
    licence = await api.document(owner.name, content=PDF)
    elsewhere = licence.name.replace(owner.name, other.name)
    await fails(api.get_document(elsewhere), grpc.StatusCode.NOT_FOUND)
    for method, verb in (("GET", "download"), ("POST", "upload")):
        response = await http.request(
            method,
            f"{server.http_url}/v1/{elsewhere}:{verb}",
            content=PDF if method == "POST" else None,
            headers=headers(api.tenant),
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_the_file_endpoints_need_a_token(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    rider = await api.rider()
    licence = await api.document(rider.name, content=PDF)
    url = f"{server.http_url}/v1/{licence.name}"
    for response in (
        await http.get(f"{url}:download"),
        await http.post(f"{url}:upload", content=PNG),
        await http.get(f"{url}:download", headers={"authorization": "Bearer nope"}),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert (await api.get_document(licence.name)).file_sha256 == hashlib.sha256(PDF).hexdigest()


async def test_a_document_is_verified_or_rejected_with_a_reason(api: Api) -> None:
    rider = await api.rider()
    licence = await api.document(rider.name, Doc.KIND_LICENCE)
    error = await fails(
        api.review(licence.name, Doc.VERIFICATION_STATE_REJECTED), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert details(error)[1] == {"reason"}
    error = await fails(
        api.review(licence.name, Doc.VERIFICATION_STATE_PENDING), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert details(error)[1] == {"verification_state"}
    assert (await api.get_document(licence.name)).etag == licence.etag

    verified = await api.review(licence.name, Doc.VERIFICATION_STATE_VERIFIED)
    assert verified.verification_state == Doc.VERIFICATION_STATE_VERIFIED
    rejected = await api.review(licence.name, Doc.VERIFICATION_STATE_REJECTED, "photo is blurred")
    assert rejected.verification_state == Doc.VERIFICATION_STATE_REJECTED
    assert rejected.review_reason == "photo is blurred"
    stale = await fails(
        api.fleet.ReviewDocument(
            fleet_pb2.ReviewDocumentRequest(
                name=licence.name,
                verification_state=Doc.VERIFICATION_STATE_VERIFIED,
                etag=verified.etag,
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ABORTED,
    )
    assert details(stale)[0] == "ETAG_MISMATCH"
    assert await api.get_document(licence.name) == rejected


async def test_a_rejection_writes_the_compliance_event_and_the_audit_in_its_transaction(
    api: Api, store: Store, database: Database
) -> None:
    rider = await api.rider(vehicle_type=MOTORBIKE)
    await api.fleet.UpdateCompliancePolicy(
        fleet_pb2.UpdateCompliancePolicyRequest(
            policy=fleet_pb2.CompliancePolicy(
                name=f"{api.parent}/compliancePolicy",
                requirements=[fleet_pb2.CompliancePolicy.Requirement(kinds=[Doc.KIND_LICENCE])],
            )
        ),
        metadata=api.md,
    )
    licence = await api.document(rider.name, Doc.KIND_LICENCE, content=PDF)
    await api.review(licence.name, Doc.VERIFICATION_STATE_REJECTED, "expired card")

    async with database.transaction(await tenant_id(store, api.tenant)) as conn:
        events = await conn.fetch(
            """SELECT subject, data FROM outbox WHERE event_type = 'rider.compliance_changed'
               ORDER BY seq"""
        )
        audit = await conn.fetchrow(
            """SELECT actor, before, after FROM audit_log
               WHERE action = 'document.reviewed' AND resource = $1""",
            licence.name,
        )
    assert [e["data"]["cause"] for e in events] == ["document created", "document reviewed"]
    rejected = events[-1]
    assert rejected["subject"] == "logistics.rider.compliance_changed"
    assert rejected["data"]["tenant"] == api.tenant
    assert rejected["data"]["rider"] == rider.name
    assert rejected["data"]["document"] == licence.name
    assert rejected["data"]["verification"] == "rejected"
    assert rejected["data"]["eligible"] is False
    assert "document_rejected" in rejected["data"]["reasons"]
    assert audit is not None
    assert audit["before"]["verification"] == "pending"
    assert audit["after"]["verification"] == "rejected"
    assert audit["after"]["review_reason"] == "expired card"
    assert audit["actor"]


async def test_a_document_update_moves_its_expiry_and_a_deleted_one_is_gone(api: Api) -> None:
    rider = await api.rider()
    doc = await api.document(rider.name, Doc.KIND_LICENCE, expire_time=ts(T0))
    moved = await api.fleet.UpdateDocument(
        fleet_pb2.UpdateDocumentRequest(
            document=Doc(name=doc.name, etag=doc.etag, expire_time=ts(T0 + HOUR), number="X"),
            update_mask=mask("expire_time"),
        ),
        metadata=api.md,
    )
    assert moved.expire_time.ToDatetime(tzinfo=UTC) == T0 + HOUR
    assert moved.number == ""
    error = await fails(
        api.fleet.UpdateDocument(
            fleet_pb2.UpdateDocumentRequest(
                document=Doc(name=doc.name, verification_state=Doc.VERIFICATION_STATE_VERIFIED),
                update_mask=mask("verification_state"),
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"update_mask"}
    await api.fleet.DeleteDocument(
        fleet_pb2.DeleteDocumentRequest(name=doc.name, etag=moved.etag), metadata=api.md
    )
    await fails(api.get_document(doc.name), grpc.StatusCode.NOT_FOUND)


# --- shifts ---------------------------------------------------------------------------------------


async def test_shifts_are_created_listed_by_window_updated_and_deleted(api: Api) -> None:
    rider = await api.rider()
    monday = await api.shift(rider.name, T0, T0 + 8 * HOUR, window(T0 + 4 * HOUR, T0 + 4.5 * HOUR))
    tuesday = await api.shift(rider.name, T0 + 24 * HOUR, T0 + 32 * HOUR)
    assert monday.name.startswith(f"{rider.name}/shifts/")
    assert [b.start_time.ToDatetime(tzinfo=UTC) for b in monday.breaks] == [T0 + 4 * HOUR]

    async def listed(start: datetime, end: datetime) -> list[str]:
        page = await api.fleet.ListShifts(
            fleet_pb2.ListShiftsRequest(parent=rider.name, window=window(start, end)),
            metadata=api.md,
        )
        return [s.name for s in page.shifts]

    assert await listed(T0 - 24 * HOUR, T0 + 48 * HOUR) == [monday.name, tuesday.name]
    assert await listed(T0 + 7 * HOUR, T0 + 25 * HOUR) == [monday.name, tuesday.name]
    assert await listed(T0 + 9 * HOUR, T0 + 23 * HOUR) == []
    assert await listed(T0 + 8 * HOUR, T0 + 24 * HOUR) == []  # touching is not overlapping
    assert await listed(T0 + 30 * HOUR, T0 + 40 * HOUR) == [tuesday.name]

    updated = await api.fleet.UpdateShift(
        fleet_pb2.UpdateShiftRequest(
            shift=fleet_pb2.Shift(name=monday.name, etag=monday.etag, zone="kilimani"),
            update_mask=mask("zone"),
        ),
        metadata=api.md,
    )
    assert updated.zone == "kilimani"
    assert list(updated.breaks) == list(monday.breaks)
    await fails(
        api.fleet.UpdateShift(
            fleet_pb2.UpdateShiftRequest(
                shift=fleet_pb2.Shift(name=monday.name, etag=monday.etag, zone="cbd"),
                update_mask=mask("zone"),
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ABORTED,
    )
    await api.fleet.DeleteShift(fleet_pb2.DeleteShiftRequest(name=monday.name), metadata=api.md)
    await fails(
        api.fleet.GetShift(fleet_pb2.GetShiftRequest(name=monday.name), metadata=api.md),
        grpc.StatusCode.NOT_FOUND,
    )
    assert await listed(T0 - 24 * HOUR, T0 + 48 * HOUR) == [tuesday.name]


async def test_a_shift_with_a_break_outside_it_or_over_24_hours_is_refused(api: Api) -> None:
    rider = await api.rider()
    error = await fails(
        api.shift(rider.name, T0, T0 + 8 * HOUR, window(T0 + 7 * HOUR, T0 + 9 * HOUR)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"shift.breaks[0]"}
    error = await fails(
        api.shift(rider.name, T0, T0 + 24 * HOUR + timedelta(minutes=1)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"shift.planned"}
    error = await fails(api.shift(rider.name, T0, T0 - HOUR), grpc.StatusCode.INVALID_ARGUMENT)
    assert details(error)[1] == {"shift.planned"}
    page = await api.fleet.ListShifts(
        fleet_pb2.ListShiftsRequest(parent=rider.name), metadata=api.md
    )
    assert list(page.shifts) == []


# --- the policy and eligibility -------------------------------------------------------------------


async def test_the_compliance_policy_is_replaced_whole_and_guarded_by_its_etag(api: Api) -> None:
    name = f"{api.parent}/compliancePolicy"
    empty = await api.fleet.GetCompliancePolicy(
        fleet_pb2.GetCompliancePolicyRequest(name=name), metadata=api.md
    )
    assert list(empty.requirements) == []
    Requirement = fleet_pb2.CompliancePolicy.Requirement
    updated = await api.fleet.UpdateCompliancePolicy(
        fleet_pb2.UpdateCompliancePolicyRequest(
            policy=fleet_pb2.CompliancePolicy(
                name=name,
                etag=empty.etag,
                requirements=[
                    Requirement(kinds=[Doc.KIND_NATIONAL_ID]),
                    Requirement(vehicle_type=CAR, kinds=[Doc.KIND_INSURANCE, Doc.KIND_LICENCE]),
                ],
            )
        ),
        metadata=api.md,
    )
    got = await api.fleet.GetCompliancePolicy(
        fleet_pb2.GetCompliancePolicyRequest(name=name), metadata=api.md
    )
    assert got == updated
    assert [(r.vehicle_type, sorted(r.kinds)) for r in got.requirements] == [
        (0, [Doc.KIND_NATIONAL_ID]),
        (CAR, sorted([Doc.KIND_LICENCE, Doc.KIND_INSURANCE])),
    ]
    await fails(
        api.fleet.UpdateCompliancePolicy(
            fleet_pb2.UpdateCompliancePolicyRequest(
                policy=fleet_pb2.CompliancePolicy(name=name, etag=empty.etag)
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.ABORTED,
    )
    error = await fails(
        api.fleet.UpdateCompliancePolicy(
            fleet_pb2.UpdateCompliancePolicyRequest(
                policy=fleet_pb2.CompliancePolicy(
                    name=name,
                    requirements=[Requirement(vehicle_type=CAR), Requirement(vehicle_type=CAR)],
                )
            ),
            metadata=api.md,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details(error)[1] == {"policy.requirements[1].vehicle_type"}
    cleared = await api.fleet.UpdateCompliancePolicy(
        fleet_pb2.UpdateCompliancePolicyRequest(policy=fleet_pb2.CompliancePolicy(name=name)),
        metadata=api.md,
    )
    assert list(cleared.requirements) == []


async def test_a_rider_becomes_eligible_only_once_every_rule_holds_at_the_chosen_time(
    api: Api, store: Store
) -> None:
    Requirement = fleet_pb2.CompliancePolicy.Requirement
    await api.fleet.UpdateCompliancePolicy(
        fleet_pb2.UpdateCompliancePolicyRequest(
            policy=fleet_pb2.CompliancePolicy(
                name=f"{api.parent}/compliancePolicy",
                requirements=[
                    Requirement(kinds=[Doc.KIND_LICENCE]),
                    Requirement(vehicle_type=MOTORBIKE, kinds=[Doc.KIND_INSURANCE]),
                ],
            )
        ),
        metadata=api.md,
    )
    rider = await api.rider(
        display_name="Otieno", vehicle_type=MOTORBIKE, state=fleet_pb2.Rider.STATE_SUSPENDED
    )
    working = T0 + HOUR
    parcel = common_pb2.Capacity(weight_kg=15)

    result = await api.eligibility(rider.name, working, parcel)
    assert not result.eligible
    assert result.rider == rider.name
    assert result.evaluate_time.ToDatetime(tzinfo=UTC) == working
    assert reasons(result) == {
        (Reason.CODE_NOT_ACTIVE, 0),
        (Reason.CODE_OFF_SHIFT, 0),
        (Reason.CODE_NO_VEHICLE, 0),
        (Reason.CODE_DOCUMENT_MISSING, Doc.KIND_LICENCE),
        (Reason.CODE_DOCUMENT_MISSING, Doc.KIND_INSURANCE),
    }

    await api.fleet.UpdateRider(
        fleet_pb2.UpdateRiderRequest(
            rider=fleet_pb2.Rider(name=rider.name, state=fleet_pb2.Rider.STATE_ACTIVE),
            update_mask=mask("state"),
        ),
        metadata=api.md,
    )
    await api.shift(rider.name, T0, T0 + 8 * HOUR, window(T0 + 4 * HOUR, T0 + 5 * HOUR))
    bike = await api.vehicle(
        type=MOTORBIKE, plate="KMFA 001A", capacity=common_pb2.Capacity(weight_kg=20)
    )
    await link_in_database(store, rider.name, bike.name)
    result = await api.eligibility(rider.name, working, parcel)
    assert reasons(result) == {
        (Reason.CODE_DOCUMENT_MISSING, Doc.KIND_LICENCE),
        (Reason.CODE_DOCUMENT_MISSING, Doc.KIND_INSURANCE),
    }

    licence = await api.document(
        rider.name, Doc.KIND_LICENCE, content=PDF, expire_time=ts(T0 + 6 * HOUR)
    )
    insurance = await api.document(rider.name, Doc.KIND_INSURANCE, content=PDF)
    result = await api.eligibility(rider.name, working, parcel)
    assert reasons(result) == {
        (Reason.CODE_DOCUMENT_UNVERIFIED, Doc.KIND_LICENCE),
        (Reason.CODE_DOCUMENT_UNVERIFIED, Doc.KIND_INSURANCE),
    }
    await api.review(licence.name, Doc.VERIFICATION_STATE_VERIFIED)
    await api.review(insurance.name, Doc.VERIFICATION_STATE_VERIFIED)

    result = await api.eligibility(rider.name, working, parcel)
    assert result.eligible
    assert list(result.reasons) == []
    # Too heavy for the motorbike; on the break; before the shift; after the licence expired.
    heavy = await api.eligibility(rider.name, working, common_pb2.Capacity(weight_kg=25))
    assert reasons(heavy) == {(Reason.CODE_CAPACITY, 0)}
    on_break = await api.eligibility(rider.name, T0 + 4.5 * HOUR)
    assert reasons(on_break) == {(Reason.CODE_OFF_SHIFT, 0)}
    assert not (await api.eligibility(rider.name, T0 - timedelta(seconds=1))).eligible
    assert (await api.eligibility(rider.name, T0 + 6 * HOUR - timedelta(seconds=1))).eligible
    expired = await api.eligibility(rider.name, T0 + 6 * HOUR)
    assert reasons(expired) == {(Reason.CODE_DOCUMENT_EXPIRED, Doc.KIND_LICENCE)}

    await api.review(insurance.name, Doc.VERIFICATION_STATE_REJECTED, "wrong policy holder")
    result = await api.eligibility(rider.name, working, parcel)
    assert reasons(result) == {(Reason.CODE_DOCUMENT_REJECTED, Doc.KIND_INSURANCE)}

    # Taking the vehicle out of service takes the rider out of dispatch at once.
    await api.fleet.UpdateVehicle(
        fleet_pb2.UpdateVehicleRequest(
            vehicle=fleet_pb2.Vehicle(name=bike.name, state=fleet_pb2.Vehicle.STATE_OUT_OF_SERVICE),
            update_mask=mask("state"),
        ),
        metadata=api.md,
    )
    result = await api.eligibility(rider.name, working)
    assert reasons(result) == {
        (Reason.CODE_NO_VEHICLE, 0),
        (Reason.CODE_DOCUMENT_REJECTED, Doc.KIND_INSURANCE),
    }


async def test_eligibility_of_a_rider_on_foot_needs_no_vehicle(api: Api) -> None:
    walker = await api.rider(vehicle_type=common_pb2.VEHICLE_TYPE_ON_FOOT)
    await api.shift(walker.name, T0, T0 + 8 * HOUR)
    assert (await api.eligibility(walker.name, T0 + HOUR)).eligible
    carrying = await api.eligibility(walker.name, T0 + HOUR, common_pb2.Capacity(item_count=1))
    assert reasons(carrying) == {(Reason.CODE_NO_VEHICLE, 0)}


async def test_eligibility_of_a_missing_rider_is_not_found(api: Api) -> None:
    await api.rider()
    await fails(
        api.eligibility(f"{api.parent}/riders/{uuid.uuid4()}", T0), grpc.StatusCode.NOT_FOUND
    )


# --- both listeners, and tenants --------------------------------------------------------------


async def test_records_made_over_grpc_are_read_and_refused_the_same_over_connect(
    api: Api, server: RunningServer
) -> None:
    client = fleet_connect.FleetServiceClient(server.http_url)
    caller = headers(api.tenant)
    car = await api.vehicle(type=CAR, plate="KCN 404N")
    over_connect = await client.get_vehicle(
        fleet_pb2.GetVehicleRequest(name=car.name), headers=caller
    )
    assert over_connect == car

    rider = await client.create_rider(
        fleet_pb2.CreateRiderRequest(parent=api.parent, rider=fleet_pb2.Rider(display_name="C")),
        headers=caller,
    )
    licence = await client.create_document(
        fleet_pb2.CreateDocumentRequest(
            parent=rider.name, document=Doc(kind=Doc.KIND_LICENCE), content=PDF
        ),
        headers=caller,
    )
    assert licence.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert await api.get_document(licence.name) == licence

    with pytest.raises(ConnectError) as caught:
        await client.create_vehicle(
            fleet_pb2.CreateVehicleRequest(
                parent=api.parent, vehicle=fleet_pb2.Vehicle(type=VAN, plate="kcn 404n")
            ),
            headers=caller,
        )
    assert caught.value.code == Code.ALREADY_EXISTS
    with pytest.raises(ConnectError) as caught:
        await client.review_document(
            fleet_pb2.ReviewDocumentRequest(
                name=licence.name, verification_state=Doc.VERIFICATION_STATE_REJECTED
            ),
            headers=caller,
        )
    assert caught.value.code == Code.INVALID_ARGUMENT
    result = await client.get_eligibility(
        fleet_pb2.GetEligibilityRequest(rider=rider.name, evaluate_time=ts(T0)), headers=caller
    )
    assert (Reason.CODE_OFF_SHIFT, 0) in reasons(result)
    with pytest.raises(ConnectError) as caught:
        await client.get_vehicle(
            fleet_pb2.GetVehicleRequest(name=car.name), headers=headers(new_tenant())
        )
    assert caught.value.code == Code.PERMISSION_DENIED


async def test_another_tenants_token_is_denied_every_record(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    car = await api.vehicle(type=CAR)
    rider = await api.rider()
    licence = await api.document(rider.name, Doc.KIND_LICENCE, content=PDF)
    shift = await api.shift(rider.name, T0, T0 + HOUR)
    intruder = new_tenant()
    md = auth(intruder)
    calls = [
        api.fleet.GetVehicle(fleet_pb2.GetVehicleRequest(name=car.name), metadata=md),
        api.fleet.ListVehicles(fleet_pb2.ListVehiclesRequest(parent=api.parent), metadata=md),
        api.fleet.UpdateVehicle(
            fleet_pb2.UpdateVehicleRequest(
                vehicle=fleet_pb2.Vehicle(name=car.name, max_stops=1), update_mask=mask("max_stops")
            ),
            metadata=md,
        ),
        api.fleet.DeleteVehicle(fleet_pb2.DeleteVehicleRequest(name=car.name), metadata=md),
        api.fleet.CreateVehicle(
            fleet_pb2.CreateVehicleRequest(
                parent=api.parent, vehicle=fleet_pb2.Vehicle(type=BICYCLE)
            ),
            metadata=md,
        ),
        api.fleet.GetDocument(fleet_pb2.GetDocumentRequest(name=licence.name), metadata=md),
        api.fleet.ListDocuments(fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=md),
        api.fleet.CreateDocument(
            fleet_pb2.CreateDocumentRequest(parent=rider.name, document=Doc(kind=1)), metadata=md
        ),
        api.fleet.ReviewDocument(
            fleet_pb2.ReviewDocumentRequest(
                name=licence.name, verification_state=Doc.VERIFICATION_STATE_VERIFIED
            ),
            metadata=md,
        ),
        api.fleet.DeleteDocument(fleet_pb2.DeleteDocumentRequest(name=licence.name), metadata=md),
        api.fleet.GetShift(fleet_pb2.GetShiftRequest(name=shift.name), metadata=md),
        api.fleet.ListShifts(fleet_pb2.ListShiftsRequest(parent=rider.name), metadata=md),
        api.fleet.DeleteShift(fleet_pb2.DeleteShiftRequest(name=shift.name), metadata=md),
        api.fleet.GetCompliancePolicy(
            fleet_pb2.GetCompliancePolicyRequest(name=f"{api.parent}/compliancePolicy"),
            metadata=md,
        ),
        api.fleet.UpdateCompliancePolicy(
            fleet_pb2.UpdateCompliancePolicyRequest(
                policy=fleet_pb2.CompliancePolicy(name=f"{api.parent}/compliancePolicy")
            ),
            metadata=md,
        ),
        api.fleet.GetEligibility(fleet_pb2.GetEligibilityRequest(rider=rider.name), metadata=md),
        api.fleet.UpsertRider(
            fleet_pb2.UpsertRiderRequest(
                parent=api.parent, rider=fleet_pb2.Rider(external_id="x", display_name="X")
            ),
            metadata=md,
        ),
    ]
    for call in calls:
        error = await fails(call, grpc.StatusCode.PERMISSION_DENIED)
        assert details(error)[0] == "WRONG_TENANT"
    for method, verb in (("GET", "download"), ("POST", "upload")):
        response = await http.request(
            method,
            f"{server.http_url}/v1/{licence.name}:{verb}",
            content=PDF if method == "POST" else None,
            headers=headers(intruder),
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    # Nothing changed for the owner.
    assert (await api.get_document(licence.name)) == licence
    got = await api.fleet.GetVehicle(fleet_pb2.GetVehicleRequest(name=car.name), metadata=api.md)
    assert got == car
    # Under its own tenant's name the intruder finds nothing with these ids.
    await fails(
        api.fleet.GetVehicle(
            fleet_pb2.GetVehicleRequest(name=car.name.replace(api.tenant, intruder)), metadata=md
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await fails(
        api.fleet.GetDocument(
            fleet_pb2.GetDocumentRequest(name=licence.name.replace(api.tenant, intruder)),
            metadata=md,
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_a_read_only_token_reads_records_and_files_but_cannot_change_them(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    rider = await api.rider()
    licence = await api.document(rider.name, content=PDF)
    reader = auth(api.tenant, ["logistics:read"])
    listed = await api.fleet.ListDocuments(
        fleet_pb2.ListDocumentsRequest(parent=rider.name), metadata=reader
    )
    assert [d.name for d in listed.documents] == [licence.name]
    for call in (
        api.fleet.CreateDocument(
            fleet_pb2.CreateDocumentRequest(parent=rider.name, document=Doc(kind=1)),
            metadata=reader,
        ),
        api.fleet.ReviewDocument(
            fleet_pb2.ReviewDocumentRequest(
                name=licence.name, verification_state=Doc.VERIFICATION_STATE_VERIFIED
            ),
            metadata=reader,
        ),
        api.fleet.CreateVehicle(
            fleet_pb2.CreateVehicleRequest(
                parent=api.parent, vehicle=fleet_pb2.Vehicle(type=BICYCLE)
            ),
            metadata=reader,
        ),
    ):
        error = await fails(call, grpc.StatusCode.PERMISSION_DENIED)
        assert details(error)[0] == "MISSING_SCOPE"
    read_only = headers(api.tenant, ["logistics:read"])
    url = f"{server.http_url}/v1/{licence.name}"
    assert (await http.get(f"{url}:download", headers=read_only)).content == PDF
    refused = await http.post(f"{url}:upload", content=PNG, headers=read_only)
    assert refused.status_code == 403
    assert (await api.get_document(licence.name)) == licence


async def test_a_vehicle_and_a_shift_read_back_and_sent_with_no_mask_update_what_changed(
    api: Api,
) -> None:
    car = await api.vehicle(type=CAR, plate="KRT 100T")
    car.max_stops = 12
    updated = await api.fleet.UpdateVehicle(
        fleet_pb2.UpdateVehicleRequest(vehicle=car), metadata=api.md
    )
    assert (updated.max_stops, updated.plate) == (12, "KRT 100T")
    rider = await api.rider()
    shift = await api.shift(rider.name, T0, T0 + 8 * HOUR)
    shift.zone = "parklands"
    moved = await api.fleet.UpdateShift(fleet_pb2.UpdateShiftRequest(shift=shift), metadata=api.md)
    assert moved.zone == "parklands"
    assert moved.planned == shift.planned


async def test_a_document_read_back_and_sent_with_no_mask_updates_what_changed(
    api: Api,
) -> None:
    rider = await api.rider()
    created = await api.document(rider.name, Doc.KIND_LICENCE, content=PDF, expire_time=ts(T0))
    document = await api.get_document(created.name)
    document.number = "DL-1"
    updated = await api.fleet.UpdateDocument(
        fleet_pb2.UpdateDocumentRequest(document=document), metadata=api.md
    )
    assert updated.number == "DL-1"
    assert updated.file_sha256 == document.file_sha256
