"""Redis failures as the use cases see them: an outage of Redis (refused, reset, timed out,
not serving) is raised as ``domain.errors.Unavailable`` (reason ``REDIS_UNAVAILABLE``) from
the client library's exception, so the use cases need not know redis-py and the edge still
finds the outage it stands for (``logistics.outages``). Any other Redis error (a script's bug)
is left as it is: INTERNAL at the edge, logged with its traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NoReturn

from redis.exceptions import RedisError

from logistics.domain.errors import Unavailable
from logistics.outages import outage_of

REDIS_UNAVAILABLE = "REDIS_UNAVAILABLE"


def unavailable() -> Unavailable:
    """What a Redis failure is to the use cases; raise it ``from`` the library's exception."""
    return Unavailable("the live index (Redis) is unavailable", reason=REDIS_UNAVAILABLE)


def reraise(exc: RedisError) -> NoReturn:
    """Raises ``Unavailable`` from ``exc`` for an outage, else ``exc`` itself."""
    if outage_of(exc) is not None:
        raise unavailable() from exc
    raise exc


@contextlib.contextmanager
def redis_errors() -> Iterator[None]:
    """Raises a Redis outage inside the block as ``Unavailable``."""
    try:
        yield
    except RedisError as exc:
        reraise(exc)
