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

class CarrierJobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARRIER_JOB_STATUS_UNSPECIFIED: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_PENDING: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_COURIER_ASSIGNED: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_EN_ROUTE_TO_PICKUP: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_AT_PICKUP: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_PICKED_UP: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_EN_ROUTE_TO_DROP_OFF: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_AT_DROP_OFF: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_DELIVERED: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_FAILED: _ClassVar[CarrierJobStatus]
    CARRIER_JOB_STATUS_CANCELLED: _ClassVar[CarrierJobStatus]

class TenderStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TENDER_STRATEGY_UNSPECIFIED: _ClassVar[TenderStrategy]
    TENDER_STRATEGY_CHEAPEST: _ClassVar[TenderStrategy]
    TENDER_STRATEGY_FASTEST: _ClassVar[TenderStrategy]
    TENDER_STRATEGY_PREFERRED: _ClassVar[TenderStrategy]
CARRIER_JOB_STATUS_UNSPECIFIED: CarrierJobStatus
CARRIER_JOB_STATUS_PENDING: CarrierJobStatus
CARRIER_JOB_STATUS_COURIER_ASSIGNED: CarrierJobStatus
CARRIER_JOB_STATUS_EN_ROUTE_TO_PICKUP: CarrierJobStatus
CARRIER_JOB_STATUS_AT_PICKUP: CarrierJobStatus
CARRIER_JOB_STATUS_PICKED_UP: CarrierJobStatus
CARRIER_JOB_STATUS_EN_ROUTE_TO_DROP_OFF: CarrierJobStatus
CARRIER_JOB_STATUS_AT_DROP_OFF: CarrierJobStatus
CARRIER_JOB_STATUS_DELIVERED: CarrierJobStatus
CARRIER_JOB_STATUS_FAILED: CarrierJobStatus
CARRIER_JOB_STATUS_CANCELLED: CarrierJobStatus
TENDER_STRATEGY_UNSPECIFIED: TenderStrategy
TENDER_STRATEGY_CHEAPEST: TenderStrategy
TENDER_STRATEGY_FASTEST: TenderStrategy
TENDER_STRATEGY_PREFERRED: TenderStrategy

class CarrierAccount(_message.Message):
    __slots__ = ("name", "display_name", "adapter", "base_url", "mode", "credentials", "kind", "vehicle_types", "max_weight_kg", "max_length_cm", "zones", "priority", "disabled", "etag", "create_time", "update_time")
    class Adapter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ADAPTER_UNSPECIFIED: _ClassVar[CarrierAccount.Adapter]
        ADAPTER_ON_DEMAND: _ClassVar[CarrierAccount.Adapter]
    ADAPTER_UNSPECIFIED: CarrierAccount.Adapter
    ADAPTER_ON_DEMAND: CarrierAccount.Adapter
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[CarrierAccount.Mode]
        MODE_TEST: _ClassVar[CarrierAccount.Mode]
        MODE_LIVE: _ClassVar[CarrierAccount.Mode]
    MODE_UNSPECIFIED: CarrierAccount.Mode
    MODE_TEST: CarrierAccount.Mode
    MODE_LIVE: CarrierAccount.Mode
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[CarrierAccount.Kind]
        KIND_ON_DEMAND: _ClassVar[CarrierAccount.Kind]
        KIND_PARCEL: _ClassVar[CarrierAccount.Kind]
    KIND_UNSPECIFIED: CarrierAccount.Kind
    KIND_ON_DEMAND: CarrierAccount.Kind
    KIND_PARCEL: CarrierAccount.Kind
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPES_FIELD_NUMBER: _ClassVar[int]
    MAX_WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_CM_FIELD_NUMBER: _ClassVar[int]
    ZONES_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    adapter: CarrierAccount.Adapter
    base_url: str
    mode: CarrierAccount.Mode
    credentials: CarrierCredentials
    kind: CarrierAccount.Kind
    vehicle_types: _containers.RepeatedScalarFieldContainer[str]
    max_weight_kg: float
    max_length_cm: float
    zones: _containers.RepeatedScalarFieldContainer[str]
    priority: int
    disabled: bool
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., adapter: _Optional[_Union[CarrierAccount.Adapter, str]] = ..., base_url: _Optional[str] = ..., mode: _Optional[_Union[CarrierAccount.Mode, str]] = ..., credentials: _Optional[_Union[CarrierCredentials, _Mapping]] = ..., kind: _Optional[_Union[CarrierAccount.Kind, str]] = ..., vehicle_types: _Optional[_Iterable[str]] = ..., max_weight_kg: _Optional[float] = ..., max_length_cm: _Optional[float] = ..., zones: _Optional[_Iterable[str]] = ..., priority: _Optional[int] = ..., disabled: _Optional[bool] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CarrierCredentials(_message.Message):
    __slots__ = ("api_key", "signing_secret")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    signing_secret: str
    def __init__(self, api_key: _Optional[str] = ..., signing_secret: _Optional[str] = ...) -> None: ...

class CreateCarrierAccountRequest(_message.Message):
    __slots__ = ("parent", "carrier_account", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    carrier_account: CarrierAccount
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., carrier_account: _Optional[_Union[CarrierAccount, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetCarrierAccountRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCarrierAccountsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCarrierAccountsResponse(_message.Message):
    __slots__ = ("carrier_accounts", "next_page_token")
    CARRIER_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    carrier_accounts: _containers.RepeatedCompositeFieldContainer[CarrierAccount]
    next_page_token: str
    def __init__(self, carrier_accounts: _Optional[_Iterable[_Union[CarrierAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCarrierAccountRequest(_message.Message):
    __slots__ = ("carrier_account", "update_mask")
    CARRIER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    carrier_account: CarrierAccount
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, carrier_account: _Optional[_Union[CarrierAccount, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteCarrierAccountRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CarrierAmount(_message.Message):
    __slots__ = ("amount", "currency_code")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    amount: int
    currency_code: str
    def __init__(self, amount: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...

class CarrierCourier(_message.Message):
    __slots__ = ("display_name", "phone", "vehicle_type", "location")
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    display_name: str
    phone: str
    vehicle_type: str
    location: _common_pb2.GeoPoint
    def __init__(self, display_name: _Optional[str] = ..., phone: _Optional[str] = ..., vehicle_type: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ...) -> None: ...

class CarrierJobEvent(_message.Message):
    __slots__ = ("status", "carrier_status", "event_id", "occur_time", "receive_time", "applied")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CARRIER_STATUS_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    status: CarrierJobStatus
    carrier_status: str
    event_id: str
    occur_time: _timestamp_pb2.Timestamp
    receive_time: _timestamp_pb2.Timestamp
    applied: bool
    def __init__(self, status: _Optional[_Union[CarrierJobStatus, str]] = ..., carrier_status: _Optional[str] = ..., event_id: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., applied: _Optional[bool] = ...) -> None: ...

class CarrierJob(_message.Message):
    __slots__ = ("name", "carrier_account", "carrier_ref", "status", "carrier_status", "quoted_price", "final_price", "fees", "tracking_url", "courier", "failure_reason", "history", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_REF_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CARRIER_STATUS_FIELD_NUMBER: _ClassVar[int]
    QUOTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    FINAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    TRACKING_URL_FIELD_NUMBER: _ClassVar[int]
    COURIER_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    carrier_account: str
    carrier_ref: str
    status: CarrierJobStatus
    carrier_status: str
    quoted_price: CarrierAmount
    final_price: CarrierAmount
    fees: CarrierAmount
    tracking_url: str
    courier: CarrierCourier
    failure_reason: str
    history: _containers.RepeatedCompositeFieldContainer[CarrierJobEvent]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., carrier_account: _Optional[str] = ..., carrier_ref: _Optional[str] = ..., status: _Optional[_Union[CarrierJobStatus, str]] = ..., carrier_status: _Optional[str] = ..., quoted_price: _Optional[_Union[CarrierAmount, _Mapping]] = ..., final_price: _Optional[_Union[CarrierAmount, _Mapping]] = ..., fees: _Optional[_Union[CarrierAmount, _Mapping]] = ..., tracking_url: _Optional[str] = ..., courier: _Optional[_Union[CarrierCourier, _Mapping]] = ..., failure_reason: _Optional[str] = ..., history: _Optional[_Iterable[_Union[CarrierJobEvent, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCarrierJobRequest(_message.Message):
    __slots__ = ("parent", "carrier_account", "request_id", "strategy")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    carrier_account: str
    request_id: str
    strategy: TenderStrategy
    def __init__(self, parent: _Optional[str] = ..., carrier_account: _Optional[str] = ..., request_id: _Optional[str] = ..., strategy: _Optional[_Union[TenderStrategy, str]] = ...) -> None: ...

class GetCarrierJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCarrierJobsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCarrierJobsResponse(_message.Message):
    __slots__ = ("carrier_jobs", "next_page_token")
    CARRIER_JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    carrier_jobs: _containers.RepeatedCompositeFieldContainer[CarrierJob]
    next_page_token: str
    def __init__(self, carrier_jobs: _Optional[_Iterable[_Union[CarrierJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
