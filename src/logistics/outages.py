"""What the infrastructure's exceptions mean to a caller: a dependency that is down, or a value
the database cannot store; and the log of outages, one warning per outage instead of one
traceback per call.

The client libraries raise their own exception types for the same event (a refused connection,
a reset, a timeout, an exhausted pool, a failover); this module is the one place that knows
them, so the error table (``logistics.api.errors``) and readiness speak of dependencies, not of
asyncpg, redis-py or nats-py.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
import nats.errors
import nats.js.errors
import redis.exceptions

from logistics.domain.text import cut

__all__ = ["Outage", "OutageLog", "outage_of", "rejected_value"]

logger = logging.getLogger(__name__)

POSTGRES = "postgres"
REDIS = "redis"
NATS = "nats"
_KNOWN = (POSTGRES, REDIS, NATS)
# A cause or a refused value is one log line or message part of at most this many characters.
_LINE_CHARS = 200

# SQLSTATE classes that mean the server cannot serve now (08 connection exception, 53
# insufficient resources, 57 operator intervention: shutdown, crash, cannot connect now), and
# the read-only transaction (25006) a client meets after a failover to a standby.
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_PG_READ_ONLY = "25006"

# asyncpg's InterfaceError covers a closed connection or pool as well as our own misuse; only
# these messages are the former.
_PG_CLOSED_MARKERS = ("connection is closed", "pool is closing", "pool is closed")

_NATS_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.NoRespondersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.UnexpectedEOF,
    nats.errors.FlushTimeoutError,
    nats.errors.TimeoutError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
)


@dataclass(frozen=True)
class Outage:
    """A dependency a call could not reach; ``cause`` is one line for the log."""

    dependency: str
    cause: str

    @property
    def reason(self) -> str:
        """The ``ErrorInfo`` reason callers see: ``POSTGRES_UNAVAILABLE`` and so on."""
        name = self.dependency if self.dependency in _KNOWN else "DEPENDENCY"
        return f"{name.upper()}_UNAVAILABLE"


def outage_of(exc: BaseException) -> Outage | None:
    """The outage ``exc`` (or an exception it was raised from) stands for, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        dependency = _dependency(current)
        if dependency is not None:
            return Outage(dependency, _describe(current))
        current = current.__cause__ or current.__context__
    return None


def rejected_value(exc: BaseException) -> str | None:
    """The database's one-line reason when it refused a value (SQLSTATE class 22: bad
    encoding, a number out of range, text it cannot store), else None."""
    if isinstance(exc, asyncpg.DataError):
        return _line(str(exc))
    return None


def _dependency(exc: BaseException) -> str | None:
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", None) or ""
        if state[:2] in _PG_UNAVAILABLE_CLASSES or state == _PG_READ_ONLY:
            return POSTGRES
        if isinstance(exc, asyncpg.PostgresConnectionError):
            return POSTGRES
        return None
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # A connection broken mid-operation can leave asyncpg's protocol in a state it then
        # refuses ("cannot switch to state ..."), seen on release while PostgreSQL crashed.
        return POSTGRES
    if isinstance(exc, asyncpg.InterfaceError):
        text = str(exc).lower()
        return POSTGRES if any(m in text for m in _PG_CLOSED_MARKERS) else None
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return REDIS
    if isinstance(exc, redis.exceptions.ResponseError) and _redis_not_serving(exc):
        return REDIS
    if isinstance(exc, _NATS_ERRORS):
        return NATS
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError):
        return _by_module(exc)
    return None


def _redis_not_serving(exc: redis.exceptions.ResponseError) -> bool:
    """Replies a Redis gives while it cannot serve: loading, a replica in failover, a cluster
    that lost a slot, or a master refusing writes without its replicas."""
    first = str(exc).split(" ", 1)[0]
    return first in {"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "READONLY"}


def _by_module(exc: BaseException) -> str:
    """A plain socket error or timeout: named by the library whose frame raised it, when the
    traceback shows one (asyncpg's connect raises the bare ``ConnectionRefusedError``)."""
    tb = exc.__traceback__
    found = "a dependency"
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith("asyncpg"):
            found = POSTGRES
        elif module.startswith("redis"):
            found = REDIS
        elif module.startswith("nats"):
            found = NATS
        tb = tb.tb_next
    return found


def _describe(exc: BaseException) -> str:
    text = str(exc) or "no message"
    return _line(f"{type(exc).__name__}: {text}")


def _line(text: str) -> str:
    """``text`` on one line of at most ``_LINE_CHARS``."""
    return cut(" ".join(text.split()), _LINE_CHARS)


class OutageLog:
    """Logs one warning when a dependency starts failing calls, instead of one per call. An
    outage is over once no call has failed on it for ``quiet_s``; the next failure after that
    is a new outage and is logged again."""

    def __init__(self, quiet_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._quiet_s = quiet_s
        self._clock = clock
        self._last_failure: dict[str, float] = {}

    def record(
        self,
        outage: Outage,
        effect: str = "calls that need it answer UNAVAILABLE until it is back",
        log: logging.Logger = logger,
    ) -> bool:
        """Notes a failure caused by ``outage``; logs ``effect`` and the cause (a warning, no
        traceback) when this begins a new outage, and returns whether it did."""
        now = self._clock()
        last = self._last_failure.get(outage.dependency)
        self._last_failure[outage.dependency] = now
        if last is not None and now - last < self._quiet_s:
            return False
        log.warning(
            "%s is unavailable; %s: %s",
            outage.dependency,
            effect,
            outage.cause,
            extra={"dependency": outage.dependency, "cause": outage.cause},
        )
        return True

    def failed(self, log: logging.Logger, effect: str, exc: BaseException) -> None:
        """Logs a failure of background work or of a side effect: an outage once per outage
        (``effect`` says what it stops), anything else with its traceback every time."""
        outage = outage_of(exc)
        if outage is None:
            log.error("%s: unexpected failure", effect, exc_info=exc)
        else:
            self.record(outage, effect, log)
