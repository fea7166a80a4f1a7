"""Publishing to NATS JetStream: the stream outbox events go to (created, or updated to match,
by the publisher) and a publisher that awaits every acknowledgement of a batch.

The stream takes ``<prefix>.<family>.>`` for each event family (``task``, ``rider``, ...), not
``<prefix>.>``, which would also capture the live fan-out subjects (``logistics.live.>``). An
event of a family the stream does not yet take adds that family to the stream before it is
published, so a new event family never blocks the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api
from nats.js.errors import APIError, NotFoundError
from nats.js.manager import JetStreamManager

from logistics.domain.events import FAMILIES
from logistics.events.envelope import DEFAULT_PREFIX, MSG_ID_HEADER, Message

__all__ = [
    "EVENT_FAMILIES",
    "EventPublisher",
    "JetStreamPublisher",
    "PublishError",
    "StreamSpec",
]

logger = logging.getLogger(__name__)

# One per family of the event registry (task, rider, ...), and the families the stream has
# taken since before any of their events exist (carrier, dispatch and telemetry policy work),
# so a consumer filtering on them still finds them in a new stream. Any other family joins
# the stream when its first event is published. "live" is reserved for the live fan-out,
# which must never be stored in the stream.
_ANNOUNCED_FAMILIES = ("carrier", "dispatch", "telemetry_policy")
EVENT_FAMILIES = tuple(sorted({*FAMILIES, *_ANNOUNCED_FAMILIES}))
_RESERVED_FAMILIES = frozenset({"live"})


class PublishError(Exception):
    """NATS did not take a batch: not connected, no stream answered, or acks timed out."""


class NoStreamError(PublishError):
    """No stream took a subject (it was deleted, or no longer takes the family)."""


@dataclass(frozen=True)
class StreamSpec:
    """The JetStream stream events go to; the publisher creates it, or updates it to match."""

    name: str = "LOGISTICS"
    prefix: str = DEFAULT_PREFIX
    families: tuple[str, ...] = EVENT_FAMILIES
    duplicate_window_s: float = 600.0
    max_age_s: float = 7 * 24 * 3600.0
    replicas: int = 1

    def subjects(self, families: Iterable[str]) -> list[str]:
        return sorted(f"{self.prefix}.{f}.>" for f in set(families))

    def family(self, subject: str) -> str:
        return subject[len(self.prefix) + 1 :].split(".", 1)[0]


class EventPublisher(Protocol):
    async def publish(self, messages: Sequence[Message]) -> int:
        """Publishes every message and waits until each is stored; returns how many the bus
        already had (duplicates). Raises if any message is not acknowledged."""
        ...

    async def close(self) -> None: ...


class JetStreamPublisher:
    """Publishes to one stream over a shared NATS client, or over its own connection to ``url``
    (opened on first use and again whenever it is lost)."""

    def __init__(
        self,
        spec: StreamSpec,
        *,
        client: NatsClient | None = None,
        url: str | None = None,
        name: str = "bengobox-logistics-relay",
        ack_timeout_s: float = 5.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        if (client is None) == (url is None):
            raise ValueError("pass either a NATS client or a URL to connect to")
        self.spec = spec
        self._shared = client
        self._url = url
        self._name = name
        self._ack_timeout_s = ack_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._own: NatsClient | None = None
        self._inbox: tuple[NatsClient, Subscription, str] | None = None
        self._waiting: dict[str, asyncio.Future[bool]] = {}
        self._tokens = itertools.count()
        self._covered: frozenset[str] = frozenset()

    async def publish(self, messages: Sequence[Message]) -> int:
        if not messages:
            return 0
        nc = await self._connection()
        if not nc.is_connected:
            # Publishing now would only fill the client's reconnect buffer.
            raise PublishError("NATS is not connected")
        families = {self.spec.family(m.subject) for m in messages}
        if not families <= self._covered:
            await self._ensure_stream(nc, families)
        reply_prefix = await self._reply_prefix(nc)
        # The stream's name, so a subject another stream also took is refused, not misfiled.
        headers_base = {api.Header.EXPECTED_STREAM.value: self.spec.name}
        loop = asyncio.get_running_loop()
        tokens: list[str] = []
        try:
            # Sequential publishes on one connection: the server stores them in this order.
            for message in messages:
                token = str(next(self._tokens))
                self._waiting[token] = loop.create_future()
                tokens.append(token)
                await nc.publish(
                    message.subject,
                    message.payload,
                    reply=f"{reply_prefix}.{token}",
                    headers={**headers_base, MSG_ID_HEADER: message.msg_id},
                )
            futures = [self._waiting[t] for t in tokens]
            _, pending = await asyncio.wait(futures, timeout=self._ack_timeout_s)
            if pending:
                raise PublishError(
                    f"{len(pending)} of {len(messages)} events not acknowledged within "
                    f"{self._ack_timeout_s:g}s"
                )
            return sum([f.result() for f in futures])
        except NoStreamError:
            self._covered = frozenset()  # ensure the stream again on the next attempt
            raise
        finally:
            for token in tokens:
                future = self._waiting.pop(token, None)
                if future is None:
                    continue
                if not future.done():
                    future.cancel()
                elif not future.cancelled():
                    future.exception()  # retrieved: the batch's first error is raised above

    async def close(self) -> None:
        inbox, self._inbox = self._inbox, None
        if inbox is not None and not inbox[0].is_closed:
            with contextlib.suppress(nats.errors.Error):
                await inbox[1].unsubscribe()
        own, self._own = self._own, None
        if own is not None and not own.is_closed:
            await own.close()

    async def _connection(self) -> NatsClient:
        if self._shared is not None:
            return self._shared
        if self._own is not None and not self._own.is_closed:
            return self._own
        assert self._url is not None
        nc = NatsClient()

        async def disconnected() -> None:
            if self._own is nc:  # not while connecting, nor when we close it
                logger.warning("outbox relay disconnected from NATS; reconnecting")

        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await nc.connect(
                    self._url,
                    name=self._name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,  # after the first connect: reconnect forever
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    error_cb=_quiet_error,
                    disconnected_cb=disconnected,
                    reconnected_cb=_reconnected,
                )
        except TimeoutError:
            await nc.close()
            raise PublishError(
                f"cannot connect to NATS within {self._connect_timeout_s:g}s"
            ) from None
        except BaseException:
            await nc.close()
            raise
        logger.info("outbox relay connected to NATS")
        self._own = nc
        return nc

    async def _reply_prefix(self, nc: NatsClient) -> str:
        """One wildcard inbox per connection receives every acknowledgement."""
        if self._inbox is None or self._inbox[0] is not nc:
            prefix = nc.new_inbox()
            subscription = await nc.subscribe(f"{prefix}.*", cb=self._on_ack)
            self._inbox = (nc, subscription, prefix)
        return self._inbox[2]

    async def _on_ack(self, msg: Msg) -> None:
        future = self._waiting.get(msg.subject.rsplit(".", 1)[-1])
        if future is None or future.done():
            return  # a late ack of a batch given up on: the retry's ack counts instead
        if msg.headers and msg.headers.get(api.Header.STATUS) == "503":
            future.set_exception(NoStreamError(f"no stream takes {self.spec.prefix} events"))
            return
        try:
            reply = json.loads(msg.data)
            if "error" in reply:
                APIError.from_error(reply["error"])  # raises the typed error
            future.set_result(bool(reply.get("duplicate")))
        except Exception as exc:
            future.set_exception(exc)

    async def _ensure_stream(self, nc: NatsClient, families: set[str]) -> None:
        reserved = families & _RESERVED_FAMILIES
        if reserved:
            raise ValueError(f"event family {sorted(reserved)} is reserved for live fan-out")
        wanted = {*self.spec.families, *families}
        jsm = JetStreamManager(nc, timeout=self._ack_timeout_s)
        spec = self.spec
        try:
            info = await jsm.stream_info(spec.name)
        except NotFoundError:
            await jsm.add_stream(
                api.StreamConfig(
                    name=spec.name,
                    description="BengoBox Logistics domain events (the outbox relay's)",
                    subjects=spec.subjects(wanted),
                    retention=api.RetentionPolicy.LIMITS,
                    storage=api.StorageType.FILE,
                    discard=api.DiscardPolicy.OLD,
                    max_age=spec.max_age_s,
                    duplicate_window=spec.duplicate_window_s,
                    num_replicas=spec.replicas,
                )
            )
            logger.info("created JetStream stream %s", spec.name)
        else:
            config = info.config
            current = set(config.subjects or [])
            # Keep subjects another relay added (a newer family) rather than take them away.
            subjects = sorted(current | set(spec.subjects(wanted)))
            if (
                subjects != sorted(current)
                or config.duplicate_window != spec.duplicate_window_s
                or config.max_age != spec.max_age_s
                or config.num_replicas != spec.replicas
            ):
                await jsm.update_stream(
                    config.evolve(
                        subjects=subjects,
                        duplicate_window=spec.duplicate_window_s,
                        max_age=spec.max_age_s,
                        num_replicas=spec.replicas,
                    )
                )
                logger.info("updated JetStream stream %s", spec.name, extra={"subjects": subjects})
        self._covered = frozenset(wanted)


async def _quiet_error(exc: Exception) -> None:
    logger.debug("NATS: %s", exc)


async def _reconnected() -> None:
    logger.info("outbox relay reconnected to NATS")
