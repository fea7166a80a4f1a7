"""What every RPC goes through on either listener: request id, authentication, the call's
log context, metrics, error mapping, and the end of streams when the server drains."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from google.protobuf.message import Message
from prometheus_client import CollectorRegistry, Counter, Histogram

from logistics.api.auth import Authenticator
from logistics.api.errors import ErrorStatus, to_status
from logistics.api.text_check import check_text
from logistics.domain.caller import Caller
from logistics.domain.errors import Unauthenticated
from logistics.logs import method_var, request_id_var, tenant_var
from logistics.outages import OutageLog

logger = logging.getLogger(__name__)

T = TypeVar("T")

_caller_var: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)

# Health checks and reflection are the only calls without a token.
PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def current_caller() -> Caller:
    """The verified caller of the RPC being served."""
    caller = _caller_var.get()
    if caller is None:
        raise Unauthenticated("missing bearer token", reason="MISSING_TOKEN")
    return caller


class RpcMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "logistics_rpc_calls_total",
            "RPCs served, by method, protocol and status code.",
            ["method", "protocol", "code"],
            registry=registry,
        )
        self.latency = Histogram(
            "logistics_rpc_duration_seconds",
            "RPC handling time, by method and protocol (streams: until they end).",
            ["method", "protocol"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60),
        )


@dataclass
class Call:
    """One RPC in flight."""

    method: str
    protocol: str
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    code: str = "ok"


class Edge:
    """Shared by the grpcio interceptor and the Connect interceptor."""

    def __init__(self, authenticator: Authenticator, metrics: RpcMetrics) -> None:
        self._authenticator = authenticator
        self._metrics = metrics
        self.draining = asyncio.Event()
        self.outages = OutageLog()

    async def begin(
        self,
        method: str,
        protocol: str,
        authorization: str | None,
        request_id: str | None,
        *,
        authenticate: bool = True,
    ) -> Call:
        """Binds the call's context and authenticates it (raises Unauthenticated), unless
        ``authenticate`` is False: a request that proves itself (a carrier's signed callback)."""
        call = Call(method, protocol, _clean_request_id(request_id))
        request_id_var.set(call.request_id)
        method_var.set(method)
        tenant_var.set(None)
        _caller_var.set(None)
        if not authenticate:
            return call
        caller = await self._authenticator.authenticate(authorization)
        _caller_var.set(caller)
        tenant_var.set(caller.tenant)
        return call

    @staticmethod
    def check_request(request: object) -> None:
        """Checks a request message's text (raises InvalidArgument). A stream of requests is
        checked by its handler, message by message, as it reads them."""
        if isinstance(request, Message):
            check_text(request)

    def fail(self, call: Call, exc: BaseException) -> ErrorStatus:
        status = to_status(exc, call.method, self.outages)
        call.code = status.grpc_code.name.lower()
        return status

    def end(self, call: Call) -> None:
        elapsed = time.perf_counter() - call.started
        self._metrics.calls.labels(call.method, call.protocol, call.code).inc()
        self._metrics.latency.labels(call.method, call.protocol).observe(elapsed)
        logger.info(
            "rpc",
            extra={
                "protocol": call.protocol,
                "code": call.code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )

    async def until_drained(self, stream: AsyncIterator[T]) -> AsyncIterator[T]:
        """Yields from ``stream`` until it ends or the server starts draining; then ends cleanly.

        One watcher per stream (not a task per item): when draining starts while the stream
        waits for its next item, the watcher cancels that wait, which ends the stream here;
        when it starts while an item is on its way out, the next iteration sees it.
        """
        if self.draining.is_set():
            await _close(stream)
            return
        consumer = asyncio.current_task()
        assert consumer is not None
        state = {"waiting": False, "interrupted": False}

        async def watch() -> None:
            await self.draining.wait()
            if state["waiting"]:
                state["interrupted"] = True
                consumer.cancel()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            while not self.draining.is_set():
                state["waiting"] = True
                try:
                    item = await anext(stream)
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not state["interrupted"]:
                        raise  # cancelled from outside: the client went away
                    consumer.uncancel()
                    return
                finally:
                    state["waiting"] = False
                if self.draining.is_set():  # the item and draining came together
                    return
                yield item
        finally:
            watcher.cancel()
            await _close(stream)

    async def run_until_drained(self, stream: Awaitable[None]) -> None:
        """Runs a pushed stream until it ends or the server starts draining; then cancels it,
        and the call ends cleanly. Raises what ended the stream, if anything did."""
        running = asyncio.ensure_future(stream)
        if self.draining.is_set():
            running.cancel()
        draining = asyncio.ensure_future(self.draining.wait())
        try:
            await asyncio.wait((running, draining), return_when=asyncio.FIRST_COMPLETED)
        finally:
            draining.cancel()
            if not running.done():
                running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        if not running.cancelled():
            running.result()


async def _close(stream: AsyncIterator[object]) -> None:
    closer: Callable[[], object] | None = getattr(stream, "aclose", None)
    if closer is not None:
        result = closer()
        if asyncio.iscoroutine(result):
            await result


def is_public(method: str) -> bool:
    return method.startswith(PUBLIC_PREFIXES)


def _clean_request_id(value: str | None) -> str:
    if value and len(value) <= 128 and value.isprintable():
        return value
    return uuid.uuid4().hex
