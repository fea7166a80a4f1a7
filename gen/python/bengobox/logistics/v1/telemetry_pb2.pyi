import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from bengobox.logistics.v1 import task_pb2 as _task_pb2
from bengobox.logistics.v1 import temperature_pb2 as _temperature_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PingRejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PING_REJECT_REASON_UNSPECIFIED: _ClassVar[PingRejectReason]
    PING_REJECT_REASON_OUT_OF_RANGE: _ClassVar[PingRejectReason]
    PING_REJECT_REASON_INACCURATE: _ClassVar[PingRejectReason]
    PING_REJECT_REASON_FUTURE_TIME: _ClassVar[PingRejectReason]
    PING_REJECT_REASON_SPOOFING_SUSPECTED: _ClassVar[PingRejectReason]
PING_REJECT_REASON_UNSPECIFIED: PingRejectReason
PING_REJECT_REASON_OUT_OF_RANGE: PingRejectReason
PING_REJECT_REASON_INACCURATE: PingRejectReason
PING_REJECT_REASON_FUTURE_TIME: PingRejectReason
PING_REJECT_REASON_SPOOFING_SUSPECTED: PingRejectReason

class LocationPing(_message.Message):
    __slots__ = ("sequence", "record_time", "position", "accuracy_m", "speed_mps", "heading_deg", "altitude_m", "battery_percent", "task")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_M_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    HEADING_DEG_FIELD_NUMBER: _ClassVar[int]
    ALTITUDE_M_FIELD_NUMBER: _ClassVar[int]
    BATTERY_PERCENT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    record_time: _timestamp_pb2.Timestamp
    position: _common_pb2.GeoPoint
    accuracy_m: float
    speed_mps: float
    heading_deg: float
    altitude_m: float
    battery_percent: float
    task: str
    def __init__(self, sequence: _Optional[int] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., accuracy_m: _Optional[float] = ..., speed_mps: _Optional[float] = ..., heading_deg: _Optional[float] = ..., altitude_m: _Optional[float] = ..., battery_percent: _Optional[float] = ..., task: _Optional[str] = ...) -> None: ...

class PingBatch(_message.Message):
    __slots__ = ("pings",)
    PINGS_FIELD_NUMBER: _ClassVar[int]
    pings: _containers.RepeatedCompositeFieldContainer[LocationPing]
    def __init__(self, pings: _Optional[_Iterable[_Union[LocationPing, _Mapping]]] = ...) -> None: ...

class OfferResponse(_message.Message):
    __slots__ = ("offer_id", "accept", "reason", "action_id", "occurred_time")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    accept: bool
    reason: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    def __init__(self, offer_id: _Optional[str] = ..., accept: _Optional[bool] = ..., reason: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StreamLocationsRequest(_message.Message):
    __slots__ = ("batch", "offer_response", "temperatures")
    BATCH_FIELD_NUMBER: _ClassVar[int]
    OFFER_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURES_FIELD_NUMBER: _ClassVar[int]
    batch: PingBatch
    offer_response: OfferResponse
    temperatures: _temperature_pb2.TemperatureBatch
    def __init__(self, batch: _Optional[_Union[PingBatch, _Mapping]] = ..., offer_response: _Optional[_Union[OfferResponse, _Mapping]] = ..., temperatures: _Optional[_Union[_temperature_pb2.TemperatureBatch, _Mapping]] = ...) -> None: ...

class RejectedPing(_message.Message):
    __slots__ = ("sequence", "reason", "detail")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    reason: PingRejectReason
    detail: str
    def __init__(self, sequence: _Optional[int] = ..., reason: _Optional[_Union[PingRejectReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class PingAck(_message.Message):
    __slots__ = ("contiguous_sequence", "rejected")
    CONTIGUOUS_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    contiguous_sequence: int
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedPing]
    def __init__(self, contiguous_sequence: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RejectedPing, _Mapping]]] = ...) -> None: ...

class TaskOffer(_message.Message):
    __slots__ = ("offer_id", "task", "expire_time", "pickup", "distance_m")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PICKUP_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    task: str
    expire_time: _timestamp_pb2.Timestamp
    pickup: _common_pb2.GeoPoint
    distance_m: float
    def __init__(self, offer_id: _Optional[str] = ..., task: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pickup: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., distance_m: _Optional[float] = ...) -> None: ...

class OfferWithdrawal(_message.Message):
    __slots__ = ("offer_id", "reason")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    reason: str
    def __init__(self, offer_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TrackingCommand(_message.Message):
    __slots__ = ("set_report_interval", "stop_tracking")
    SET_REPORT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    STOP_TRACKING_FIELD_NUMBER: _ClassVar[int]
    set_report_interval: _duration_pb2.Duration
    stop_tracking: _empty_pb2.Empty
    def __init__(self, set_report_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., stop_tracking: _Optional[_Union[_empty_pb2.Empty, _Mapping]] = ...) -> None: ...

class TaskUpdate(_message.Message):
    __slots__ = ("task", "changed_fields", "etag", "state", "unassigned")
    TASK_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    task: str
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    etag: str
    state: _task_pb2.Task.State
    unassigned: bool
    def __init__(self, task: _Optional[str] = ..., changed_fields: _Optional[_Iterable[str]] = ..., etag: _Optional[str] = ..., state: _Optional[_Union[_task_pb2.Task.State, str]] = ..., unassigned: _Optional[bool] = ...) -> None: ...

class OfferResult(_message.Message):
    __slots__ = ("offer_id", "action_id", "assigned", "error")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    action_id: str
    assigned: bool
    error: _status_pb2.Status
    def __init__(self, offer_id: _Optional[str] = ..., action_id: _Optional[str] = ..., assigned: _Optional[bool] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class KeepAlive(_message.Message):
    __slots__ = ("server_time",)
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StreamLocationsResponse(_message.Message):
    __slots__ = ("ack", "offer", "offer_withdrawal", "command", "keep_alive", "task_update", "offer_result", "temperature_ack")
    ACK_FIELD_NUMBER: _ClassVar[int]
    OFFER_FIELD_NUMBER: _ClassVar[int]
    OFFER_WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    KEEP_ALIVE_FIELD_NUMBER: _ClassVar[int]
    TASK_UPDATE_FIELD_NUMBER: _ClassVar[int]
    OFFER_RESULT_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_ACK_FIELD_NUMBER: _ClassVar[int]
    ack: PingAck
    offer: TaskOffer
    offer_withdrawal: OfferWithdrawal
    command: TrackingCommand
    keep_alive: KeepAlive
    task_update: TaskUpdate
    offer_result: OfferResult
    temperature_ack: _temperature_pb2.TemperatureAck
    def __init__(self, ack: _Optional[_Union[PingAck, _Mapping]] = ..., offer: _Optional[_Union[TaskOffer, _Mapping]] = ..., offer_withdrawal: _Optional[_Union[OfferWithdrawal, _Mapping]] = ..., command: _Optional[_Union[TrackingCommand, _Mapping]] = ..., keep_alive: _Optional[_Union[KeepAlive, _Mapping]] = ..., task_update: _Optional[_Union[TaskUpdate, _Mapping]] = ..., offer_result: _Optional[_Union[OfferResult, _Mapping]] = ..., temperature_ack: _Optional[_Union[_temperature_pb2.TemperatureAck, _Mapping]] = ...) -> None: ...

class GetTrackRequest(_message.Message):
    __slots__ = ("rider", "window")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    rider: str
    window: _common_pb2.TimeWindow
    def __init__(self, rider: _Optional[str] = ..., window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ...) -> None: ...

class TrackPoint(_message.Message):
    __slots__ = ("record_time", "position", "speed_mps")
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    record_time: _timestamp_pb2.Timestamp
    position: _common_pb2.GeoPoint
    speed_mps: float
    def __init__(self, record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., speed_mps: _Optional[float] = ...) -> None: ...

class GetTrackResponse(_message.Message):
    __slots__ = ("points", "distance_m")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[TrackPoint]
    distance_m: float
    def __init__(self, points: _Optional[_Iterable[_Union[TrackPoint, _Mapping]]] = ..., distance_m: _Optional[float] = ...) -> None: ...

class BoundingBox(_message.Message):
    __slots__ = ("south_west", "north_east")
    SOUTH_WEST_FIELD_NUMBER: _ClassVar[int]
    NORTH_EAST_FIELD_NUMBER: _ClassVar[int]
    south_west: _common_pb2.GeoPoint
    north_east: _common_pb2.GeoPoint
    def __init__(self, south_west: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., north_east: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ...) -> None: ...

class Polygon(_message.Message):
    __slots__ = ("vertices",)
    VERTICES_FIELD_NUMBER: _ClassVar[int]
    vertices: _containers.RepeatedCompositeFieldContainer[_common_pb2.GeoPoint]
    def __init__(self, vertices: _Optional[_Iterable[_Union[_common_pb2.GeoPoint, _Mapping]]] = ...) -> None: ...

class FleetSubscription(_message.Message):
    __slots__ = ("bounding_box", "polygon", "zone", "include_riders", "include_tasks", "include_alerts", "fleet")
    BOUNDING_BOX_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RIDERS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TASKS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ALERTS_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    bounding_box: BoundingBox
    polygon: Polygon
    zone: str
    include_riders: bool
    include_tasks: bool
    include_alerts: bool
    fleet: str
    def __init__(self, bounding_box: _Optional[_Union[BoundingBox, _Mapping]] = ..., polygon: _Optional[_Union[Polygon, _Mapping]] = ..., zone: _Optional[str] = ..., include_riders: _Optional[bool] = ..., include_tasks: _Optional[bool] = ..., include_alerts: _Optional[bool] = ..., fleet: _Optional[str] = ...) -> None: ...

class WatchFleetRequest(_message.Message):
    __slots__ = ("parent", "subscription")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    parent: str
    subscription: FleetSubscription
    def __init__(self, parent: _Optional[str] = ..., subscription: _Optional[_Union[FleetSubscription, _Mapping]] = ...) -> None: ...

class RiderView(_message.Message):
    __slots__ = ("rider", "position", "heading_deg", "speed_mps", "status", "task", "last_seen_time", "fleet", "record_time")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[RiderView.Status]
        STATUS_ONLINE: _ClassVar[RiderView.Status]
        STATUS_OFFLINE: _ClassVar[RiderView.Status]
    STATUS_UNSPECIFIED: RiderView.Status
    STATUS_ONLINE: RiderView.Status
    STATUS_OFFLINE: RiderView.Status
    RIDER_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    HEADING_DEG_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    rider: str
    position: _common_pb2.GeoPoint
    heading_deg: float
    speed_mps: float
    status: RiderView.Status
    task: str
    last_seen_time: _timestamp_pb2.Timestamp
    fleet: str
    record_time: _timestamp_pb2.Timestamp
    def __init__(self, rider: _Optional[str] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., heading_deg: _Optional[float] = ..., speed_mps: _Optional[float] = ..., status: _Optional[_Union[RiderView.Status, str]] = ..., task: _Optional[str] = ..., last_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fleet: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TaskView(_message.Message):
    __slots__ = ("task", "state", "rider", "eta", "needs_address", "arrival")
    TASK_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    NEEDS_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    task: str
    state: _task_pb2.Task.State
    rider: str
    eta: _duration_pb2.Duration
    needs_address: bool
    arrival: _common_pb2.ArrivalEstimate
    def __init__(self, task: _Optional[str] = ..., state: _Optional[_Union[_task_pb2.Task.State, str]] = ..., rider: _Optional[str] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., needs_address: _Optional[bool] = ..., arrival: _Optional[_Union[_common_pb2.ArrivalEstimate, _Mapping]] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("type", "rider", "task", "message", "alert_time", "position")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[Alert.Type]
        TYPE_GEOFENCE_ENTERED: _ClassVar[Alert.Type]
        TYPE_GEOFENCE_EXITED: _ClassVar[Alert.Type]
        TYPE_GEOFENCE_DWELLED: _ClassVar[Alert.Type]
        TYPE_RIDER_OFFLINE: _ClassVar[Alert.Type]
        TYPE_RIDER_SPOOFING_SUSPECTED: _ClassVar[Alert.Type]
        TYPE_TASK_SLA_AT_RISK: _ClassVar[Alert.Type]
        TYPE_TASK_SLA_BREACHED: _ClassVar[Alert.Type]
        TYPE_TASK_DELAYED: _ClassVar[Alert.Type]
        TYPE_RIDER_OFF_ROUTE: _ClassVar[Alert.Type]
        TYPE_RIDER_BACK_ON_ROUTE: _ClassVar[Alert.Type]
        TYPE_TASK_TEMPERATURE_EXCURSION: _ClassVar[Alert.Type]
        TYPE_TASK_TEMPERATURE_RECOVERED: _ClassVar[Alert.Type]
    TYPE_UNSPECIFIED: Alert.Type
    TYPE_GEOFENCE_ENTERED: Alert.Type
    TYPE_GEOFENCE_EXITED: Alert.Type
    TYPE_GEOFENCE_DWELLED: Alert.Type
    TYPE_RIDER_OFFLINE: Alert.Type
    TYPE_RIDER_SPOOFING_SUSPECTED: Alert.Type
    TYPE_TASK_SLA_AT_RISK: Alert.Type
    TYPE_TASK_SLA_BREACHED: Alert.Type
    TYPE_TASK_DELAYED: Alert.Type
    TYPE_RIDER_OFF_ROUTE: Alert.Type
    TYPE_RIDER_BACK_ON_ROUTE: Alert.Type
    TYPE_TASK_TEMPERATURE_EXCURSION: Alert.Type
    TYPE_TASK_TEMPERATURE_RECOVERED: Alert.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ALERT_TIME_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    type: Alert.Type
    rider: str
    task: str
    message: str
    alert_time: _timestamp_pb2.Timestamp
    position: _common_pb2.GeoPoint
    def __init__(self, type: _Optional[_Union[Alert.Type, str]] = ..., rider: _Optional[str] = ..., task: _Optional[str] = ..., message: _Optional[str] = ..., alert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ...) -> None: ...

class FleetFrame(_message.Message):
    __slots__ = ("sequence", "snapshot", "rider_upserts", "rider_removals", "task_changes", "alerts")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    RIDER_UPSERTS_FIELD_NUMBER: _ClassVar[int]
    RIDER_REMOVALS_FIELD_NUMBER: _ClassVar[int]
    TASK_CHANGES_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    snapshot: bool
    rider_upserts: _containers.RepeatedCompositeFieldContainer[RiderView]
    rider_removals: _containers.RepeatedScalarFieldContainer[str]
    task_changes: _containers.RepeatedCompositeFieldContainer[TaskView]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    def __init__(self, sequence: _Optional[int] = ..., snapshot: _Optional[bool] = ..., rider_upserts: _Optional[_Iterable[_Union[RiderView, _Mapping]]] = ..., rider_removals: _Optional[_Iterable[str]] = ..., task_changes: _Optional[_Iterable[_Union[TaskView, _Mapping]]] = ..., alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ...) -> None: ...

class WatchFleetResponse(_message.Message):
    __slots__ = ("frame",)
    FRAME_FIELD_NUMBER: _ClassVar[int]
    frame: FleetFrame
    def __init__(self, frame: _Optional[_Union[FleetFrame, _Mapping]] = ...) -> None: ...

class SubscribeFleetRequest(_message.Message):
    __slots__ = ("parent", "subscription")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    parent: str
    subscription: FleetSubscription
    def __init__(self, parent: _Optional[str] = ..., subscription: _Optional[_Union[FleetSubscription, _Mapping]] = ...) -> None: ...

class SubscribeFleetResponse(_message.Message):
    __slots__ = ("frame",)
    FRAME_FIELD_NUMBER: _ClassVar[int]
    frame: FleetFrame
    def __init__(self, frame: _Optional[_Union[FleetFrame, _Mapping]] = ...) -> None: ...

class TrackTaskRequest(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: str
    def __init__(self, task: _Optional[str] = ...) -> None: ...

class TrackTaskResponse(_message.Message):
    __slots__ = ("task", "state", "rider_position", "eta", "rider", "position_time", "arrival")
    TASK_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RIDER_POSITION_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    POSITION_TIME_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    task: str
    state: _task_pb2.Task.State
    rider_position: _common_pb2.GeoPoint
    eta: _duration_pb2.Duration
    rider: str
    position_time: _timestamp_pb2.Timestamp
    arrival: _common_pb2.ArrivalEstimate
    def __init__(self, task: _Optional[str] = ..., state: _Optional[_Union[_task_pb2.Task.State, str]] = ..., rider_position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rider: _Optional[str] = ..., position_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., arrival: _Optional[_Union[_common_pb2.ArrivalEstimate, _Mapping]] = ...) -> None: ...

class Geofence(_message.Message):
    __slots__ = ("name", "display_name", "kind", "polygon", "circle", "dwell_threshold", "create_time", "update_time", "etag")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Geofence.Kind]
        KIND_ZONE: _ClassVar[Geofence.Kind]
        KIND_OUTLET: _ClassVar[Geofence.Kind]
        KIND_HUB: _ClassVar[Geofence.Kind]
        KIND_NO_GO: _ClassVar[Geofence.Kind]
    KIND_UNSPECIFIED: Geofence.Kind
    KIND_ZONE: Geofence.Kind
    KIND_OUTLET: Geofence.Kind
    KIND_HUB: Geofence.Kind
    KIND_NO_GO: Geofence.Kind
    class Circle(_message.Message):
        __slots__ = ("center", "radius_m")
        CENTER_FIELD_NUMBER: _ClassVar[int]
        RADIUS_M_FIELD_NUMBER: _ClassVar[int]
        center: _common_pb2.GeoPoint
        radius_m: float
        def __init__(self, center: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., radius_m: _Optional[float] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    CIRCLE_FIELD_NUMBER: _ClassVar[int]
    DWELL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    kind: Geofence.Kind
    polygon: Polygon
    circle: Geofence.Circle
    dwell_threshold: _duration_pb2.Duration
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[Geofence.Kind, str]] = ..., polygon: _Optional[_Union[Polygon, _Mapping]] = ..., circle: _Optional[_Union[Geofence.Circle, _Mapping]] = ..., dwell_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateGeofenceRequest(_message.Message):
    __slots__ = ("parent", "geofence", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    GEOFENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    geofence: Geofence
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., geofence: _Optional[_Union[Geofence, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetGeofenceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListGeofencesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListGeofencesResponse(_message.Message):
    __slots__ = ("geofences", "next_page_token")
    GEOFENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    geofences: _containers.RepeatedCompositeFieldContainer[Geofence]
    next_page_token: str
    def __init__(self, geofences: _Optional[_Iterable[_Union[Geofence, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateGeofenceRequest(_message.Message):
    __slots__ = ("geofence", "update_mask")
    GEOFENCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    geofence: Geofence
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, geofence: _Optional[_Union[Geofence, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteGeofenceRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class TelemetryPolicy(_message.Message):
    __slots__ = ("name", "sample_interval", "retention_days", "update_time", "etag", "route_corridor_m", "off_route_tolerance")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ROUTE_CORRIDOR_M_FIELD_NUMBER: _ClassVar[int]
    OFF_ROUTE_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    sample_interval: _duration_pb2.Duration
    retention_days: int
    update_time: _timestamp_pb2.Timestamp
    etag: str
    route_corridor_m: float
    off_route_tolerance: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., sample_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retention_days: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., route_corridor_m: _Optional[float] = ..., off_route_tolerance: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetTelemetryPolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateTelemetryPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: TelemetryPolicy
    def __init__(self, policy: _Optional[_Union[TelemetryPolicy, _Mapping]] = ...) -> None: ...
