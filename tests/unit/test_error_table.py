"""The one error table: domain errors as gRPC and Connect statuses with google.rpc details."""

from __future__ import annotations

import grpc
import pytest
from connectrpc.code import Code
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from logistics.api.errors import ERROR_DOMAIN, ErrorStatus, to_status
from logistics.domain import errors as domain

CASES: list[tuple[domain.DomainError, grpc.StatusCode, Code, str]] = [
    (
        domain.InvalidArgument.field("rider.phone", "must be E.164"),
        grpc.StatusCode.INVALID_ARGUMENT,
        Code.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    ),
    (domain.NotFound("no such rider"), grpc.StatusCode.NOT_FOUND, Code.NOT_FOUND, "NOT_FOUND"),
    (
        domain.AlreadyExists("rider exists"),
        grpc.StatusCode.ALREADY_EXISTS,
        Code.ALREADY_EXISTS,
        "ALREADY_EXISTS",
    ),
    (
        domain.FailedPrecondition("fleet has riders", reason="FLEET_NOT_EMPTY"),
        grpc.StatusCode.FAILED_PRECONDITION,
        Code.FAILED_PRECONDITION,
        "FLEET_NOT_EMPTY",
    ),
    (domain.EtagMismatch("changed"), grpc.StatusCode.ABORTED, Code.ABORTED, "ETAG_MISMATCH"),
    (
        domain.Unauthenticated("expired", reason="TOKEN_EXPIRED"),
        grpc.StatusCode.UNAUTHENTICATED,
        Code.UNAUTHENTICATED,
        "TOKEN_EXPIRED",
    ),
    (
        domain.PermissionDenied("other tenant", reason="WRONG_TENANT"),
        grpc.StatusCode.PERMISSION_DENIED,
        Code.PERMISSION_DENIED,
        "WRONG_TENANT",
    ),
    (
        domain.ResourceExhausted("slow down", retry_after_s=1.5),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        Code.RESOURCE_EXHAUSTED,
        "RESOURCE_EXHAUSTED",
    ),
    (
        domain.Unavailable("database down"),
        grpc.StatusCode.UNAVAILABLE,
        Code.UNAVAILABLE,
        "UNAVAILABLE",
    ),
]


def detail(status: ErrorStatus, kind: type[Message]) -> Message | None:
    found = [d for d in status.details if isinstance(d, kind)]
    assert len(found) <= 1
    return found[0] if found else None


def unpack(packed: any_pb2.Any) -> Message:
    for kind in (
        error_details_pb2.ErrorInfo,
        error_details_pb2.BadRequest,
        error_details_pb2.RetryInfo,
    ):
        if packed.Is(kind.DESCRIPTOR):
            message: Message = kind()
            packed.Unpack(message)
            return message
    raise AssertionError(f"unexpected detail {packed.type_url}")


@pytest.mark.parametrize(
    ("exc", "grpc_code", "connect_code", "reason"),
    CASES,
    ids=[type(case[0]).__name__ for case in CASES],
)
def test_domain_error_maps_to_its_codes_with_an_error_info_reason(
    exc: domain.DomainError, grpc_code: grpc.StatusCode, connect_code: Code, reason: str
) -> None:
    status = to_status(exc)

    assert status.grpc_code == grpc_code
    assert status.connect_code == connect_code
    assert status.message == exc.message
    info = detail(status, error_details_pb2.ErrorInfo)
    assert info == error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)


def test_every_domain_error_class_is_in_the_table() -> None:
    mapped = {type(case[0]) for case in CASES}
    defined = {
        obj
        for obj in vars(domain).values()
        if isinstance(obj, type) and issubclass(obj, domain.DomainError)
    } - {domain.DomainError}

    assert defined == mapped
    for kind in defined:
        sample = next(case[0] for case in CASES if type(case[0]) is kind)
        assert to_status(sample).grpc_code != grpc.StatusCode.INTERNAL


def test_invalid_argument_lists_every_field_violation_in_bad_request() -> None:
    exc = domain.InvalidArgument(
        [
            domain.FieldViolation("rider.phone", "must be E.164"),
            domain.FieldViolation("rider.display_name", "is required"),
        ]
    )

    bad_request = detail(to_status(exc), error_details_pb2.BadRequest)

    assert bad_request == error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field="rider.phone", description="must be E.164"
            ),
            error_details_pb2.BadRequest.FieldViolation(
                field="rider.display_name", description="is required"
            ),
        ]
    )


def test_resource_exhausted_carries_retry_delay() -> None:
    retry = detail(
        to_status(domain.ResourceExhausted("slow down", retry_after_s=1.5)),
        error_details_pb2.RetryInfo,
    )

    assert retry is not None
    assert retry.retry_delay.ToMilliseconds() == 1500  # type: ignore[attr-defined]


def test_resource_exhausted_without_delay_has_no_retry_info() -> None:
    status = to_status(domain.ResourceExhausted("slow down"))

    assert detail(status, error_details_pb2.RetryInfo) is None


def test_only_invalid_argument_has_bad_request() -> None:
    for exc, *_ in CASES:
        has_bad_request = detail(to_status(exc), error_details_pb2.BadRequest) is not None
        assert has_bad_request == isinstance(exc, domain.InvalidArgument)


def test_unexpected_exception_is_internal_and_hides_its_text() -> None:
    status = to_status(KeyError("secret-detail"), "/bengobox.logistics.v1.FleetService/GetRider")

    assert status.grpc_code == grpc.StatusCode.INTERNAL
    assert status.connect_code == Code.INTERNAL
    assert status.message == "internal error"
    assert detail(status, error_details_pb2.ErrorInfo) == error_details_pb2.ErrorInfo(
        reason="INTERNAL", domain=ERROR_DOMAIN
    )
    assert b"secret-detail" not in status.rpc_status().SerializeToString()
    error = status.connect_error()
    assert "secret-detail" not in str(error)
    assert all(b"secret-detail" not in d.SerializeToString() for d in error.details)


def test_unexpected_exception_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        raise KeyError("secret-detail")
    except KeyError as exc:
        to_status(exc, "/bengobox.logistics.v1.FleetService/GetRider")

    record = next(r for r in caplog.records if r.name == "logistics.api.errors")
    assert record.exc_info is not None
    assert "GetRider" in record.getMessage()


@pytest.mark.parametrize(
    ("exc", "grpc_code", "connect_code", "reason"),
    CASES,
    ids=[type(case[0]).__name__ for case in CASES],
)
def test_rpc_status_packs_code_message_and_details(
    exc: domain.DomainError, grpc_code: grpc.StatusCode, connect_code: Code, reason: str
) -> None:
    status = to_status(exc)

    packed = status.rpc_status()

    assert isinstance(packed, status_pb2.Status)
    assert packed.code == grpc_code.value[0]
    assert packed.message == exc.message
    assert [unpack(d) for d in packed.details] == list(status.details)
    roundtrip = status_pb2.Status.FromString(packed.SerializeToString())
    assert roundtrip == packed


@pytest.mark.parametrize(
    ("exc", "grpc_code", "connect_code", "reason"),
    CASES,
    ids=[type(case[0]).__name__ for case in CASES],
)
def test_connect_error_has_the_same_code_message_and_details(
    exc: domain.DomainError, grpc_code: grpc.StatusCode, connect_code: Code, reason: str
) -> None:
    status = to_status(exc)

    error = status.connect_error()

    assert error.code == connect_code
    assert error.message == exc.message
    assert [unpack(d) for d in error.details] == list(status.details)
    assert [d.type_url for d in error.details] == [d.type_url for d in status.rpc_status().details]
