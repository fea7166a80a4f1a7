"""Seeds the demo tenant through the public API: fleets, zones, a hub and the outlets' yards
as geofences, the compliance, SLA and dispatch policies, and riders with vehicles, verified
documents and a shift covering now. Idempotent: what exists (found by its natural key: a
fleet's or fence's name, a rider's external id, a plate, a document's kind, a shift covering
now) is kept, so a second run changes nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bengobox.logistics.v1 import (
    dispatch_pb2,
    fleet_pb2,
    task_pb2,
    telemetry_pb2,
)
from google.protobuf.duration_pb2 import Duration

from logistics.sim import city
from logistics.sim.client import VEHICLE_TYPES, Api, geo, listed, ts, window

logger = logging.getLogger(__name__)

Doc = fleet_pb2.ComplianceDocument
SHIFT = timedelta(hours=12)
FLEET_KINDS = {"own": fleet_pb2.Fleet.KIND_OWN, "contracted": fleet_pb2.Fleet.KIND_CONTRACTED}


@dataclass(frozen=True)
class SeededRider:
    spec: city.RiderSpec
    name: str  # tenants/{tenant}/riders/{id}
    shift: str
    shift_end: datetime

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[1]


async def seed(api: Api, rider_count: int, now: datetime | None = None) -> list[SeededRider]:
    """The demo tenant with ``rider_count`` riders; returns the riders, in index order."""
    now = now or datetime.now(UTC)
    fleets = await _fleets(api)
    await _geofences(api)
    await _policies(api)
    existing = {
        r.external_id: r
        for r in await listed(
            api.fleet.ListRiders,
            fleet_pb2.ListRidersRequest(parent=api.parent, page_size=1000),
            "riders",
            api.metadata,
        )
    }
    vehicles = {
        v.plate: v.name
        for v in await listed(
            api.fleet.ListVehicles,
            fleet_pb2.ListVehiclesRequest(parent=api.parent, page_size=1000),
            "vehicles",
            api.metadata,
        )
        if v.plate
    }
    gate = asyncio.Semaphore(8)

    async def one(spec: city.RiderSpec) -> SeededRider:
        async with gate:
            found = existing.get(spec.external_id)
            return await _rider(api, spec, found, fleets[spec.fleet], vehicles, now)

    seeded = await asyncio.gather(*(one(s) for s in city.riders(rider_count)))
    logger.info("demo tenant seeded", extra={"tenant": api.tenant, "riders": len(seeded)})
    return list(seeded)


async def _fleets(api: Api) -> dict[str, str]:
    """The demo fleets' resource names by their ids in ``city``, created when missing."""
    have = {
        f.display_name: f.name
        for f in await listed(
            api.fleet.ListFleets,
            fleet_pb2.ListFleetsRequest(parent=api.parent),
            "fleets",
            api.metadata,
        )
    }
    names = {}
    for fleet in city.FLEETS:
        name = have.get(fleet.display_name)
        if name is None:
            created = await api.fleet.CreateFleet(
                fleet_pb2.CreateFleetRequest(
                    parent=api.parent,
                    fleet=fleet_pb2.Fleet(
                        display_name=fleet.display_name,
                        kind=FLEET_KINDS[fleet.kind],
                        outlet_ids=[o.id for o in city.OUTLETS],
                    ),
                ),
                metadata=api.metadata,
            )
            name = created.name
        names[fleet.id] = str(name)
    return names


async def _geofences(api: Api) -> None:
    Fence = telemetry_pb2.Geofence
    have = {
        g.display_name
        for g in await listed(
            api.telemetry.ListGeofences,
            telemetry_pb2.ListGeofencesRequest(parent=api.parent, page_size=1000),
            "geofences",
            api.metadata,
        )
    }
    wanted: list[tuple[str, int, city.Area]] = [(z.name, Fence.KIND_ZONE, z) for z in city.ZONES]
    wanted.append((city.HUB.name, Fence.KIND_HUB, city.HUB))
    wanted.extend(
        (o.display_name, Fence.KIND_OUTLET, city.Area(o.id, o.location, 60.0)) for o in city.OUTLETS
    )
    for display_name, kind, area in wanted:
        if display_name in have:
            continue
        await api.telemetry.CreateGeofence(
            telemetry_pb2.CreateGeofenceRequest(
                parent=api.parent,
                geofence=Fence(
                    display_name=display_name,
                    kind=kind,  # type: ignore[arg-type]
                    circle=Fence.Circle(center=geo(area.centre), radius_m=area.radius_m),
                    dwell_threshold=Duration(seconds=600) if kind == Fence.KIND_OUTLET else None,
                ),
            ),
            metadata=api.metadata,
        )


async def _policies(api: Api) -> None:
    Requirement = fleet_pb2.CompliancePolicy.Requirement
    await api.fleet.UpdateCompliancePolicy(
        fleet_pb2.UpdateCompliancePolicyRequest(
            policy=fleet_pb2.CompliancePolicy(
                name=f"{api.parent}/compliancePolicy",
                requirements=[
                    Requirement(kinds=[Doc.KIND_NATIONAL_ID]),
                    Requirement(vehicle_type=VEHICLE_TYPES["motorbike"], kinds=[Doc.KIND_LICENCE]),
                    Requirement(vehicle_type=VEHICLE_TYPES["car"], kinds=[Doc.KIND_LICENCE]),
                ],
            )
        ),
        metadata=api.metadata,
    )
    await api.tasks.UpdateSlaPolicy(
        task_pb2.UpdateSlaPolicyRequest(
            policy=task_pb2.SlaPolicy(
                name=f"{api.parent}/slaPolicy",
                at_risk_before=Duration(seconds=600),
                breach_action=task_pb2.SlaPolicy.BREACH_ACTION_MANUAL_DISPATCH,
            )
        ),
        metadata=api.metadata,
    )
    await api.dispatch.UpdateDispatchPolicy(
        dispatch_pb2.UpdateDispatchPolicyRequest(
            policy=dispatch_pb2.DispatchPolicy(
                name=f"{api.parent}/dispatchPolicy",
                weights=dispatch_pb2.ScoringWeights(eta=1.0, load=5.0, idle=0.2, rating=0.5),
            )
        ),
        metadata=api.metadata,
    )


def required_documents(spec: city.RiderSpec) -> list[tuple[int, datetime]]:
    """The documents a rider needs (kind, expiry): an id, and a licence to ride or drive."""
    docs: list[tuple[int, datetime]] = [(Doc.KIND_NATIONAL_ID, city.DOCUMENTS_EXPIRE)]
    if spec.vehicle_type in ("motorbike", "car"):
        expiry = city.LICENCE_LAPSED if spec.licence_expired else city.DOCUMENTS_EXPIRE
        docs.append((Doc.KIND_LICENCE, expiry))
    return docs


async def _rider(
    api: Api,
    spec: city.RiderSpec,
    found: fleet_pb2.Rider | None,
    fleet: str,
    vehicles: dict[str, str],
    now: datetime,
) -> SeededRider:
    vehicle = found.vehicle if found is not None and found.vehicle else vehicles.get(spec.plate)
    if not vehicle:
        vehicle = (
            await api.fleet.CreateVehicle(
                fleet_pb2.CreateVehicleRequest(
                    parent=api.parent,
                    vehicle=fleet_pb2.Vehicle(
                        type=VEHICLE_TYPES[spec.vehicle_type],
                        plate=spec.plate,
                        electric=spec.vehicle_type == "bicycle",
                    ),
                ),
                metadata=api.metadata,
            )
        ).name
    rider = await api.fleet.UpsertRider(
        fleet_pb2.UpsertRiderRequest(
            parent=api.parent,
            rider=fleet_pb2.Rider(
                external_id=spec.external_id,
                display_name=spec.display_name,
                phone=spec.phone,
                fleet=fleet,
                home_outlet_id=spec.home.id,
                zone=spec.zone or "",
                vehicle_type=VEHICLE_TYPES[spec.vehicle_type],
                vehicle=vehicle,
                rating=3.6 + (spec.index * 7 % 14) / 10,
            ),
        ),
        metadata=api.metadata,
    )
    await _documents(api, rider.name, spec)
    shift, end = await _shift(api, rider.name, spec, now)
    return SeededRider(spec, rider.name, shift, end)


async def _documents(api: Api, rider: str, spec: city.RiderSpec) -> None:
    have = {
        d.kind: d
        for d in await listed(
            api.fleet.ListDocuments,
            fleet_pb2.ListDocumentsRequest(parent=rider),
            "documents",
            api.metadata,
        )
    }
    for kind, expiry in required_documents(spec):
        doc = have.get(kind)
        if doc is None:
            doc = await api.fleet.CreateDocument(
                fleet_pb2.CreateDocumentRequest(
                    parent=rider,
                    document=Doc(
                        kind=kind,  # type: ignore[arg-type]
                        number=f"{spec.external_id.upper()}-{kind}",
                        issue_time=ts(city.DOCUMENTS_ISSUED),
                        expire_time=ts(expiry),
                    ),
                ),
                metadata=api.metadata,
            )
        if doc.verification_state == Doc.VERIFICATION_STATE_PENDING:
            await api.fleet.ReviewDocument(
                fleet_pb2.ReviewDocumentRequest(
                    name=doc.name, verification_state=Doc.VERIFICATION_STATE_VERIFIED
                ),
                metadata=api.metadata,
            )


async def _shift(api: Api, rider: str, spec: city.RiderSpec, now: datetime) -> tuple[str, datetime]:
    """The rider's shift covering now (and the next minutes), made when there is none."""
    shifts: Sequence[fleet_pb2.Shift] = await listed(
        api.fleet.ListShifts,
        fleet_pb2.ListShiftsRequest(parent=rider, window=window(now, now + timedelta(minutes=5))),
        "shifts",
        api.metadata,
    )
    for shift in shifts:
        start, end = (
            shift.planned.start_time.ToDatetime(UTC),
            shift.planned.end_time.ToDatetime(UTC),
        )
        if start <= now and end >= now + timedelta(minutes=5):
            return shift.name, end
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=30)
    created = await api.fleet.CreateShift(
        fleet_pb2.CreateShiftRequest(
            parent=rider,
            shift=fleet_pb2.Shift(planned=window(start, start + SHIFT)),
        ),
        metadata=api.metadata,
    )
    return created.name, start + SHIFT
