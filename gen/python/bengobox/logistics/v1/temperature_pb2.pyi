import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TemperatureRejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEMPERATURE_REJECT_REASON_UNSPECIFIED: _ClassVar[TemperatureRejectReason]
    TEMPERATURE_REJECT_REASON_INVALID: _ClassVar[TemperatureRejectReason]
    TEMPERATURE_REJECT_REASON_OUT_OF_TIME: _ClassVar[TemperatureRejectReason]
    TEMPERATURE_REJECT_REASON_UNKNOWN_TASK: _ClassVar[TemperatureRejectReason]
    TEMPERATURE_REJECT_REASON_TASK_ENDED: _ClassVar[TemperatureRejectReason]
TEMPERATURE_REJECT_REASON_UNSPECIFIED: TemperatureRejectReason
TEMPERATURE_REJECT_REASON_INVALID: TemperatureRejectReason
TEMPERATURE_REJECT_REASON_OUT_OF_TIME: TemperatureRejectReason
TEMPERATURE_REJECT_REASON_UNKNOWN_TASK: TemperatureRejectReason
TEMPERATURE_REJECT_REASON_TASK_ENDED: TemperatureRejectReason

class TemperatureReading(_message.Message):
    __slots__ = ("task", "probe_id", "record_time", "celsius")
    TASK_FIELD_NUMBER: _ClassVar[int]
    PROBE_ID_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    CELSIUS_FIELD_NUMBER: _ClassVar[int]
    task: str
    probe_id: str
    record_time: _timestamp_pb2.Timestamp
    celsius: float
    def __init__(self, task: _Optional[str] = ..., probe_id: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., celsius: _Optional[float] = ...) -> None: ...

class TemperatureRange(_message.Message):
    __slots__ = ("min_celsius", "max_celsius")
    MIN_CELSIUS_FIELD_NUMBER: _ClassVar[int]
    MAX_CELSIUS_FIELD_NUMBER: _ClassVar[int]
    min_celsius: float
    max_celsius: float
    def __init__(self, min_celsius: _Optional[float] = ..., max_celsius: _Optional[float] = ...) -> None: ...

class TemperatureBatch(_message.Message):
    __slots__ = ("batch_id", "readings")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    READINGS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    readings: _containers.RepeatedCompositeFieldContainer[TemperatureReading]
    def __init__(self, batch_id: _Optional[str] = ..., readings: _Optional[_Iterable[_Union[TemperatureReading, _Mapping]]] = ...) -> None: ...

class RejectedTemperature(_message.Message):
    __slots__ = ("index", "reason", "detail")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    index: int
    reason: TemperatureRejectReason
    detail: str
    def __init__(self, index: _Optional[int] = ..., reason: _Optional[_Union[TemperatureRejectReason, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class TemperatureAck(_message.Message):
    __slots__ = ("batch_id", "stored", "duplicates", "rejected")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    stored: int
    duplicates: int
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedTemperature]
    def __init__(self, batch_id: _Optional[str] = ..., stored: _Optional[int] = ..., duplicates: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RejectedTemperature, _Mapping]]] = ...) -> None: ...
