"""CompleteStep as a rider app sends it, over gRPC or Connect, so one test checks both; a
refusal reads the same either way (its code, ErrorInfo reason and message)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from bengobox.logistics.v1 import task_connect, task_pb2
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.rpc import error_details_pb2

from tests.support.auth import token
from tests.support.errors import details
from tests.support.servers import RunningServer
from tests.support.tasks import DISPATCHER, Api

Complete = Callable[[task_pb2.CompleteStepRequest], Awaitable[task_pb2.Task]]


class Refused(Exception):
    """A Connect error, as far as ``refused`` reads it."""

    def __init__(self, code: Code, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def completer(transport: str, api: Api, server: RunningServer) -> Complete:
    """CompleteStep for ``api``'s dispatcher over ``transport`` (``grpc`` or ``connect``)."""
    if transport == "grpc":

        async def over_grpc(r: task_pb2.CompleteStepRequest) -> task_pb2.Task:
            return await api.tasks.CompleteStep(r, metadata=api.md)  # type: ignore[no-any-return]

        return over_grpc
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}

    async def over_connect(r: task_pb2.CompleteStepRequest) -> task_pb2.Task:
        try:
            return await client.complete_step(r, headers=headers)
        except ConnectError as exc:
            info = error_details_pb2.ErrorInfo()
            reason = next((info.reason for d in exc.details if d.Unpack(info)), "")
            raise Refused(exc.code, reason, exc.message) from exc

    return over_connect


async def refused(call: Awaitable[Any], reason: str) -> str:
    """Awaits a CompleteStep that must be FAILED_PRECONDITION with ``reason``; its message."""
    with pytest.raises((grpc.aio.AioRpcError, Refused)) as caught:
        await call
    error = caught.value
    if isinstance(error, Refused):
        assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, reason), error.message
        return error.message
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    assert details(error)[0] == reason, error.details()
    return error.details() or ""
