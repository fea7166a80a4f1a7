"""The one error table: domain errors to gRPC and Connect codes with ``google.rpc`` details.

An outage of PostgreSQL, Redis or NATS is UNAVAILABLE with a ``RetryInfo`` (logged once per
outage by ``logistics.outages.OutageLog``); a value the database refuses is INVALID_ARGUMENT.
Anything else not in the table is INTERNAL and logged with its traceback; the client sees only
a generic message. Messages are cut to a bounded length, so no input is echoed whole.
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
from logistics.domain.text import cut
from logistics.outages import Outage, OutageLog, outage_of, rejected_value

logger = logging.getLogger(__name__)

ERROR_DOMAIN = "logistics.bengobox.dev"
# When a client should try again after an outage; its own backoff takes over from there.
OUTAGE_RETRY_AFTER_S = 1.0
# Status messages travel in headers or trailers, whose size is limited: never send more.
MAX_MESSAGE_CHARS = 1024
MAX_DESCRIPTION_CHARS = 512

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


def to_status(
    exc: BaseException, method: str = "", outages: OutageLog | None = None
) -> ErrorStatus:
    """Maps any exception raised by a handler to the status the client receives."""
    if isinstance(exc, domain.Unavailable) and exc.__cause__ is not None:
        # An adapter's translation of its client library's failure (the live index raises
        # ``Unavailable`` with REDIS_UNAVAILABLE from a RedisError): when the cause is the
        # outage the reason names, it is logged once per outage like an untranslated one.
        outage = outage_of(exc.__cause__)
        if outage is not None and outage.reason == exc.reason:
            return _outage_status(outage, outages)
    if isinstance(exc, domain.DomainError):
        for kind, grpc_code, connect_code in _TABLE:
            if isinstance(exc, kind):
                return ErrorStatus(
                    grpc_code, connect_code, cut(exc.message, MAX_MESSAGE_CHARS), _details(exc)
                )
    if isinstance(exc, ConnectError):  # raised by generated code: UNIMPLEMENTED
        return ErrorStatus(
            _CONNECT_TO_GRPC[exc.code], exc.code, cut(exc.message, MAX_MESSAGE_CHARS), ()
        )
    outage = outage_of(exc)
    if outage is not None:
        return _outage_status(outage, outages)
    refused = rejected_value(exc)
    if refused is not None:
        # The edge checks text before it gets here; a value that still reaches the database
        # and is refused is worth a look, but it is the caller's value, not our failure.
        logger.warning("the database refused a value in %s: %s", method, refused)
        return to_status(
            domain.InvalidArgument.field("request", f"a value cannot be stored: {refused}"),
            method,
        )
    logger.error("unhandled error in %s", method, exc_info=exc)
    internal = (_info("INTERNAL"),)
    return ErrorStatus(grpc.StatusCode.INTERNAL, Code.INTERNAL, "internal error", internal)


def _outage_status(outage: Outage, outages: OutageLog | None) -> ErrorStatus:
    if outages is not None:
        outages.record(outage)
    return ErrorStatus(
        grpc.StatusCode.UNAVAILABLE,
        Code.UNAVAILABLE,
        f"{outage.dependency} is unavailable; retry later",
        (_info(outage.reason), _retry_info(OUTAGE_RETRY_AFTER_S)),
    )


def _info(reason: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)


def _retry_info(after_s: float) -> error_details_pb2.RetryInfo:
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(int(after_s * 1000))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def _details(exc: domain.DomainError) -> tuple[Message, ...]:
    info = _info(exc.reason)
    for key, value in exc.details.items():
        info.metadata[key] = cut(value, MAX_DESCRIPTION_CHARS)
    details: list[Message] = [info]
    if isinstance(exc, domain.InvalidArgument):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=cut(v.field, MAX_DESCRIPTION_CHARS),
                        description=cut(v.description, MAX_DESCRIPTION_CHARS),
                    )
                    for v in exc.violations
                ]
            )
        )
    if isinstance(exc, domain.ResourceExhausted) and exc.retry_after_s is not None:
        details.append(_retry_info(exc.retry_after_s))
    if isinstance(exc, domain.Unavailable):
        details.append(_retry_info(OUTAGE_RETRY_AFTER_S))
    return tuple(details)
