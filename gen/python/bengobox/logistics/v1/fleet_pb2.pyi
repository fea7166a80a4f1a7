import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Fleet(_message.Message):
    __slots__ = ("name", "display_name", "kind", "outlet_ids", "labels", "create_time", "update_time", "etag")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Fleet.Kind]
        KIND_OWN: _ClassVar[Fleet.Kind]
        KIND_CONTRACTED: _ClassVar[Fleet.Kind]
        KIND_THIRD_PARTY: _ClassVar[Fleet.Kind]
    KIND_UNSPECIFIED: Fleet.Kind
    KIND_OWN: Fleet.Kind
    KIND_CONTRACTED: Fleet.Kind
    KIND_THIRD_PARTY: Fleet.Kind
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OUTLET_IDS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    kind: Fleet.Kind
    outlet_ids: _containers.RepeatedScalarFieldContainer[str]
    labels: _containers.ScalarMap[str, str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[Fleet.Kind, str]] = ..., outlet_ids: _Optional[_Iterable[str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Rider(_message.Message):
    __slots__ = ("name", "display_name", "external_id", "fleet", "phone", "email", "home_outlet_id", "zone", "vehicle_type", "state", "labels", "create_time", "update_time", "etag", "vehicle", "rating")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Rider.State]
        STATE_ACTIVE: _ClassVar[Rider.State]
        STATE_SUSPENDED: _ClassVar[Rider.State]
        STATE_OFFBOARDED: _ClassVar[Rider.State]
    STATE_UNSPECIFIED: Rider.State
    STATE_ACTIVE: Rider.State
    STATE_SUSPENDED: Rider.State
    STATE_OFFBOARDED: Rider.State
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    HOME_OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    external_id: str
    fleet: str
    phone: str
    email: str
    home_outlet_id: str
    zone: str
    vehicle_type: _common_pb2.VehicleType
    state: Rider.State
    labels: _containers.ScalarMap[str, str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    vehicle: str
    rating: float
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., external_id: _Optional[str] = ..., fleet: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., home_outlet_id: _Optional[str] = ..., zone: _Optional[str] = ..., vehicle_type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., state: _Optional[_Union[Rider.State, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., vehicle: _Optional[str] = ..., rating: _Optional[float] = ...) -> None: ...

class CreateFleetRequest(_message.Message):
    __slots__ = ("parent", "fleet", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    fleet: Fleet
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., fleet: _Optional[_Union[Fleet, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetFleetRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListFleetsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "kind")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    kind: Fleet.Kind
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[Fleet.Kind, str]] = ...) -> None: ...

class ListFleetsResponse(_message.Message):
    __slots__ = ("fleets", "next_page_token")
    FLEETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fleets: _containers.RepeatedCompositeFieldContainer[Fleet]
    next_page_token: str
    def __init__(self, fleets: _Optional[_Iterable[_Union[Fleet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateFleetRequest(_message.Message):
    __slots__ = ("fleet", "update_mask")
    FLEET_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    fleet: Fleet
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, fleet: _Optional[_Union[Fleet, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteFleetRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateRiderRequest(_message.Message):
    __slots__ = ("parent", "rider", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    rider: Rider
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., rider: _Optional[_Union[Rider, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetRiderRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRidersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "fleet", "state", "vehicle_type", "zone")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    fleet: str
    state: Rider.State
    vehicle_type: _common_pb2.VehicleType
    zone: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., fleet: _Optional[str] = ..., state: _Optional[_Union[Rider.State, str]] = ..., vehicle_type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., zone: _Optional[str] = ...) -> None: ...

class ListRidersResponse(_message.Message):
    __slots__ = ("riders", "next_page_token")
    RIDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    riders: _containers.RepeatedCompositeFieldContainer[Rider]
    next_page_token: str
    def __init__(self, riders: _Optional[_Iterable[_Union[Rider, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateRiderRequest(_message.Message):
    __slots__ = ("rider", "update_mask")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    rider: Rider
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, rider: _Optional[_Union[Rider, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteRiderRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class UpsertRiderRequest(_message.Message):
    __slots__ = ("parent", "rider")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    rider: Rider
    def __init__(self, parent: _Optional[str] = ..., rider: _Optional[_Union[Rider, _Mapping]] = ...) -> None: ...

class GetEligibilityRequest(_message.Message):
    __slots__ = ("rider", "evaluate_time", "capacity_needed")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_NEEDED_FIELD_NUMBER: _ClassVar[int]
    rider: str
    evaluate_time: _timestamp_pb2.Timestamp
    capacity_needed: _common_pb2.Capacity
    def __init__(self, rider: _Optional[str] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., capacity_needed: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ...) -> None: ...

class IneligibilityReason(_message.Message):
    __slots__ = ("code", "message", "document_kind")
    class Code(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CODE_UNSPECIFIED: _ClassVar[IneligibilityReason.Code]
        CODE_NOT_ACTIVE: _ClassVar[IneligibilityReason.Code]
        CODE_OFF_SHIFT: _ClassVar[IneligibilityReason.Code]
        CODE_NO_VEHICLE: _ClassVar[IneligibilityReason.Code]
        CODE_CAPACITY: _ClassVar[IneligibilityReason.Code]
        CODE_DOCUMENT_MISSING: _ClassVar[IneligibilityReason.Code]
        CODE_DOCUMENT_EXPIRED: _ClassVar[IneligibilityReason.Code]
        CODE_DOCUMENT_REJECTED: _ClassVar[IneligibilityReason.Code]
        CODE_DOCUMENT_UNVERIFIED: _ClassVar[IneligibilityReason.Code]
    CODE_UNSPECIFIED: IneligibilityReason.Code
    CODE_NOT_ACTIVE: IneligibilityReason.Code
    CODE_OFF_SHIFT: IneligibilityReason.Code
    CODE_NO_VEHICLE: IneligibilityReason.Code
    CODE_CAPACITY: IneligibilityReason.Code
    CODE_DOCUMENT_MISSING: IneligibilityReason.Code
    CODE_DOCUMENT_EXPIRED: IneligibilityReason.Code
    CODE_DOCUMENT_REJECTED: IneligibilityReason.Code
    CODE_DOCUMENT_UNVERIFIED: IneligibilityReason.Code
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_KIND_FIELD_NUMBER: _ClassVar[int]
    code: IneligibilityReason.Code
    message: str
    document_kind: ComplianceDocument.Kind
    def __init__(self, code: _Optional[_Union[IneligibilityReason.Code, str]] = ..., message: _Optional[str] = ..., document_kind: _Optional[_Union[ComplianceDocument.Kind, str]] = ...) -> None: ...

class Eligibility(_message.Message):
    __slots__ = ("rider", "eligible", "reasons", "evaluate_time")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    rider: str
    eligible: bool
    reasons: _containers.RepeatedCompositeFieldContainer[IneligibilityReason]
    evaluate_time: _timestamp_pb2.Timestamp
    def __init__(self, rider: _Optional[str] = ..., eligible: _Optional[bool] = ..., reasons: _Optional[_Iterable[_Union[IneligibilityReason, _Mapping]]] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Vehicle(_message.Message):
    __slots__ = ("name", "type", "plate", "electric", "capacity", "min_temperature_c", "max_temperature_c", "max_stops", "state", "create_time", "update_time", "etag", "temperature_controlled")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Vehicle.State]
        STATE_ACTIVE: _ClassVar[Vehicle.State]
        STATE_OUT_OF_SERVICE: _ClassVar[Vehicle.State]
    STATE_UNSPECIFIED: Vehicle.State
    STATE_ACTIVE: Vehicle.State
    STATE_OUT_OF_SERVICE: Vehicle.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PLATE_FIELD_NUMBER: _ClassVar[int]
    ELECTRIC_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    MIN_TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    MAX_TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    MAX_STOPS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_CONTROLLED_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _common_pb2.VehicleType
    plate: str
    electric: bool
    capacity: _common_pb2.Capacity
    min_temperature_c: float
    max_temperature_c: float
    max_stops: int
    state: Vehicle.State
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    temperature_controlled: bool
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., plate: _Optional[str] = ..., electric: _Optional[bool] = ..., capacity: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ..., min_temperature_c: _Optional[float] = ..., max_temperature_c: _Optional[float] = ..., max_stops: _Optional[int] = ..., state: _Optional[_Union[Vehicle.State, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., temperature_controlled: _Optional[bool] = ...) -> None: ...

class CreateVehicleRequest(_message.Message):
    __slots__ = ("parent", "vehicle", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    vehicle: Vehicle
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., vehicle: _Optional[_Union[Vehicle, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetVehicleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListVehiclesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "type", "state")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    type: _common_pb2.VehicleType
    state: Vehicle.State
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., state: _Optional[_Union[Vehicle.State, str]] = ...) -> None: ...

class ListVehiclesResponse(_message.Message):
    __slots__ = ("vehicles", "next_page_token")
    VEHICLES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    vehicles: _containers.RepeatedCompositeFieldContainer[Vehicle]
    next_page_token: str
    def __init__(self, vehicles: _Optional[_Iterable[_Union[Vehicle, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateVehicleRequest(_message.Message):
    __slots__ = ("vehicle", "update_mask")
    VEHICLE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    vehicle: Vehicle
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, vehicle: _Optional[_Union[Vehicle, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteVehicleRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ComplianceDocument(_message.Message):
    __slots__ = ("name", "kind", "number", "issue_time", "expire_time", "verification_state", "file_sha256", "content_type", "create_time", "etag", "file_size_bytes", "review_reason", "update_time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ComplianceDocument.Kind]
        KIND_LICENCE: _ClassVar[ComplianceDocument.Kind]
        KIND_INSURANCE: _ClassVar[ComplianceDocument.Kind]
        KIND_NATIONAL_ID: _ClassVar[ComplianceDocument.Kind]
        KIND_BACKGROUND_CHECK: _ClassVar[ComplianceDocument.Kind]
        KIND_VEHICLE_INSPECTION: _ClassVar[ComplianceDocument.Kind]
    KIND_UNSPECIFIED: ComplianceDocument.Kind
    KIND_LICENCE: ComplianceDocument.Kind
    KIND_INSURANCE: ComplianceDocument.Kind
    KIND_NATIONAL_ID: ComplianceDocument.Kind
    KIND_BACKGROUND_CHECK: ComplianceDocument.Kind
    KIND_VEHICLE_INSPECTION: ComplianceDocument.Kind
    class VerificationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        VERIFICATION_STATE_UNSPECIFIED: _ClassVar[ComplianceDocument.VerificationState]
        VERIFICATION_STATE_PENDING: _ClassVar[ComplianceDocument.VerificationState]
        VERIFICATION_STATE_VERIFIED: _ClassVar[ComplianceDocument.VerificationState]
        VERIFICATION_STATE_REJECTED: _ClassVar[ComplianceDocument.VerificationState]
    VERIFICATION_STATE_UNSPECIFIED: ComplianceDocument.VerificationState
    VERIFICATION_STATE_PENDING: ComplianceDocument.VerificationState
    VERIFICATION_STATE_VERIFIED: ComplianceDocument.VerificationState
    VERIFICATION_STATE_REJECTED: ComplianceDocument.VerificationState
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_STATE_FIELD_NUMBER: _ClassVar[int]
    FILE_SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    REVIEW_REASON_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: ComplianceDocument.Kind
    number: str
    issue_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    verification_state: ComplianceDocument.VerificationState
    file_sha256: str
    content_type: str
    create_time: _timestamp_pb2.Timestamp
    etag: str
    file_size_bytes: int
    review_reason: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[ComplianceDocument.Kind, str]] = ..., number: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verification_state: _Optional[_Union[ComplianceDocument.VerificationState, str]] = ..., file_sha256: _Optional[str] = ..., content_type: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., file_size_bytes: _Optional[int] = ..., review_reason: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateDocumentRequest(_message.Message):
    __slots__ = ("parent", "document", "content", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    document: ComplianceDocument
    content: bytes
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., document: _Optional[_Union[ComplianceDocument, _Mapping]] = ..., content: _Optional[bytes] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetDocumentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "kind")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    kind: ComplianceDocument.Kind
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[ComplianceDocument.Kind, str]] = ...) -> None: ...

class ListDocumentsResponse(_message.Message):
    __slots__ = ("documents", "next_page_token")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[ComplianceDocument]
    next_page_token: str
    def __init__(self, documents: _Optional[_Iterable[_Union[ComplianceDocument, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateDocumentRequest(_message.Message):
    __slots__ = ("document", "update_mask")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    document: ComplianceDocument
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, document: _Optional[_Union[ComplianceDocument, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ReviewDocumentRequest(_message.Message):
    __slots__ = ("name", "verification_state", "reason", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    verification_state: ComplianceDocument.VerificationState
    reason: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., verification_state: _Optional[_Union[ComplianceDocument.VerificationState, str]] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class DeleteDocumentRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class Shift(_message.Message):
    __slots__ = ("name", "planned", "breaks", "zone", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    BREAKS_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    planned: _common_pb2.TimeWindow
    breaks: _containers.RepeatedCompositeFieldContainer[_common_pb2.TimeWindow]
    zone: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., planned: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., breaks: _Optional[_Iterable[_Union[_common_pb2.TimeWindow, _Mapping]]] = ..., zone: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateShiftRequest(_message.Message):
    __slots__ = ("parent", "shift", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    shift: Shift
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., shift: _Optional[_Union[Shift, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetShiftRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListShiftsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "window")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    window: _common_pb2.TimeWindow
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ...) -> None: ...

class ListShiftsResponse(_message.Message):
    __slots__ = ("shifts", "next_page_token")
    SHIFTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    shifts: _containers.RepeatedCompositeFieldContainer[Shift]
    next_page_token: str
    def __init__(self, shifts: _Optional[_Iterable[_Union[Shift, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateShiftRequest(_message.Message):
    __slots__ = ("shift", "update_mask")
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    shift: Shift
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, shift: _Optional[_Union[Shift, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteShiftRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CompliancePolicy(_message.Message):
    __slots__ = ("name", "requirements", "update_time", "etag")
    class Requirement(_message.Message):
        __slots__ = ("vehicle_type", "kinds")
        VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
        KINDS_FIELD_NUMBER: _ClassVar[int]
        vehicle_type: _common_pb2.VehicleType
        kinds: _containers.RepeatedScalarFieldContainer[ComplianceDocument.Kind]
        def __init__(self, vehicle_type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., kinds: _Optional[_Iterable[_Union[ComplianceDocument.Kind, str]]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    requirements: _containers.RepeatedCompositeFieldContainer[CompliancePolicy.Requirement]
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., requirements: _Optional[_Iterable[_Union[CompliancePolicy.Requirement, _Mapping]]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetCompliancePolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateCompliancePolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: CompliancePolicy
    def __init__(self, policy: _Optional[_Union[CompliancePolicy, _Mapping]] = ...) -> None: ...

class Outlet(_message.Message):
    __slots__ = ("name", "display_name", "location", "address", "pickup_instructions", "time_zone", "opening_hours", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PICKUP_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    location: _common_pb2.GeoPoint
    address: str
    pickup_instructions: str
    time_zone: str
    opening_hours: _containers.RepeatedCompositeFieldContainer[OpeningHours]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., pickup_instructions: _Optional[str] = ..., time_zone: _Optional[str] = ..., opening_hours: _Optional[_Iterable[_Union[OpeningHours, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class OpeningHours(_message.Message):
    __slots__ = ("weekday", "open_minute", "close_minute")
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    OPEN_MINUTE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_MINUTE_FIELD_NUMBER: _ClassVar[int]
    weekday: int
    open_minute: int
    close_minute: int
    def __init__(self, weekday: _Optional[int] = ..., open_minute: _Optional[int] = ..., close_minute: _Optional[int] = ...) -> None: ...

class GetOutletRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListOutletsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOutletsResponse(_message.Message):
    __slots__ = ("outlets", "next_page_token")
    OUTLETS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    outlets: _containers.RepeatedCompositeFieldContainer[Outlet]
    next_page_token: str
    def __init__(self, outlets: _Optional[_Iterable[_Union[Outlet, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateOutletRequest(_message.Message):
    __slots__ = ("outlet", "update_mask")
    OUTLET_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    outlet: Outlet
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, outlet: _Optional[_Union[Outlet, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...
