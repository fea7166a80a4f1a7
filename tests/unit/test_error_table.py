"""The one error table: domain errors as gRPC and Connect statuses with google.rpc details."""

from __future__ import annotations

import asyncio

import asyncpg
import grpc
import nats.errors
import pytest
import redis.exceptions
from connectrpc.code import Code
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from logistics.api.errors import ERROR_DOMAIN, ErrorStatus, to_status
from logistics.domain import errors as domain
from logistics.geo.redis_errors import redis_errors
from logistics.outages import OutageLog

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
        domain.UnknownToPlatform("the origin knows no tenant 'ghost'"),
        grpc.StatusCode.NOT_FOUND,
        Code.NOT_FOUND,
        "UNKNOWN_TO_PLATFORM",
    ),
    (
        domain.PlatformUnavailable("after 3 attempts: HTTP 503"),
        grpc.StatusCode.UNAVAILABLE,
        Code.UNAVAILABLE,
        "DISCOVERY_UNAVAILABLE",
    ),
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


def _raised(exc: BaseException) -> BaseException:
    """``exc`` with a traceback, as a handler would see it."""
    try:
        raise exc
    except BaseException as caught:
        return caught


OUTAGES: list[tuple[BaseException, str]] = [
    (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), "POSTGRES"),
    (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "POSTGRES"),
    (asyncpg.exceptions.AdminShutdownError("terminating connection"), "POSTGRES"),
    (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "POSTGRES"),
    (asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction"), "POSTGRES"),
    (asyncpg.exceptions.InterfaceError("pool is closing"), "POSTGRES"),
    (asyncpg.exceptions.InternalClientError("cannot switch to state 15"), "POSTGRES"),
    (redis.exceptions.ConnectionError("Connection refused"), "REDIS"),
    (redis.exceptions.TimeoutError("Timeout reading from socket"), "REDIS"),
    (redis.exceptions.ResponseError("LOADING Redis is loading the dataset"), "REDIS"),
    (nats.errors.ConnectionClosedError(), "NATS"),
    (nats.errors.NoRespondersError(), "NATS"),
    (nats.errors.TimeoutError(), "NATS"),
    (ConnectionRefusedError(111, "Connect call failed"), "DEPENDENCY"),
    (TimeoutError(), "DEPENDENCY"),
]


@pytest.mark.parametrize(("exc", "dependency"), OUTAGES, ids=[repr(o[0])[:40] for o in OUTAGES])
def test_an_outage_is_unavailable_with_retry_info_never_internal(
    exc: BaseException, dependency: str
) -> None:
    status = to_status(_raised(exc), "/bengobox.logistics.v1.TaskService/CreateTask")

    assert status.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert status.connect_code == Code.UNAVAILABLE
    info = detail(status, error_details_pb2.ErrorInfo)
    assert info == error_details_pb2.ErrorInfo(
        reason=f"{dependency}_UNAVAILABLE", domain=ERROR_DOMAIN
    )
    retry = detail(status, error_details_pb2.RetryInfo)
    assert retry is not None
    assert retry.retry_delay.ToMilliseconds() > 0  # type: ignore[attr-defined]


def test_a_connection_refused_inside_asyncpg_names_postgres() -> None:
    async def connect() -> None:
        await asyncpg.connect("postgresql://127.0.0.1:1/none", timeout=2)

    with pytest.raises(ConnectionRefusedError) as raised:
        asyncio.run(connect())

    status = to_status(raised.value)
    assert status.grpc_code == grpc.StatusCode.UNAVAILABLE
    assert detail(status, error_details_pb2.ErrorInfo).reason == "POSTGRES_UNAVAILABLE"  # type: ignore[union-attr]


def test_an_outage_wrapped_in_another_error_is_still_an_outage() -> None:
    try:
        try:
            raise redis.exceptions.ConnectionError("Connection reset by peer")
        except redis.exceptions.ConnectionError as inner:
            raise RuntimeError("index update failed") from inner
    except RuntimeError as outer:
        status = to_status(outer)

    assert status.grpc_code == grpc.StatusCode.UNAVAILABLE


def test_an_outage_is_logged_once_not_once_per_call(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outages = OutageLog(quiet_s=30.0, clock=lambda: now[0])
    for _ in range(50):
        to_status(_raised(redis.exceptions.ConnectionError("refused")), "/m", outages)
        now[0] += 0.5

    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "redis" in warnings[0].getMessage()
    assert "refused" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)

    now[0] += 31.0  # quiet for longer than quiet_s: the next failure is a new outage
    to_status(_raised(redis.exceptions.ConnectionError("refused")), "/m", outages)
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 2


def _live_index_unavailable(cause: BaseException) -> domain.Unavailable:
    """What the live index raises for a Redis failure (``geo.live_index.redis_errors``)."""
    try:
        with redis_errors():
            raise cause
    except domain.Unavailable as exc:
        return exc
    raise AssertionError("not translated")


def test_a_redis_outage_translated_by_the_live_index_is_logged_once_with_retry_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outages = OutageLog(quiet_s=30.0, clock=lambda: 100.0)
    for _ in range(5):
        status = to_status(
            _live_index_unavailable(redis.exceptions.ConnectionError("refused")), "/m", outages
        )
        assert status.grpc_code == grpc.StatusCode.UNAVAILABLE
        assert status.message == "redis is unavailable; retry later"
        info = detail(status, error_details_pb2.ErrorInfo)
        assert info is not None
        assert info.reason == "REDIS_UNAVAILABLE"
        assert detail(status, error_details_pb2.RetryInfo) is not None

    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "refused" in warnings[0].getMessage()


def test_a_redis_error_that_is_no_outage_stays_itself_and_is_internal() -> None:
    with pytest.raises(redis.exceptions.ResponseError), redis_errors():
        raise redis.exceptions.ResponseError("ERR in script")

    status = to_status(_raised(redis.exceptions.ResponseError("ERR in script")))
    assert status.grpc_code == grpc.StatusCode.INTERNAL


def test_a_value_the_database_refuses_is_invalid_argument() -> None:
    refused = asyncpg.exceptions.CharacterNotInRepertoireError(
        'invalid byte sequence for encoding "UTF8": 0x00'
    )

    status = to_status(_raised(refused), "/bengobox.logistics.v1.FleetService/CreateRider")

    assert status.grpc_code == grpc.StatusCode.INVALID_ARGUMENT
    assert detail(status, error_details_pb2.BadRequest) is not None


def test_a_huge_message_is_cut_to_a_bounded_length() -> None:
    status = to_status(domain.InvalidArgument.field("name", "x" * 50_000))

    assert len(status.message) <= 1024
    assert len(status.rpc_status().SerializeToString()) < 4096


def test_background_work_logs_an_outage_once_and_a_bug_every_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    log = logging.getLogger("tests.background")
    outages = OutageLog(quiet_s=30.0, clock=lambda: 5.0)
    for _ in range(10):
        outages.failed(log, "due timers wait and retry", _raised(ConnectionRefusedError(111, "x")))
        outages.failed(log, "due timers wait and retry", _raised(KeyError("bug")))

    mine = [r for r in caplog.records if r.name == "tests.background"]
    assert len([r for r in mine if r.levelname == "WARNING"]) == 1
    assert "due timers wait and retry" in mine[0].getMessage()
    bugs = [r for r in mine if r.levelname == "ERROR"]
    assert len(bugs) == 10
    assert all(r.exc_info for r in bugs)
