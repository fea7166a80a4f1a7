import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from bengobox.logistics.v1 import flow_pb2 as _flow_pb2
from bengobox.logistics.v1 import proof_retention_pb2 as _proof_retention_pb2
from bengobox.logistics.v1 import temperature_pb2 as _temperature_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_PURPOSE_UNSPECIFIED: _ClassVar[TaskPurpose]
    TASK_PURPOSE_CUSTOMER_RETURN: _ClassVar[TaskPurpose]
    TASK_PURPOSE_EXCHANGE: _ClassVar[TaskPurpose]
    TASK_PURPOSE_EXPIRED_GOODS: _ClassVar[TaskPurpose]
    TASK_PURPOSE_WASTE_PICKUP: _ClassVar[TaskPurpose]
    TASK_PURPOSE_FAILED_DELIVERY: _ClassVar[TaskPurpose]
    TASK_PURPOSE_TRANSFER: _ClassVar[TaskPurpose]

class ItemCondition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_CONDITION_UNSPECIFIED: _ClassVar[ItemCondition]
    ITEM_CONDITION_NEW: _ClassVar[ItemCondition]
    ITEM_CONDITION_GOOD: _ClassVar[ItemCondition]
    ITEM_CONDITION_DAMAGED: _ClassVar[ItemCondition]
    ITEM_CONDITION_EXPIRED: _ClassVar[ItemCondition]
    ITEM_CONDITION_WASTE: _ClassVar[ItemCondition]
    ITEM_CONDITION_OPENED: _ClassVar[ItemCondition]

class AddressState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADDRESS_STATE_UNSPECIFIED: _ClassVar[AddressState]
    ADDRESS_STATE_GIVEN: _ClassVar[AddressState]
    ADDRESS_STATE_PENDING: _ClassVar[AddressState]
    ADDRESS_STATE_RESOLVED: _ClassVar[AddressState]
    ADDRESS_STATE_NEEDS_ADDRESS: _ClassVar[AddressState]
TASK_PURPOSE_UNSPECIFIED: TaskPurpose
TASK_PURPOSE_CUSTOMER_RETURN: TaskPurpose
TASK_PURPOSE_EXCHANGE: TaskPurpose
TASK_PURPOSE_EXPIRED_GOODS: TaskPurpose
TASK_PURPOSE_WASTE_PICKUP: TaskPurpose
TASK_PURPOSE_FAILED_DELIVERY: TaskPurpose
TASK_PURPOSE_TRANSFER: TaskPurpose
ITEM_CONDITION_UNSPECIFIED: ItemCondition
ITEM_CONDITION_NEW: ItemCondition
ITEM_CONDITION_GOOD: ItemCondition
ITEM_CONDITION_DAMAGED: ItemCondition
ITEM_CONDITION_EXPIRED: ItemCondition
ITEM_CONDITION_WASTE: ItemCondition
ITEM_CONDITION_OPENED: ItemCondition
ADDRESS_STATE_UNSPECIFIED: AddressState
ADDRESS_STATE_GIVEN: AddressState
ADDRESS_STATE_PENDING: AddressState
ADDRESS_STATE_RESOLVED: AddressState
ADDRESS_STATE_NEEDS_ADDRESS: AddressState

class Task(_message.Message):
    __slots__ = ("name", "kind", "state", "order_id", "outlet_id", "priority", "items", "steps", "rider", "pickup_deadline", "delivery_deadline", "notes", "metadata", "create_time", "update_time", "etag", "sla_state", "current_step", "manual_dispatch", "needs_address", "ready_time", "mark_ready_time", "origin_task", "purpose", "flow", "attempt", "temperature_excursion", "last_temperature", "temperature_excursion_active")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Task.Kind]
        KIND_DELIVERY: _ClassVar[Task.Kind]
        KIND_PICKUP: _ClassVar[Task.Kind]
        KIND_TRANSFER: _ClassVar[Task.Kind]
        KIND_RETURN: _ClassVar[Task.Kind]
        KIND_SHUTTLE: _ClassVar[Task.Kind]
    KIND_UNSPECIFIED: Task.Kind
    KIND_DELIVERY: Task.Kind
    KIND_PICKUP: Task.Kind
    KIND_TRANSFER: Task.Kind
    KIND_RETURN: Task.Kind
    KIND_SHUTTLE: Task.Kind
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Task.State]
        STATE_CREATED: _ClassVar[Task.State]
        STATE_ASSIGNED: _ClassVar[Task.State]
        STATE_EN_ROUTE: _ClassVar[Task.State]
        STATE_ARRIVED: _ClassVar[Task.State]
        STATE_COMPLETED: _ClassVar[Task.State]
        STATE_FAILED: _ClassVar[Task.State]
        STATE_CANCELLED: _ClassVar[Task.State]
    STATE_UNSPECIFIED: Task.State
    STATE_CREATED: Task.State
    STATE_ASSIGNED: Task.State
    STATE_EN_ROUTE: Task.State
    STATE_ARRIVED: Task.State
    STATE_COMPLETED: Task.State
    STATE_FAILED: Task.State
    STATE_CANCELLED: Task.State
    class SlaState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SLA_STATE_UNSPECIFIED: _ClassVar[Task.SlaState]
        SLA_STATE_ON_TRACK: _ClassVar[Task.SlaState]
        SLA_STATE_AT_RISK: _ClassVar[Task.SlaState]
        SLA_STATE_BREACHED: _ClassVar[Task.SlaState]
    SLA_STATE_UNSPECIFIED: Task.SlaState
    SLA_STATE_ON_TRACK: Task.SlaState
    SLA_STATE_AT_RISK: Task.SlaState
    SLA_STATE_BREACHED: Task.SlaState
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    PICKUP_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    SLA_STATE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STEP_FIELD_NUMBER: _ClassVar[int]
    MANUAL_DISPATCH_FIELD_NUMBER: _ClassVar[int]
    NEEDS_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    READY_TIME_FIELD_NUMBER: _ClassVar[int]
    MARK_READY_TIME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_TASK_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_EXCURSION_FIELD_NUMBER: _ClassVar[int]
    LAST_TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_EXCURSION_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: Task.Kind
    state: Task.State
    order_id: str
    outlet_id: str
    priority: int
    items: _containers.RepeatedCompositeFieldContainer[TaskItem]
    steps: _containers.RepeatedCompositeFieldContainer[TaskStep]
    rider: str
    pickup_deadline: _timestamp_pb2.Timestamp
    delivery_deadline: _timestamp_pb2.Timestamp
    notes: str
    metadata: _struct_pb2.Struct
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    sla_state: Task.SlaState
    current_step: int
    manual_dispatch: bool
    needs_address: bool
    ready_time: _timestamp_pb2.Timestamp
    mark_ready_time: _timestamp_pb2.Timestamp
    origin_task: str
    purpose: TaskPurpose
    flow: str
    attempt: int
    temperature_excursion: bool
    last_temperature: _temperature_pb2.TemperatureReading
    temperature_excursion_active: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[Task.Kind, str]] = ..., state: _Optional[_Union[Task.State, str]] = ..., order_id: _Optional[str] = ..., outlet_id: _Optional[str] = ..., priority: _Optional[int] = ..., items: _Optional[_Iterable[_Union[TaskItem, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[TaskStep, _Mapping]]] = ..., rider: _Optional[str] = ..., pickup_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., notes: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., sla_state: _Optional[_Union[Task.SlaState, str]] = ..., current_step: _Optional[int] = ..., manual_dispatch: _Optional[bool] = ..., needs_address: _Optional[bool] = ..., ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mark_ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., origin_task: _Optional[str] = ..., purpose: _Optional[_Union[TaskPurpose, str]] = ..., flow: _Optional[str] = ..., attempt: _Optional[int] = ..., temperature_excursion: _Optional[bool] = ..., last_temperature: _Optional[_Union[_temperature_pb2.TemperatureReading, _Mapping]] = ..., temperature_excursion_active: _Optional[bool] = ...) -> None: ...

class TaskItem(_message.Message):
    __slots__ = ("sku", "description", "quantity", "weight_kg", "volume_l", "min_temperature_c", "max_temperature_c", "condition", "collect")
    SKU_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    MIN_TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    MAX_TEMPERATURE_C_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    COLLECT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    description: str
    quantity: int
    weight_kg: float
    volume_l: float
    min_temperature_c: float
    max_temperature_c: float
    condition: ItemCondition
    collect: bool
    def __init__(self, sku: _Optional[str] = ..., description: _Optional[str] = ..., quantity: _Optional[int] = ..., weight_kg: _Optional[float] = ..., volume_l: _Optional[float] = ..., min_temperature_c: _Optional[float] = ..., max_temperature_c: _Optional[float] = ..., condition: _Optional[_Union[ItemCondition, str]] = ..., collect: _Optional[bool] = ...) -> None: ...

class TaskStep(_message.Message):
    __slots__ = ("id", "kind", "state", "location", "address", "outlet_id", "window", "contact_name", "contact_phone", "required_proofs", "service_seconds", "one_time_code", "issued_code", "arrive_time", "complete_time", "address_state", "address_candidates", "instructions", "curbside", "wait_duration", "arrival_check", "completion_check")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[TaskStep.Kind]
        KIND_PICKUP: _ClassVar[TaskStep.Kind]
        KIND_DROP_OFF: _ClassVar[TaskStep.Kind]
        KIND_HUB: _ClassVar[TaskStep.Kind]
    KIND_UNSPECIFIED: TaskStep.Kind
    KIND_PICKUP: TaskStep.Kind
    KIND_DROP_OFF: TaskStep.Kind
    KIND_HUB: TaskStep.Kind
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[TaskStep.State]
        STATE_PENDING: _ClassVar[TaskStep.State]
        STATE_ARRIVED: _ClassVar[TaskStep.State]
        STATE_COMPLETED: _ClassVar[TaskStep.State]
        STATE_FAILED: _ClassVar[TaskStep.State]
        STATE_SKIPPED: _ClassVar[TaskStep.State]
    STATE_UNSPECIFIED: TaskStep.State
    STATE_PENDING: TaskStep.State
    STATE_ARRIVED: TaskStep.State
    STATE_COMPLETED: TaskStep.State
    STATE_FAILED: TaskStep.State
    STATE_SKIPPED: TaskStep.State
    class ProofKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PROOF_KIND_UNSPECIFIED: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_ONE_TIME_CODE: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_SIGNATURE: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_PHOTO: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_NFC_TAG: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_TEMPERATURE_LOG: _ClassVar[TaskStep.ProofKind]
        PROOF_KIND_RECIPIENT_NAME: _ClassVar[TaskStep.ProofKind]
    PROOF_KIND_UNSPECIFIED: TaskStep.ProofKind
    PROOF_KIND_ONE_TIME_CODE: TaskStep.ProofKind
    PROOF_KIND_SIGNATURE: TaskStep.ProofKind
    PROOF_KIND_PHOTO: TaskStep.ProofKind
    PROOF_KIND_NFC_TAG: TaskStep.ProofKind
    PROOF_KIND_TEMPERATURE_LOG: TaskStep.ProofKind
    PROOF_KIND_RECIPIENT_NAME: TaskStep.ProofKind
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    CONTACT_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_PROOFS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ONE_TIME_CODE_FIELD_NUMBER: _ClassVar[int]
    ISSUED_CODE_FIELD_NUMBER: _ClassVar[int]
    ARRIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_STATE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CURBSIDE_FIELD_NUMBER: _ClassVar[int]
    WAIT_DURATION_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_CHECK_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_CHECK_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: TaskStep.Kind
    state: TaskStep.State
    location: _common_pb2.GeoPoint
    address: str
    outlet_id: str
    window: _common_pb2.TimeWindow
    contact_name: str
    contact_phone: str
    required_proofs: _containers.RepeatedScalarFieldContainer[TaskStep.ProofKind]
    service_seconds: int
    one_time_code: str
    issued_code: str
    arrive_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    address_state: AddressState
    address_candidates: _containers.RepeatedCompositeFieldContainer[AddressCandidate]
    instructions: str
    curbside: bool
    wait_duration: _duration_pb2.Duration
    arrival_check: PresenceCheck
    completion_check: PresenceCheck
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[TaskStep.Kind, str]] = ..., state: _Optional[_Union[TaskStep.State, str]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., outlet_id: _Optional[str] = ..., window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., contact_name: _Optional[str] = ..., contact_phone: _Optional[str] = ..., required_proofs: _Optional[_Iterable[_Union[TaskStep.ProofKind, str]]] = ..., service_seconds: _Optional[int] = ..., one_time_code: _Optional[str] = ..., issued_code: _Optional[str] = ..., arrive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., address_state: _Optional[_Union[AddressState, str]] = ..., address_candidates: _Optional[_Iterable[_Union[AddressCandidate, _Mapping]]] = ..., instructions: _Optional[str] = ..., curbside: _Optional[bool] = ..., wait_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., arrival_check: _Optional[_Union[PresenceCheck, _Mapping]] = ..., completion_check: _Optional[_Union[PresenceCheck, _Mapping]] = ...) -> None: ...

class PresenceCheck(_message.Message):
    __slots__ = ("verdict", "flagged", "location", "accuracy_m", "fix_time", "source", "distance_m", "radius_m")
    class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        VERDICT_UNSPECIFIED: _ClassVar[PresenceCheck.Verdict]
        VERDICT_INSIDE: _ClassVar[PresenceCheck.Verdict]
        VERDICT_OUTSIDE: _ClassVar[PresenceCheck.Verdict]
        VERDICT_NO_POSITION: _ClassVar[PresenceCheck.Verdict]
    VERDICT_UNSPECIFIED: PresenceCheck.Verdict
    VERDICT_INSIDE: PresenceCheck.Verdict
    VERDICT_OUTSIDE: PresenceCheck.Verdict
    VERDICT_NO_POSITION: PresenceCheck.Verdict
    class Source(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SOURCE_UNSPECIFIED: _ClassVar[PresenceCheck.Source]
        SOURCE_REQUEST: _ClassVar[PresenceCheck.Source]
        SOURCE_LIVE: _ClassVar[PresenceCheck.Source]
    SOURCE_UNSPECIFIED: PresenceCheck.Source
    SOURCE_REQUEST: PresenceCheck.Source
    SOURCE_LIVE: PresenceCheck.Source
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    FLAGGED_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_M_FIELD_NUMBER: _ClassVar[int]
    FIX_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    verdict: PresenceCheck.Verdict
    flagged: bool
    location: _common_pb2.GeoPoint
    accuracy_m: float
    fix_time: _timestamp_pb2.Timestamp
    source: PresenceCheck.Source
    distance_m: float
    radius_m: float
    def __init__(self, verdict: _Optional[_Union[PresenceCheck.Verdict, str]] = ..., flagged: _Optional[bool] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., accuracy_m: _Optional[float] = ..., fix_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[PresenceCheck.Source, str]] = ..., distance_m: _Optional[float] = ..., radius_m: _Optional[float] = ...) -> None: ...

class AddressCandidate(_message.Message):
    __slots__ = ("label", "location", "confidence")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    label: str
    location: _common_pb2.GeoPoint
    confidence: float
    def __init__(self, label: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., confidence: _Optional[float] = ...) -> None: ...

class TaskEvent(_message.Message):
    __slots__ = ("id", "type", "from_state", "to_state", "actor", "reason", "location", "event_time", "step_id", "occurred_time", "flow", "temperature", "temperature_range")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    FLOW_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_RANGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    from_state: Task.State
    to_state: Task.State
    actor: str
    reason: str
    location: _common_pb2.GeoPoint
    event_time: _timestamp_pb2.Timestamp
    step_id: str
    occurred_time: _timestamp_pb2.Timestamp
    flow: str
    temperature: _temperature_pb2.TemperatureReading
    temperature_range: _temperature_pb2.TemperatureRange
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., from_state: _Optional[_Union[Task.State, str]] = ..., to_state: _Optional[_Union[Task.State, str]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., flow: _Optional[str] = ..., temperature: _Optional[_Union[_temperature_pb2.TemperatureReading, _Mapping]] = ..., temperature_range: _Optional[_Union[_temperature_pb2.TemperatureRange, _Mapping]] = ...) -> None: ...

class CreateTaskRequest(_message.Message):
    __slots__ = ("parent", "task", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    task: Task
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., task: _Optional[_Union[Task, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateTaskRequest(_message.Message):
    __slots__ = ("task", "update_mask")
    TASK_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    task: Task
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, task: _Optional[_Union[Task, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class BatchCreateTasksRequest(_message.Message):
    __slots__ = ("parent", "requests", "all_or_nothing")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ALL_OR_NOTHING_FIELD_NUMBER: _ClassVar[int]
    parent: str
    requests: _containers.RepeatedCompositeFieldContainer[CreateTaskRequest]
    all_or_nothing: bool
    def __init__(self, parent: _Optional[str] = ..., requests: _Optional[_Iterable[_Union[CreateTaskRequest, _Mapping]]] = ..., all_or_nothing: _Optional[bool] = ...) -> None: ...

class BatchCreateTaskResult(_message.Message):
    __slots__ = ("task", "status")
    TASK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    task: Task
    status: _status_pb2.Status
    def __init__(self, task: _Optional[_Union[Task, _Mapping]] = ..., status: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class BatchCreateTasksResponse(_message.Message):
    __slots__ = ("tasks", "results")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    results: _containers.RepeatedCompositeFieldContainer[BatchCreateTaskResult]
    def __init__(self, tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[BatchCreateTaskResult, _Mapping]]] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "state", "kind", "outlet_id", "rider", "create_window", "sla_state", "deadline_window", "order_id", "needs_address", "origin_task", "purpose")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OUTLET_ID_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    CREATE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    SLA_STATE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEEDS_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_TASK_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    state: Task.State
    kind: Task.Kind
    outlet_id: str
    rider: str
    create_window: _common_pb2.TimeWindow
    sla_state: Task.SlaState
    deadline_window: _common_pb2.TimeWindow
    order_id: str
    needs_address: bool
    origin_task: str
    purpose: TaskPurpose
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[Task.State, str]] = ..., kind: _Optional[_Union[Task.Kind, str]] = ..., outlet_id: _Optional[str] = ..., rider: _Optional[str] = ..., create_window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., sla_state: _Optional[_Union[Task.SlaState, str]] = ..., deadline_window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., order_id: _Optional[str] = ..., needs_address: _Optional[bool] = ..., origin_task: _Optional[str] = ..., purpose: _Optional[_Union[TaskPurpose, str]] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks", "next_page_token")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    next_page_token: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelTaskRequest(_message.Message):
    __slots__ = ("name", "reason", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class StartTaskRequest(_message.Message):
    __slots__ = ("name", "location", "etag", "action_id", "occurred_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    location: _common_pb2.GeoPoint
    etag: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., etag: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ArriveAtStepRequest(_message.Message):
    __slots__ = ("name", "step_id", "location", "etag", "action_id", "occurred_time", "location_accuracy_m")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ACCURACY_M_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    location: _common_pb2.GeoPoint
    etag: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    location_accuracy_m: float
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., etag: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location_accuracy_m: _Optional[float] = ...) -> None: ...

class Proof(_message.Message):
    __slots__ = ("kind", "text", "content", "temperatures_c", "location", "capture_time", "file_sha256", "content_type", "file_size_bytes", "step_id", "name", "purge_time", "expire_time", "items")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURES_C_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TIME_FIELD_NUMBER: _ClassVar[int]
    FILE_SHA256_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURGE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    kind: TaskStep.ProofKind
    text: str
    content: bytes
    temperatures_c: _containers.RepeatedScalarFieldContainer[float]
    location: _common_pb2.GeoPoint
    capture_time: _timestamp_pb2.Timestamp
    file_sha256: str
    content_type: str
    file_size_bytes: int
    step_id: str
    name: str
    purge_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    items: _containers.RepeatedCompositeFieldContainer[ReturnItemFinding]
    def __init__(self, kind: _Optional[_Union[TaskStep.ProofKind, str]] = ..., text: _Optional[str] = ..., content: _Optional[bytes] = ..., temperatures_c: _Optional[_Iterable[float]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., capture_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., file_sha256: _Optional[str] = ..., content_type: _Optional[str] = ..., file_size_bytes: _Optional[int] = ..., step_id: _Optional[str] = ..., name: _Optional[str] = ..., purge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ReturnItemFinding, _Mapping]]] = ...) -> None: ...

class ReturnItemFinding(_message.Message):
    __slots__ = ("item", "condition")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    item: int
    condition: ItemCondition
    def __init__(self, item: _Optional[int] = ..., condition: _Optional[_Union[ItemCondition, str]] = ...) -> None: ...

class CompleteStepRequest(_message.Message):
    __slots__ = ("name", "step_id", "proofs", "location", "etag", "action_id", "occurred_time", "location_accuracy_m", "received_items")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    PROOFS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ACCURACY_M_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    name: str
    step_id: str
    proofs: _containers.RepeatedCompositeFieldContainer[Proof]
    location: _common_pb2.GeoPoint
    etag: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    location_accuracy_m: float
    received_items: _containers.RepeatedCompositeFieldContainer[TransferReceivedItem]
    def __init__(self, name: _Optional[str] = ..., step_id: _Optional[str] = ..., proofs: _Optional[_Iterable[_Union[Proof, _Mapping]]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., etag: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location_accuracy_m: _Optional[float] = ..., received_items: _Optional[_Iterable[_Union[TransferReceivedItem, _Mapping]]] = ...) -> None: ...

class TransferReceivedItem(_message.Message):
    __slots__ = ("sku", "quantity")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class FailTaskRequest(_message.Message):
    __slots__ = ("name", "reason", "location", "etag", "action_id", "occurred_time", "reason_code", "evidence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    location: _common_pb2.GeoPoint
    etag: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    reason_code: _flow_pb2.FailedDeliveryReason
    evidence: _containers.RepeatedCompositeFieldContainer[Proof]
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., etag: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason_code: _Optional[_Union[_flow_pb2.FailedDeliveryReason, str]] = ..., evidence: _Optional[_Iterable[_Union[Proof, _Mapping]]] = ...) -> None: ...

class MarkTaskReadyRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ListTaskEventsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTaskEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[TaskEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[TaskEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListProofsRequest(_message.Message):
    __slots__ = ("parent",)
    PARENT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    def __init__(self, parent: _Optional[str] = ...) -> None: ...

class ListProofsResponse(_message.Message):
    __slots__ = ("proofs",)
    PROOFS_FIELD_NUMBER: _ClassVar[int]
    proofs: _containers.RepeatedCompositeFieldContainer[Proof]
    def __init__(self, proofs: _Optional[_Iterable[_Union[Proof, _Mapping]]] = ...) -> None: ...

class SlaPolicy(_message.Message):
    __slots__ = ("name", "at_risk_before", "breach_action", "update_time", "etag", "delay_action")
    class BreachAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        BREACH_ACTION_UNSPECIFIED: _ClassVar[SlaPolicy.BreachAction]
        BREACH_ACTION_NONE: _ClassVar[SlaPolicy.BreachAction]
        BREACH_ACTION_MANUAL_DISPATCH: _ClassVar[SlaPolicy.BreachAction]
    BREACH_ACTION_UNSPECIFIED: SlaPolicy.BreachAction
    BREACH_ACTION_NONE: SlaPolicy.BreachAction
    BREACH_ACTION_MANUAL_DISPATCH: SlaPolicy.BreachAction
    NAME_FIELD_NUMBER: _ClassVar[int]
    AT_RISK_BEFORE_FIELD_NUMBER: _ClassVar[int]
    BREACH_ACTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    DELAY_ACTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    at_risk_before: _duration_pb2.Duration
    breach_action: SlaPolicy.BreachAction
    update_time: _timestamp_pb2.Timestamp
    etag: str
    delay_action: SlaPolicy.BreachAction
    def __init__(self, name: _Optional[str] = ..., at_risk_before: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., breach_action: _Optional[_Union[SlaPolicy.BreachAction, str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., delay_action: _Optional[_Union[SlaPolicy.BreachAction, str]] = ...) -> None: ...

class GetSlaPolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateSlaPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: SlaPolicy
    def __init__(self, policy: _Optional[_Union[SlaPolicy, _Mapping]] = ...) -> None: ...

class CompletionPolicy(_message.Message):
    __slots__ = ("name", "enforcement", "radius_m", "max_fix_age", "max_accuracy_m", "flag_without_position", "update_time", "etag")
    class Enforcement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ENFORCEMENT_UNSPECIFIED: _ClassVar[CompletionPolicy.Enforcement]
        ENFORCEMENT_OFF: _ClassVar[CompletionPolicy.Enforcement]
        ENFORCEMENT_FLAG: _ClassVar[CompletionPolicy.Enforcement]
        ENFORCEMENT_REFUSE: _ClassVar[CompletionPolicy.Enforcement]
    ENFORCEMENT_UNSPECIFIED: CompletionPolicy.Enforcement
    ENFORCEMENT_OFF: CompletionPolicy.Enforcement
    ENFORCEMENT_FLAG: CompletionPolicy.Enforcement
    ENFORCEMENT_REFUSE: CompletionPolicy.Enforcement
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENFORCEMENT_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    MAX_FIX_AGE_FIELD_NUMBER: _ClassVar[int]
    MAX_ACCURACY_M_FIELD_NUMBER: _ClassVar[int]
    FLAG_WITHOUT_POSITION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    enforcement: CompletionPolicy.Enforcement
    radius_m: float
    max_fix_age: _duration_pb2.Duration
    max_accuracy_m: float
    flag_without_position: bool
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., enforcement: _Optional[_Union[CompletionPolicy.Enforcement, str]] = ..., radius_m: _Optional[float] = ..., max_fix_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_accuracy_m: _Optional[float] = ..., flag_without_position: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetCompletionPolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateCompletionPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: CompletionPolicy
    def __init__(self, policy: _Optional[_Union[CompletionPolicy, _Mapping]] = ...) -> None: ...

class RecordTemperaturesRequest(_message.Message):
    __slots__ = ("name", "readings")
    NAME_FIELD_NUMBER: _ClassVar[int]
    READINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    readings: _containers.RepeatedCompositeFieldContainer[_temperature_pb2.TemperatureReading]
    def __init__(self, name: _Optional[str] = ..., readings: _Optional[_Iterable[_Union[_temperature_pb2.TemperatureReading, _Mapping]]] = ...) -> None: ...

class RecordTemperaturesResponse(_message.Message):
    __slots__ = ("stored", "duplicates")
    STORED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    stored: int
    duplicates: int
    def __init__(self, stored: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class ListTemperatureReadingsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTemperatureReadingsResponse(_message.Message):
    __slots__ = ("readings", "next_page_token")
    READINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    readings: _containers.RepeatedCompositeFieldContainer[_temperature_pb2.TemperatureReading]
    next_page_token: str
    def __init__(self, readings: _Optional[_Iterable[_Union[_temperature_pb2.TemperatureReading, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
