"""Well-known protobuf values built from Python ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from bengobox.logistics.v1 import common_pb2
from google.protobuf import duration_pb2, timestamp_pb2


def ts(moment: datetime) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


def duration(seconds: float) -> duration_pb2.Duration:
    value = duration_pb2.Duration()
    value.FromTimedelta(timedelta(seconds=seconds))
    return value


def window(start: datetime, end: datetime) -> common_pb2.TimeWindow:
    return common_pb2.TimeWindow(start_time=ts(start), end_time=ts(end))
