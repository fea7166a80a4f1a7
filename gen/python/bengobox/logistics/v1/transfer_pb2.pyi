import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from bengobox.logistics.v1 import task_pb2 as _task_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Transfer(_message.Message):
    __slots__ = ("name", "source_outlet_id", "destination_outlet_id", "source_location", "destination_location", "items", "ready_time", "deadline", "reference", "notes", "state", "task", "route_template", "run_date", "pickup_step_id", "drop_off_step_id", "received_items", "missing_items", "return_task", "reason", "create_time", "update_time", "etag", "flow")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Transfer.State]
        STATE_REQUESTED: _ClassVar[Transfer.State]
        STATE_SCHEDULED: _ClassVar[Transfer.State]
        STATE_PICKED_UP: _ClassVar[Transfer.State]
        STATE_DELIVERED: _ClassVar[Transfer.State]
        STATE_SHORT: _ClassVar[Transfer.State]
        STATE_CANCELLED: _ClassVar[Transfer.State]
        STATE_RETURNING: _ClassVar[Transfer.State]
        STATE_RETURNED: _ClassVar[Transfer.State]
    STATE_UNSPECIFIED: Transfer.State
    STATE_REQUESTED: Transfer.State
    STATE_SCHEDULED: Transfer.State
    STATE_PICKED_UP: Transfer.State
    STATE_DELIVERED: Transfer.State
    STATE_SHORT: Transfer.State
    STATE_CANCELLED: Transfer.State
    STATE_RETURNING: Transfer.State
    STATE_RETURNED: Transfer.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOCATION_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_LOCATION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    READY_TIME_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    ROUTE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    RUN_DATE_FIELD_NUMBER: _ClassVar[int]
    PICKUP_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    DROP_OFF_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    MISSING_ITEMS_FIELD_NUMBER: _ClassVar[int]
    RETURN_TASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    name: str
    source_outlet_id: str
    destination_outlet_id: str
    source_location: _common_pb2.GeoPoint
    destination_location: _common_pb2.GeoPoint
    items: _containers.RepeatedCompositeFieldContainer[_task_pb2.TaskItem]
    ready_time: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    reference: str
    notes: str
    state: Transfer.State
    task: str
    route_template: str
    run_date: str
    pickup_step_id: str
    drop_off_step_id: str
    received_items: _containers.RepeatedCompositeFieldContainer[_task_pb2.TransferReceivedItem]
    missing_items: _containers.RepeatedCompositeFieldContainer[_task_pb2.TransferReceivedItem]
    return_task: str
    reason: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    flow: str
    def __init__(self, name: _Optional[str] = ..., source_outlet_id: _Optional[str] = ..., destination_outlet_id: _Optional[str] = ..., source_location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., destination_location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_task_pb2.TaskItem, _Mapping]]] = ..., ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference: _Optional[str] = ..., notes: _Optional[str] = ..., state: _Optional[_Union[Transfer.State, str]] = ..., task: _Optional[str] = ..., route_template: _Optional[str] = ..., run_date: _Optional[str] = ..., pickup_step_id: _Optional[str] = ..., drop_off_step_id: _Optional[str] = ..., received_items: _Optional[_Iterable[_Union[_task_pb2.TransferReceivedItem, _Mapping]]] = ..., missing_items: _Optional[_Iterable[_Union[_task_pb2.TransferReceivedItem, _Mapping]]] = ..., return_task: _Optional[str] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., flow: _Optional[str] = ...) -> None: ...

class CreateTransferRequest(_message.Message):
    __slots__ = ("parent", "transfer", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    transfer: Transfer
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., transfer: _Optional[_Union[Transfer, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetTransferRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTransfersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "state", "source_outlet_id", "destination_outlet_id", "task", "reference")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    state: Transfer.State
    source_outlet_id: str
    destination_outlet_id: str
    task: str
    reference: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[Transfer.State, str]] = ..., source_outlet_id: _Optional[str] = ..., destination_outlet_id: _Optional[str] = ..., task: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...

class ListTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelTransferRequest(_message.Message):
    __slots__ = ("name", "reason", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...
