import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FailedDeliveryReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FAILED_DELIVERY_REASON_UNSPECIFIED: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_CUSTOMER_ABSENT: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_ADDRESS_WRONG: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_REFUSED: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_DAMAGED: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_UNSAFE: _ClassVar[FailedDeliveryReason]
    FAILED_DELIVERY_REASON_OTHER: _ClassVar[FailedDeliveryReason]
FAILED_DELIVERY_REASON_UNSPECIFIED: FailedDeliveryReason
FAILED_DELIVERY_REASON_CUSTOMER_ABSENT: FailedDeliveryReason
FAILED_DELIVERY_REASON_ADDRESS_WRONG: FailedDeliveryReason
FAILED_DELIVERY_REASON_REFUSED: FailedDeliveryReason
FAILED_DELIVERY_REASON_DAMAGED: FailedDeliveryReason
FAILED_DELIVERY_REASON_UNSAFE: FailedDeliveryReason
FAILED_DELIVERY_REASON_OTHER: FailedDeliveryReason

class Flow(_message.Message):
    __slots__ = ("name", "kind", "state", "task", "tasks", "waiting_on", "steps", "context", "create_time", "update_time", "etag")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Flow.Kind]
        KIND_FAILED_DELIVERY: _ClassVar[Flow.Kind]
        KIND_TRANSFER: _ClassVar[Flow.Kind]
    KIND_UNSPECIFIED: Flow.Kind
    KIND_FAILED_DELIVERY: Flow.Kind
    KIND_TRANSFER: Flow.Kind
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Flow.State]
        STATE_RUNNING: _ClassVar[Flow.State]
        STATE_COMPLETED: _ClassVar[Flow.State]
        STATE_COMPENSATING: _ClassVar[Flow.State]
        STATE_COMPENSATED: _ClassVar[Flow.State]
        STATE_FAILED: _ClassVar[Flow.State]
    STATE_UNSPECIFIED: Flow.State
    STATE_RUNNING: Flow.State
    STATE_COMPLETED: Flow.State
    STATE_COMPENSATING: Flow.State
    STATE_COMPENSATED: Flow.State
    STATE_FAILED: Flow.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    WAITING_ON_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: Flow.Kind
    state: Flow.State
    task: str
    tasks: _containers.RepeatedScalarFieldContainer[str]
    waiting_on: str
    steps: _containers.RepeatedCompositeFieldContainer[FlowStep]
    context: _struct_pb2.Struct
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[Flow.Kind, str]] = ..., state: _Optional[_Union[Flow.State, str]] = ..., task: _Optional[str] = ..., tasks: _Optional[_Iterable[str]] = ..., waiting_on: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[FlowStep, _Mapping]]] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class FlowStep(_message.Message):
    __slots__ = ("seq", "name", "compensation", "compensates", "task", "detail", "done_time")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    COMPENSATES_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    DONE_TIME_FIELD_NUMBER: _ClassVar[int]
    seq: int
    name: str
    compensation: bool
    compensates: int
    task: str
    detail: str
    done_time: _timestamp_pb2.Timestamp
    def __init__(self, seq: _Optional[int] = ..., name: _Optional[str] = ..., compensation: _Optional[bool] = ..., compensates: _Optional[int] = ..., task: _Optional[str] = ..., detail: _Optional[str] = ..., done_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetFlowRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListFlowsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "task", "kind", "state")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    task: str
    kind: Flow.Kind
    state: Flow.State
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., task: _Optional[str] = ..., kind: _Optional[_Union[Flow.Kind, str]] = ..., state: _Optional[_Union[Flow.State, str]] = ...) -> None: ...

class ListFlowsResponse(_message.Message):
    __slots__ = ("flows", "next_page_token")
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    flows: _containers.RepeatedCompositeFieldContainer[Flow]
    next_page_token: str
    def __init__(self, flows: _Optional[_Iterable[_Union[Flow, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FailedDeliveryPolicy(_message.Message):
    __slots__ = ("name", "rules", "update_time", "etag")
    class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ACTION_UNSPECIFIED: _ClassVar[FailedDeliveryPolicy.Action]
        ACTION_REATTEMPT: _ClassVar[FailedDeliveryPolicy.Action]
        ACTION_HOLD_AT_HUB: _ClassVar[FailedDeliveryPolicy.Action]
        ACTION_RETURN_TO_ORIGIN: _ClassVar[FailedDeliveryPolicy.Action]
    ACTION_UNSPECIFIED: FailedDeliveryPolicy.Action
    ACTION_REATTEMPT: FailedDeliveryPolicy.Action
    ACTION_HOLD_AT_HUB: FailedDeliveryPolicy.Action
    ACTION_RETURN_TO_ORIGIN: FailedDeliveryPolicy.Action
    class Hub(_message.Message):
        __slots__ = ("outlet_id", "location", "address")
        OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
        LOCATION_FIELD_NUMBER: _ClassVar[int]
        ADDRESS_FIELD_NUMBER: _ClassVar[int]
        outlet_id: str
        location: _common_pb2.GeoPoint
        address: str
        def __init__(self, outlet_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., address: _Optional[str] = ...) -> None: ...
    class Rule(_message.Message):
        __slots__ = ("reason", "action", "max_attempts", "fallback", "hub")
        REASON_FIELD_NUMBER: _ClassVar[int]
        ACTION_FIELD_NUMBER: _ClassVar[int]
        MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
        FALLBACK_FIELD_NUMBER: _ClassVar[int]
        HUB_FIELD_NUMBER: _ClassVar[int]
        reason: FailedDeliveryReason
        action: FailedDeliveryPolicy.Action
        max_attempts: int
        fallback: FailedDeliveryPolicy.Action
        hub: FailedDeliveryPolicy.Hub
        def __init__(self, reason: _Optional[_Union[FailedDeliveryReason, str]] = ..., action: _Optional[_Union[FailedDeliveryPolicy.Action, str]] = ..., max_attempts: _Optional[int] = ..., fallback: _Optional[_Union[FailedDeliveryPolicy.Action, str]] = ..., hub: _Optional[_Union[FailedDeliveryPolicy.Hub, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    rules: _containers.RepeatedCompositeFieldContainer[FailedDeliveryPolicy.Rule]
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[FailedDeliveryPolicy.Rule, _Mapping]]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetFailedDeliveryPolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateFailedDeliveryPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: FailedDeliveryPolicy
    def __init__(self, policy: _Optional[_Union[FailedDeliveryPolicy, _Mapping]] = ...) -> None: ...
