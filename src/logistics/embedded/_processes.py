"""The embedded servers' processes: spawned as children that die with us, each logging to a
file of its own, waited for until ready, and stopped gracefully (then killed).

On Linux each child runs in its own session and gets a parent-death signal: a Ctrl-C reaches
only our process, which drains and then stops the servers in order, and even a SIGKILL of our
process leaves no server behind. Elsewhere children share our process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from logistics.embedded._errors import EXTRA_HINT, EmbeddedServerError
from logistics.embedded.signals import die_with_parent

_log = logging.getLogger(__name__)

HOST = "127.0.0.1"

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0
_LINUX = sys.platform.startswith("linux")


@dataclass(frozen=True)
class Account:
    """The unprivileged account PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    stop_signal: signal.Signals
    log_path: Path


class Children:
    """The server processes started under ``data_dir`` (``running``), and the port of each
    server, chosen at its first start and kept, so a restarted server keeps its address."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.running: list[Child] = []
        self.ports: dict[str, int] = {}

    def port(self, name: str) -> int:
        return self.ports.setdefault(name, _free_port())

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        stop_signal: signal.Signals,
        account: Account | None = None,
        cwd: Path | None = None,
        track: bool = True,
    ) -> Child:
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
        child = Child(name, proc, stop_signal, log_path)
        if track:
            self.running.append(child)
        return child


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_header(log: IO[bytes], argv: Sequence[str]) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    log.write(f"\n=== {stamp} logistics embedded: {' '.join(argv)}\n".encode())
    log.flush()


def tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


async def wait_until(child: Child, ready: Callable[[], Awaitable[bool]]) -> None:
    """Polls ``ready`` until it says yes; fails if the child exits or takes too long."""
    try:
        async with asyncio.timeout(_START_TIMEOUT):
            while True:
                rc = child.proc.poll()
                if rc is not None:
                    raise EmbeddedServerError(
                        f"embedded {child.name} exited with code {rc} during start-up; "
                        f"see {child.log_path}:\n{tail(child.log_path)}"
                    )
                if await ready():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise EmbeddedServerError(
            f"embedded {child.name} not ready after {_START_TIMEOUT:.0f}s; see {child.log_path}"
        ) from None


async def tcp_exchange(port: int, send: bytes | None) -> bytes:
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


async def run_quiet(argv: Sequence[str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await proc.wait()


async def run_output(argv: Sequence[str], log_path: Path) -> str:
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


async def stop_child(child: Child) -> None:
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
