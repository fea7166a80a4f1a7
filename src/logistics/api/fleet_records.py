"""FleetService methods for vehicles, documents, shifts, the compliance policy, eligibility and
upserts; mixed into ``FleetHandler``."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import fleet_pb2
from google.protobuf import empty_pb2

from logistics.api.convert_common import enum_from_proto, optional
from logistics.api.convert_fleet import VEHICLE_TYPES, rider_from_proto, rider_to_proto
from logistics.api.convert_records import (
    DOCUMENT_KINDS,
    VEHICLE_STATES,
    VERIFICATIONS,
    capacity_from_proto,
    document_changes,
    document_from_proto,
    document_to_proto,
    eligibility_to_proto,
    optional_time,
    policy_from_proto,
    policy_to_proto,
    shift_changes,
    shift_from_proto,
    shift_to_proto,
    vehicle_changes,
    vehicle_from_proto,
    vehicle_to_proto,
    window_from_proto,
)
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.compliance import ReviewOutcome
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import ChildName, parse_parent
from logistics.domain.names import COMPLIANCE_POLICY, DOCUMENTS, RIDERS, SHIFTS, VEHICLES
from logistics.services.compliance import ComplianceService, DocumentRef
from logistics.services.fleet import FleetService
from logistics.services.vehicles import VehicleService

Ctx = Any


def _required(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument.field(field, "is required")


def _ref(name: ChildName) -> DocumentRef:
    return DocumentRef(name.parent.tenant, name.parent.id, name.id)


class FleetRecordsMethods:
    _fleets: FleetService
    _vehicles: VehicleService
    _compliance: ComplianceService

    async def upsert_rider(
        self, request: fleet_pb2.UpsertRiderRequest, ctx: Ctx
    ) -> fleet_pb2.Rider:
        tenant = parse_parent(request.parent)
        _required(request.HasField("rider"), "rider")
        # An upstream re-sync that does not mention the state keeps the operator's choice.
        keep_state = request.rider.state == fleet_pb2.Rider.STATE_UNSPECIFIED
        rider = await self._fleets.upsert_rider(
            current_caller(), tenant, rider_from_proto(tenant, request.rider), keep_state=keep_state
        )
        return rider_to_proto(tenant, rider)

    async def get_eligibility(
        self, request: fleet_pb2.GetEligibilityRequest, ctx: Ctx
    ) -> fleet_pb2.Eligibility:
        rider = RIDERS.parse(request.rider, "rider")
        at = optional_time(request, "evaluate_time", "evaluate_time")
        needed = (
            capacity_from_proto(request.capacity_needed)
            if request.HasField("capacity_needed")
            else None
        )
        result = await self._compliance.eligibility(current_caller(), rider, at, needed)
        return eligibility_to_proto(request.rider, result)

    # Vehicles

    async def create_vehicle(
        self, request: fleet_pb2.CreateVehicleRequest, ctx: Ctx
    ) -> fleet_pb2.Vehicle:
        tenant = parse_parent(request.parent)
        _required(request.HasField("vehicle"), "vehicle")
        created = await self._vehicles.create(
            current_caller(),
            tenant,
            vehicle_from_proto(request.vehicle),
            optional(request.request_id),
        )
        return vehicle_to_proto(tenant, created)

    async def get_vehicle(
        self, request: fleet_pb2.GetVehicleRequest, ctx: Ctx
    ) -> fleet_pb2.Vehicle:
        name = VEHICLES.parse(request.name)
        return vehicle_to_proto(name.tenant, await self._vehicles.get(current_caller(), name))

    async def list_vehicles(
        self, request: fleet_pb2.ListVehiclesRequest, ctx: Ctx
    ) -> fleet_pb2.ListVehiclesResponse:
        tenant = parse_parent(request.parent)
        kind = enum_from_proto(request.type, VEHICLE_TYPES, "type")
        state = enum_from_proto(request.state, VEHICLE_STATES, "state")
        filters = ("vehicles", tenant, kind, state)
        page = await self._vehicles.list(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            type=kind,
            state=state,
        )
        return fleet_pb2.ListVehiclesResponse(
            vehicles=[vehicle_to_proto(tenant, v) for v in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_vehicle(
        self, request: fleet_pb2.UpdateVehicleRequest, ctx: Ctx
    ) -> fleet_pb2.Vehicle:
        _required(request.HasField("vehicle"), "vehicle")
        name = VEHICLES.parse(request.vehicle.name, "vehicle.name")
        updated = await self._vehicles.update(
            current_caller(),
            name,
            vehicle_changes(request.vehicle, list(request.update_mask.paths)),
            optional(request.vehicle.etag),
        )
        return vehicle_to_proto(name.tenant, updated)

    async def delete_vehicle(
        self, request: fleet_pb2.DeleteVehicleRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = VEHICLES.parse(request.name)
        await self._vehicles.delete(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

    # Documents

    async def create_document(
        self, request: fleet_pb2.CreateDocumentRequest, ctx: Ctx
    ) -> fleet_pb2.ComplianceDocument:
        rider = RIDERS.parse(request.parent, "parent")
        _required(request.HasField("document"), "document")
        created = await self._compliance.create_document(
            current_caller(),
            rider,
            document_from_proto(request.document),
            request.content or None,
            optional(request.request_id),
        )
        return document_to_proto(rider.tenant, created)

    async def get_document(
        self, request: fleet_pb2.GetDocumentRequest, ctx: Ctx
    ) -> fleet_pb2.ComplianceDocument:
        name = DOCUMENTS.parse(request.name)
        found = await self._compliance.get_document(current_caller(), _ref(name))
        return document_to_proto(name.parent.tenant, found)

    async def list_documents(
        self, request: fleet_pb2.ListDocumentsRequest, ctx: Ctx
    ) -> fleet_pb2.ListDocumentsResponse:
        rider = RIDERS.parse(request.parent, "parent")
        kind = enum_from_proto(request.kind, DOCUMENT_KINDS, "kind")
        filters = ("documents", str(rider), kind)
        page = await self._compliance.list_documents(
            current_caller(),
            rider,
            page_request(request.page_size, request.page_token, filters),
            kind,
        )
        return fleet_pb2.ListDocumentsResponse(
            documents=[document_to_proto(rider.tenant, d) for d in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_document(
        self, request: fleet_pb2.UpdateDocumentRequest, ctx: Ctx
    ) -> fleet_pb2.ComplianceDocument:
        _required(request.HasField("document"), "document")
        name = DOCUMENTS.parse(request.document.name, "document.name")
        updated = await self._compliance.update_document(
            current_caller(),
            _ref(name),
            document_changes(request.document, list(request.update_mask.paths)),
            optional(request.document.etag),
        )
        return document_to_proto(name.parent.tenant, updated)

    async def review_document(
        self, request: fleet_pb2.ReviewDocumentRequest, ctx: Ctx
    ) -> fleet_pb2.ComplianceDocument:
        name = DOCUMENTS.parse(request.name)
        state = enum_from_proto(
            request.verification_state, VERIFICATIONS, "verification_state", required=True
        )
        assert state is not None
        reviewed = await self._compliance.review_document(
            current_caller(),
            _ref(name),
            ReviewOutcome(state, optional(request.reason)),
            optional(request.etag),
        )
        return document_to_proto(name.parent.tenant, reviewed)

    async def delete_document(
        self, request: fleet_pb2.DeleteDocumentRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = DOCUMENTS.parse(request.name)
        await self._compliance.delete_document(current_caller(), _ref(name), optional(request.etag))
        return empty_pb2.Empty()

    # Shifts

    async def create_shift(
        self, request: fleet_pb2.CreateShiftRequest, ctx: Ctx
    ) -> fleet_pb2.Shift:
        rider = RIDERS.parse(request.parent, "parent")
        _required(request.HasField("shift"), "shift")
        created = await self._compliance.create_shift(
            current_caller(), rider, shift_from_proto(request.shift), optional(request.request_id)
        )
        return shift_to_proto(rider.tenant, created)

    async def get_shift(self, request: fleet_pb2.GetShiftRequest, ctx: Ctx) -> fleet_pb2.Shift:
        name = SHIFTS.parse(request.name)
        found = await self._compliance.get_shift(current_caller(), _ref(name))
        return shift_to_proto(name.parent.tenant, found)

    async def list_shifts(
        self, request: fleet_pb2.ListShiftsRequest, ctx: Ctx
    ) -> fleet_pb2.ListShiftsResponse:
        rider = RIDERS.parse(request.parent, "parent")
        window = window_from_proto(request.window, "window") if request.HasField("window") else None
        filters = ("shifts", str(rider), window)
        page = await self._compliance.list_shifts(
            current_caller(),
            rider,
            page_request(request.page_size, request.page_token, filters),
            window,
        )
        return fleet_pb2.ListShiftsResponse(
            shifts=[shift_to_proto(rider.tenant, s) for s in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_shift(
        self, request: fleet_pb2.UpdateShiftRequest, ctx: Ctx
    ) -> fleet_pb2.Shift:
        _required(request.HasField("shift"), "shift")
        name = SHIFTS.parse(request.shift.name, "shift.name")
        updated = await self._compliance.update_shift(
            current_caller(),
            _ref(name),
            shift_changes(request.shift, list(request.update_mask.paths)),
            optional(request.shift.etag),
        )
        return shift_to_proto(name.parent.tenant, updated)

    async def delete_shift(
        self, request: fleet_pb2.DeleteShiftRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = SHIFTS.parse(request.name)
        await self._compliance.delete_shift(current_caller(), _ref(name), optional(request.etag))
        return empty_pb2.Empty()

    # Policy

    async def get_compliance_policy(
        self, request: fleet_pb2.GetCompliancePolicyRequest, ctx: Ctx
    ) -> fleet_pb2.CompliancePolicy:
        tenant = COMPLIANCE_POLICY.parse(request.name)
        return policy_to_proto(tenant, await self._compliance.get_policy(current_caller(), tenant))

    async def update_compliance_policy(
        self, request: fleet_pb2.UpdateCompliancePolicyRequest, ctx: Ctx
    ) -> fleet_pb2.CompliancePolicy:
        _required(request.HasField("policy"), "policy")
        tenant = COMPLIANCE_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._compliance.update_policy(
            current_caller(),
            tenant,
            policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return policy_to_proto(tenant, updated)
