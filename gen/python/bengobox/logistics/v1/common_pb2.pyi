import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VehicleType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VEHICLE_TYPE_UNSPECIFIED: _ClassVar[VehicleType]
    VEHICLE_TYPE_BICYCLE: _ClassVar[VehicleType]
    VEHICLE_TYPE_MOTORBIKE: _ClassVar[VehicleType]
    VEHICLE_TYPE_CAR: _ClassVar[VehicleType]
    VEHICLE_TYPE_VAN: _ClassVar[VehicleType]
    VEHICLE_TYPE_TRUCK: _ClassVar[VehicleType]
    VEHICLE_TYPE_ON_FOOT: _ClassVar[VehicleType]
VEHICLE_TYPE_UNSPECIFIED: VehicleType
VEHICLE_TYPE_BICYCLE: VehicleType
VEHICLE_TYPE_MOTORBIKE: VehicleType
VEHICLE_TYPE_CAR: VehicleType
VEHICLE_TYPE_VAN: VehicleType
VEHICLE_TYPE_TRUCK: VehicleType
VEHICLE_TYPE_ON_FOOT: VehicleType

class GeoPoint(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class TimeWindow(_message.Message):
    __slots__ = ("start_time", "end_time")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Capacity(_message.Message):
    __slots__ = ("weight_kg", "volume_l", "item_count")
    WEIGHT_KG_FIELD_NUMBER: _ClassVar[int]
    VOLUME_L_FIELD_NUMBER: _ClassVar[int]
    ITEM_COUNT_FIELD_NUMBER: _ClassVar[int]
    weight_kg: float
    volume_l: float
    item_count: int
    def __init__(self, weight_kg: _Optional[float] = ..., volume_l: _Optional[float] = ..., item_count: _Optional[int] = ...) -> None: ...

class ArrivalEstimate(_message.Message):
    __slots__ = ("arrival_time", "travel", "source", "estimate_time", "p50_arrival_time", "p90_arrival_time")
    class Source(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SOURCE_UNSPECIFIED: _ClassVar[ArrivalEstimate.Source]
        SOURCE_ROAD: _ClassVar[ArrivalEstimate.Source]
        SOURCE_ROAD_CACHED: _ClassVar[ArrivalEstimate.Source]
        SOURCE_STRAIGHT_LINE: _ClassVar[ArrivalEstimate.Source]
        SOURCE_STRAIGHT_LINE_FALLBACK: _ClassVar[ArrivalEstimate.Source]
    SOURCE_UNSPECIFIED: ArrivalEstimate.Source
    SOURCE_ROAD: ArrivalEstimate.Source
    SOURCE_ROAD_CACHED: ArrivalEstimate.Source
    SOURCE_STRAIGHT_LINE: ArrivalEstimate.Source
    SOURCE_STRAIGHT_LINE_FALLBACK: ArrivalEstimate.Source
    ARRIVAL_TIME_FIELD_NUMBER: _ClassVar[int]
    TRAVEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ESTIMATE_TIME_FIELD_NUMBER: _ClassVar[int]
    P50_ARRIVAL_TIME_FIELD_NUMBER: _ClassVar[int]
    P90_ARRIVAL_TIME_FIELD_NUMBER: _ClassVar[int]
    arrival_time: _timestamp_pb2.Timestamp
    travel: _duration_pb2.Duration
    source: ArrivalEstimate.Source
    estimate_time: _timestamp_pb2.Timestamp
    p50_arrival_time: _timestamp_pb2.Timestamp
    p90_arrival_time: _timestamp_pb2.Timestamp
    def __init__(self, arrival_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., travel: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source: _Optional[_Union[ArrivalEstimate.Source, str]] = ..., estimate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., p50_arrival_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., p90_arrival_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
