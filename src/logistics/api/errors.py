"""The one error table: domain errors to gRPC and Connect codes with ``google.rpc`` details.

Anything not in the table is INTERNAL and logged with its traceback; the client sees only
a generic message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from logistics.domain import errors as domain

logger = logging.getLogger(__name__)

ERROR_DOMAIN = "logistics.bengobox.dev"

_TABLE: list[tuple[type[domain.DomainError], grpc.StatusCode, Code]] = [
    (domain.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, Code.INVALID_ARGUMENT),
    (domain.NotFound, grpc.StatusCode.NOT_FOUND, Code.NOT_FOUND),
    (domain.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS, Code.ALREADY_EXISTS),
    (domain.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION, Code.FAILED_PRECONDITION),
    (domain.EtagMismatch, grpc.StatusCode.ABORTED, Code.ABORTED),
    (domain.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED, Code.UNAUTHENTICATED),
    (domain.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED, Code.PERMISSION_DENIED),
    (domain.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED, Code.RESOURCE_EXHAUSTED),
    (domain.Unavailable, grpc.StatusCode.UNAVAILABLE, Code.UNAVAILABLE),
]

# Connect and gRPC have the same 16 codes; only "cancelled" is spelled differently.
_CONNECT_TO_GRPC = {
    code: grpc.StatusCode.CANCELLED if code is Code.CANCELED else grpc.StatusCode[code.name]
    for code in Code
}


@dataclass(frozen=True)
class ErrorStatus:
    """A failure as both transports send it."""

    grpc_code: grpc.StatusCode
    connect_code: Code
    message: str
    details: tuple[Message, ...]

    def rpc_status(self) -> status_pb2.Status:
        packed = []
        for detail in self.details:
            holder = any_pb2.Any()
            holder.Pack(detail)
            packed.append(holder)
        return status_pb2.Status(code=self.grpc_code.value[0], message=self.message, details=packed)

    def connect_error(self) -> ConnectError:
        return ConnectError(self.connect_code, self.message, self.details)


def to_status(exc: BaseException, method: str = "") -> ErrorStatus:
    """Maps any exception raised by a handler to the status the client receives."""
    if isinstance(exc, domain.DomainError):
        for kind, grpc_code, connect_code in _TABLE:
            if isinstance(exc, kind):
                return ErrorStatus(grpc_code, connect_code, exc.message, _details(exc))
    if isinstance(exc, ConnectError):  # raised by generated code: UNIMPLEMENTED
        return ErrorStatus(_CONNECT_TO_GRPC[exc.code], exc.code, exc.message, ())
    logger.error("unhandled error in %s", method, exc_info=exc)
    return ErrorStatus(
        grpc.StatusCode.INTERNAL,
        Code.INTERNAL,
        "internal error",
        (error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN),),
    )


def _details(exc: domain.DomainError) -> tuple[Message, ...]:
    details: list[Message] = [error_details_pb2.ErrorInfo(reason=exc.reason, domain=ERROR_DOMAIN)]
    if isinstance(exc, domain.InvalidArgument):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in exc.violations
                ]
            )
        )
    if isinstance(exc, domain.ResourceExhausted) and exc.retry_after_s is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(exc.retry_after_s * 1000))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    return tuple(details)
