"""Domain errors: what went wrong, in terms a caller can act on.

The transport edge (``logistics.api.errors``) maps each class to a gRPC and a Connect code;
nothing below the API knows about status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path (``rider.phone``) and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error a use case raises on purpose.

    ``reason`` is a stable UPPER_SNAKE identifier for clients (``google.rpc.ErrorInfo``);
    ``details`` are the ErrorInfo's metadata, facts a client can act on (``distance_m``).
    """

    reason = "ERROR"

    def __init__(
        self, message: str, *, reason: str | None = None, details: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, str] = dict(details or {})
        if reason is not None:
            self.reason = reason


class InvalidArgument(DomainError):
    """The request is malformed; ``violations`` name the offending fields."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation] | tuple[FieldViolation, ...]) -> None:
        self.violations = tuple(violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid request: {summary}")

    @classmethod
    def field(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NotFound(DomainError):
    reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    reason = "FAILED_PRECONDITION"


class EtagMismatch(DomainError):
    """The resource changed since the caller read it (optimistic concurrency)."""

    reason = "ETAG_MISMATCH"


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"


class ResourceExhausted(DomainError):
    """A limit was hit; ``retry_after_s`` tells the caller when to try again."""

    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """A dependency is down; the request changed nothing and may be retried."""

    reason = "UNAVAILABLE"


class UnknownToPlatform(NotFound):
    """The platform service a write came from has no such tenant or outlet."""

    reason = "UNKNOWN_TO_PLATFORM"


class PlatformUnavailable(Unavailable):
    """The platform service a write came from gave no usable answer: unreachable, failing,
    refusing the request or answering nonsense."""

    reason = "DISCOVERY_UNAVAILABLE"
