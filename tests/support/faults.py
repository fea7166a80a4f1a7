"""A harness for outage tests: calls made over and over on both listeners while a dependency
is crashed, hung and restarted, each outcome recorded with the status details a client reads.

A probe is one call on one listener (grpcio, or Connect with JSON over the HTTP listener) and
names the dependencies it needs. ``Load`` runs every probe in a loop of its own and keeps each
``Outcome``, so a test can wait for what it expects (``load.until``) and afterwards check every
call made, including those caught mid-flight by the crash. ``RiderApp`` adds a rider's location
stream to the same record: an outcome per ack and per end of a stream.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from bengobox.logistics.v1 import telemetry_pb2, telemetry_pb2_grpc
from google.rpc import error_details_pb2, status_pb2

from tests.support.telemetry import Rider, ping

# A call still running after this long is a hang: the service must answer before it.
CALL_TIMEOUT_S = 12.0
HUNG = "hung"

_RETRY_INFO = error_details_pb2.RetryInfo.DESCRIPTOR.full_name
_ERROR_INFO = error_details_pb2.ErrorInfo.DESCRIPTOR.full_name


@dataclass(frozen=True)
class Outcome:
    """One call as its client saw it; ``code`` is lower case (``ok``, ``unavailable``) or
    ``hung`` when no answer came within ``CALL_TIMEOUT_S``."""

    probe: str
    start: float
    end: float
    code: str
    message: str = ""
    reason: str = ""
    retry_info: bool = False

    def __str__(self) -> str:
        extra = f" reason={self.reason} retry_info={self.retry_info}" if self.code != "ok" else ""
        when = f"+{self.start:.1f}s..+{self.end:.1f}s"
        return f"{self.probe} at {when}: {self.code}{extra} {self.message!r}"


def grpc_outcome(error: grpc.aio.AioRpcError) -> tuple[str, str, str, bool]:
    """(code, message, ErrorInfo reason, has RetryInfo) of a failed grpcio call."""
    code = error.code()
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return HUNG, error.details() or "", "", False
    reason, retry = "", False
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    reason = info.reason
                retry = retry or detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR)
    message = error.details() or ""
    if not reason:  # not the service's status: say what the client library saw
        message = f"{message} ({error.debug_error_string()})"
    return code.name.lower(), message, reason, retry


def _connect_outcome(response: httpx.Response) -> tuple[str, str, str, bool]:
    """(code, message, ErrorInfo reason, has RetryInfo) of a failed Connect unary call."""
    try:
        body = response.json()
    except ValueError:
        return f"http {response.status_code}", response.text[:200], "", False
    reason, retry = "", False
    for detail in body.get("details", []):
        if detail.get("type") == _ERROR_INFO:
            info = error_details_pb2.ErrorInfo.FromString(_unpadded_b64(detail["value"]))
            reason = info.reason
        retry = retry or detail.get("type") == _RETRY_INFO
    code = str(body.get("code", f"http {response.status_code}"))
    return code, str(body.get("message", "")), reason, retry


def _unpadded_b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Probe:
    """A call, made again and again; ``needs`` are the dependencies without which it fails."""

    name: str
    needs: frozenset[str]
    call: Callable[[], Awaitable[tuple[str, str, str, bool]]]


def grpc_probe(
    name: str, needs: Collection[str], call: Callable[[float], Awaitable[object]]
) -> Probe:
    """A grpcio call; ``call(timeout)`` makes it with that deadline."""

    async def run() -> tuple[str, str, str, bool]:
        try:
            await call(CALL_TIMEOUT_S)
        except grpc.aio.AioRpcError as error:
            return grpc_outcome(error)
        return "ok", "", "", False

    return Probe(f"grpc {name}", frozenset(needs), run)


def connect_probe(
    name: str,
    needs: Collection[str],
    client: httpx.AsyncClient,
    path: str,
    body: Callable[[], dict[str, object]],
    headers: dict[str, str],
    on_ok: Callable[[dict[str, object]], None] | None = None,
) -> Probe:
    """A Connect unary call with a JSON body, POSTed to ``path`` of the HTTP listener."""

    async def run() -> tuple[str, str, str, bool]:
        try:
            response = await client.post(
                path,
                json=body(),
                headers={"content-type": "application/json", **headers},
                timeout=CALL_TIMEOUT_S,
            )
        except httpx.TimeoutException as exc:
            return HUNG, repr(exc), "", False
        if response.status_code == 200:
            if on_ok is not None:
                on_ok(response.json())
            return "ok", "", "", False
        code, message, reason, retry = _connect_outcome(response)
        if code == "unavailable" and response.status_code != 503:
            code = f"unavailable with HTTP {response.status_code}"
        return code, message, reason, retry

    return Probe(f"connect {name}", frozenset(needs), run)


def ok_after(probe: Probe, since: float) -> Callable[[list[Outcome]], bool]:
    """A ``Load.until`` condition: ``probe`` answered OK to a call made after ``since``."""
    return lambda seen: any(
        o.probe == probe.name and o.code == "ok" and o.start >= since for o in seen
    )


def failed_after(probe: Probe, since: float) -> Callable[[list[Outcome]], bool]:
    """A ``Load.until`` condition: ``probe`` failed on a call that ended after ``since`` (one
    already under way then counts: it met the outage too)."""
    return lambda seen: any(
        o.probe == probe.name and o.code != "ok" and o.end >= since for o in seen
    )


@dataclass
class Load:
    """Every probe called in a loop of its own, ``pause_s`` apart, until ``stop``."""

    probes: list[Probe]
    pause_s: float = 0.15
    outcomes: list[Outcome] = field(default_factory=list)
    origin: float = field(default_factory=time.monotonic)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.origin

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(p)) for p in self.probes]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self, probe: Probe) -> None:
        while True:
            start = self.now()
            code, message, reason, retry = await probe.call()
            self.outcomes.append(
                Outcome(probe.name, start, self.now(), code, message, reason, retry)
            )
            await asyncio.sleep(self.pause_s)

    async def until(
        self, what: str, within_s: float, *conditions: Callable[[list[Outcome]], bool]
    ) -> float:
        """Waits until every condition holds of the outcomes; returns how long it took."""
        began = self.now()
        while not all(c(self.outcomes) for c in conditions):
            if self.now() - began > within_s:
                recent = "\n".join(str(o) for o in self.outcomes[-3 * len(self.probes) :])
                raise AssertionError(f"not within {within_s:.0f}s: {what}; latest calls:\n{recent}")
            await asyncio.sleep(0.05)
        return self.now() - began

    def between(self, start: float, end: float) -> list[Outcome]:
        return [o for o in self.outcomes if start <= o.start < end]


def log_entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


# --- the rider app -----------------------------------------------------------------------------


STREAM = "grpc StreamLocations"


class _EndedWithOk(Exception):
    pass


@dataclass
class RiderApp:
    """A rider app on the grpcio listener: one ping per batch, the next once the last is acked,
    replies read all the time (so the end of a stream is seen when it comes, not by the next
    write); when its stream ends it reconnects and resends from its last ack + 1, as apps do.
    Every ack is an "ok" outcome of ``STREAM``, every end of a stream an outcome with its code."""

    channel: grpc.aio.Channel
    rider: Rider
    load: Load
    acked: int = 0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        stub = telemetry_pb2_grpc.TelemetryServiceStub(self.channel)
        while True:
            call = stub.StreamLocations(metadata=self.rider.app)
            acks: asyncio.Queue[int] = asyncio.Queue()
            reading = asyncio.create_task(self._read(call, acks))
            start = self.load.now()
            try:
                while True:
                    start = self.load.now()
                    await self._one_batch(call, acks, reading)
                    await asyncio.sleep(self.load.pause_s)
            except grpc.aio.AioRpcError as error:
                code, message, reason, retry = grpc_outcome(error)
                self.load.outcomes.append(
                    Outcome(STREAM, start, self.load.now(), code, message, reason, retry)
                )
            except _EndedWithOk:
                self.load.outcomes.append(Outcome(STREAM, start, self.load.now(), "ended with ok"))
            except TimeoutError:
                self.load.outcomes.append(Outcome(STREAM, start, self.load.now(), "hung", "no ack"))
            finally:
                reading.cancel()
                call.cancel()
            await asyncio.sleep(self.load.pause_s)

    @staticmethod
    async def _read(call: Any, acks: asyncio.Queue[int]) -> None:
        while True:
            reply = await call.read()
            if reply is grpc.aio.EOF:  # ended with OK: not what an outage should do
                raise _EndedWithOk
            if reply.HasField("ack"):
                acks.put_nowait(reply.ack.contiguous_sequence)

    async def _one_batch(
        self, call: Any, acks: asyncio.Queue[int], reading: asyncio.Task[None]
    ) -> None:
        batch = telemetry_pb2.PingBatch(pings=[ping(self.acked + 1)])
        start = self.load.now()
        if reading.done():
            reading.result()  # the stream is over: its status
        await call.write(telemetry_pb2.StreamLocationsRequest(batch=batch))
        ack = asyncio.ensure_future(acks.get())
        try:
            await asyncio.wait(
                {ack, reading}, timeout=CALL_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ack.cancel()
        if not ack.done() or ack.cancelled():
            if reading.done():
                reading.result()
            raise TimeoutError
        self.acked = max(self.acked, ack.result())
        self.load.outcomes.append(Outcome(STREAM, start, self.load.now(), "ok"))


def stream_probe() -> Probe:
    """Stands for the rider app in conditions (its outcomes are recorded by ``RiderApp``). Its
    stream may end UNAVAILABLE without either dependency, or carry on without Redis."""

    async def never() -> tuple[str, str, str, bool]:
        raise AssertionError("not called")

    return Probe(STREAM, frozenset({"postgres", "redis"}), never)


def write_raced_the_end(outcome: Outcome) -> bool:
    """grpcio's own INTERNAL when a write meets a stream the server has just ended: the
    client library drops the server's status (no ErrorInfo) for "Internal error from Core".
    What the server itself did is checked in its log (no unhandled errors)."""
    return (
        outcome.code == "internal"
        and not outcome.reason
        and "Internal error from Core" in outcome.message
        and "SendMessageOperation" in outcome.message
    )
