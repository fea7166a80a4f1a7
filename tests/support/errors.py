"""What a failed gRPC call says beyond its code: the ``google.rpc.Status`` in its trailers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2


def status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError("no google.rpc.Status in the trailers")


def details(error: grpc.aio.AioRpcError) -> tuple[str, set[str]]:
    """The ErrorInfo reason and the BadRequest field paths of a failed call."""
    reason, fields = "", set()
    for detail in status_of(error).details:
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        if detail.Unpack(info):
            reason = info.reason
        elif detail.Unpack(bad):
            fields |= {v.field for v in bad.field_violations}
    return reason, fields


async def fails(call: Any, code: grpc.StatusCode, reason: str | None = None) -> set[str]:
    """Awaits a call that must fail with ``code`` (and ``reason``); the fields it names."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    found_reason, fields = details(caught.value)
    if reason is not None:
        assert found_reason == reason, caught.value.details()
    return fields


def retry_delay(error: grpc.aio.AioRpcError) -> timedelta:
    for detail in status_of(error).details:
        info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            return info.retry_delay.ToTimedelta()
    raise AssertionError("no google.rpc.RetryInfo in the status details")
