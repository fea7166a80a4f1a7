"""``EmbeddedServers``: starts the servers a machine lacks under one data directory, hands out
their URLs, and stops, crashes, hangs or restarts one of them for the outage tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from logistics.embedded._binaries import nats_binary, postgres_bin_dir, redis_binary
from logistics.embedded._errors import EmbeddedServerError
from logistics.embedded._nats import start_nats
from logistics.embedded._postgres import start_postgres
from logistics.embedded._processes import Child, Children, stop_child
from logistics.embedded._redis import start_redis
from logistics.embedded.signals import descendants

_log = logging.getLogger(__name__)

SERVER_NAMES = ("postgres", "redis", "nats")


@dataclass(frozen=True)
class EmbeddedUrls:
    """Connection URLs of the servers that were started; None for those not asked for."""

    database_url: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None


class EmbeddedServers:
    """Starts the servers that are needed, under ``data_dir``, and stops them again.

    Use ``urls = await servers.start()`` / ``await servers.stop()`` or
    ``async with EmbeddedServers(...) as servers:`` and ``servers.urls``. Call ``start()``
    from the thread that will outlive the servers (normally the event loop's): on Linux the
    parent-death signal fires when the thread that spawned a child exits.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        need_postgres: bool = True,
        need_redis: bool = True,
        need_nats: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.need_postgres = need_postgres
        self.need_redis = need_redis
        self.need_nats = need_nats
        self._children = Children(self.data_dir)
        self._urls: EmbeddedUrls | None = None

    @property
    def urls(self) -> EmbeddedUrls:
        if self._urls is None:
            raise EmbeddedServerError("embedded servers are not started")
        return self._urls

    @property
    def pids(self) -> dict[str, int]:
        """Process ids of the running servers, by name (postgres, redis, nats)."""
        return {c.name: c.proc.pid for c in self._children.running if c.proc.poll() is None}

    async def start(self) -> EmbeddedUrls:
        if self._urls is not None:
            return self._urls
        if os.name != "posix":
            raise EmbeddedServerError("embedded servers are only supported on Linux and macOS")
        # Find every binary before starting anything, so a missing extra fails fast.
        postgres_bin = postgres_bin_dir() if self.need_postgres else None
        redis_bin = redis_binary() if self.need_redis else None
        nats_bin = nats_binary() if self.need_nats else None

        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        started = time.monotonic()
        urls: dict[str, asyncio.Task[str]] = {}
        children = self._children
        try:
            # A TaskGroup, unlike gather, cancels the other start-ups when one fails, so
            # stop() below cannot race with a server that is still being spawned.
            async with asyncio.TaskGroup() as group:
                if postgres_bin is not None:
                    urls["database_url"] = group.create_task(start_postgres(children, postgres_bin))
                if redis_bin is not None:
                    urls["redis_url"] = group.create_task(start_redis(children, redis_bin))
                if nats_bin is not None:
                    urls["nats_url"] = group.create_task(start_nats(children, nats_bin))
        except BaseException as exc:
            await self.stop()
            if isinstance(exc, BaseExceptionGroup):
                raise exc.exceptions[0] from None
            raise
        self._urls = EmbeddedUrls(**{name: task.result() for name, task in urls.items()})
        _log.info(
            "embedded servers ready in %.1fs under %s: %s",
            time.monotonic() - started,
            self.data_dir,
            self._urls,
        )
        return self._urls

    async def stop(self) -> None:
        """Stops every server we started (gracefully, then SIGKILL after a timeout)."""
        children, self._children.running = self._children.running, []
        self._urls = None
        await asyncio.gather(*(stop_child(c) for c in children))

    def send_signal(self, name: str, sig: signal.Signals) -> None:
        """Sends ``sig`` to one running server and, on Linux, to every process it started
        (PostgreSQL's backends each run in a session of their own, so a process group would
        miss them), e.g. SIGSTOP and SIGCONT for a server that hangs."""
        child = self._running(name)
        for pid in (child.proc.pid, *descendants(child.proc.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    async def kill(self, name: str) -> None:
        """Crashes one server: SIGKILL, with no chance to flush or say goodbye to clients. Its
        port and data are kept for ``restart``."""
        child = self._running(name)
        self.send_signal(name, signal.SIGKILL)
        await asyncio.to_thread(child.proc.wait)
        self._children.running.remove(child)
        _log.info("embedded %s killed", name)

    async def restart(self, name: str) -> None:
        """Starts a server that ``kill`` stopped again, on the same port with the same data."""
        if self._urls is None or name not in self._children.ports:
            raise EmbeddedServerError(f"embedded {name} was never started")
        if name in self.pids:
            raise EmbeddedServerError(f"embedded {name} is running")
        if name == "postgres":
            await start_postgres(self._children, postgres_bin_dir())
        elif name == "redis":
            await start_redis(self._children, redis_binary())
        else:
            await start_nats(self._children, nats_binary())

    def _running(self, name: str) -> Child:
        if name not in SERVER_NAMES:
            raise ValueError(f"unknown embedded server {name!r}; one of {SERVER_NAMES}")
        for child in self._children.running:
            if child.name == name and child.proc.poll() is None:
                return child
        raise EmbeddedServerError(f"embedded {name} is not running")

    async def __aenter__(self) -> EmbeddedServers:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
