"""The outbox relay: publishes committed outbox events to a NATS JetStream stream, at least once
to the bus and exactly once in effect (the event id is the JetStream message id).

A batch is claimed (``FOR UPDATE SKIP LOCKED``), published, every acknowledgement awaited, and
only then marked published in the claiming transaction. A relay killed at any point leaves its
rows unmarked, and the next relay publishes them again; JetStream drops the copies it already
stored within the stream's duplicate window (10 minutes by default). NATS or PostgreSQL being
down only delays events: the batch rolls back and is retried with capped exponential backoff.

Ordering: a relay publishes a batch in ``seq`` order on one connection and claims the next
batch only after the previous one is acknowledged and committed, so the stream holds events in
``seq`` order; events of changes serialised on one resource (its row lock) therefore arrive in
commit order. Events of concurrent transactions may arrive in either order, and with several
relays running, batches interleave: consumers needing a total order per resource compare
``event_time`` or the resource's version.

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
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import asyncpg
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api
from nats.js.errors import APIError, NotFoundError
from nats.js.manager import JetStreamManager
from prometheus_client import CollectorRegistry, Counter

from logistics.domain.events import FAMILIES
from logistics.events.envelope import DEFAULT_PREFIX, MSG_ID_HEADER, Message, message_of
from logistics.store.outbox import Outbox

__all__ = [
    "EVENT_FAMILIES",
    "EventPublisher",
    "JetStreamPublisher",
    "OutboxRelay",
    "PublishError",
    "RelayMetrics",
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
_BACKOFF_BASE_S = 0.2
_BACKOFF_CAP_S = 30.0


class PublishError(Exception):
    """NATS did not take a batch: not connected, no stream answered, or acks timed out."""


class NoStreamError(PublishError):
    """No stream took a subject (it was deleted, or no longer takes the family)."""


_TRANSIENT = (
    PublishError,
    nats.errors.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)


@dataclass(frozen=True)
class StreamSpec:
    """The JetStream stream events go to; the relay creates it, or updates it to match."""

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


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter(
            "logistics_outbox_published_total",
            "Outbox events acknowledged by JetStream (duplicates included).",
            registry=registry,
        )
        self.duplicates = Counter(
            "logistics_outbox_duplicates_total",
            "Outbox events JetStream already had (published again after a failed batch).",
            registry=registry,
        )
        self.failures = Counter(
            "logistics_outbox_publish_failures_total",
            "Batches that could not be published or marked (retried with backoff).",
            registry=registry,
        )
        self.purged = Counter(
            "logistics_outbox_purged_total",
            "Published outbox rows deleted after the retention.",
            registry=registry,
        )


class OutboxRelay:
    """Moves outbox rows to the event bus until stopped; any number may run at once."""

    def __init__(
        self,
        outbox: Outbox,
        publisher: EventPublisher,
        *,
        prefix: str = DEFAULT_PREFIX,
        batch_size: int = 500,
        poll_interval_s: float = 0.2,
        retention: timedelta = timedelta(days=7),
        purge_interval_s: float = 60.0,
        purge_batch: int = 1000,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._prefix = prefix
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention = retention
        self._purge_interval_s = purge_interval_s
        self._purge_batch = purge_batch
        self._metrics = metrics or RelayMetrics(CollectorRegistry())
        self.published = 0
        self.duplicates = 0

    async def relay_batch(self) -> int:
        """Publishes the oldest unpublished batch and marks it; returns its size (0: idle).

        Raises, marking nothing, if any event of the batch is not acknowledged."""
        async with self._outbox.claim(self._batch_size) as claim:
            if not claim.rows:
                return 0
            messages = [message_of(row, self._prefix) for row in claim.rows]
            duplicates = await self._publisher.publish(messages)
            await claim.mark_published()
        self.published += len(messages)
        self.duplicates += duplicates
        self._metrics.published.inc(len(messages))
        self._metrics.duplicates.inc(duplicates)
        return len(messages)

    async def purge(self, now: datetime | None = None, *, max_batches: int = 50) -> int:
        """Deletes rows published more than the retention ago, in small batches."""
        before = (now or datetime.now(UTC)) - self._retention
        total = 0
        for _ in range(max_batches):
            deleted = await self._outbox.purge_published(before, self._purge_batch)
            total += deleted
            if deleted < self._purge_batch:
                break
        self._metrics.purged.inc(total)
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Relays until ``stop`` is set; a batch in flight is finished (or rolled back) first."""
        failures = 0
        next_purge = time.monotonic()
        while not stop.is_set():
            try:
                relayed = await self.relay_batch()
            except Exception as exc:
                failures += 1
                self._metrics.failures.inc()
                delay = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2 ** min(failures - 1, 16))
                delay *= random.uniform(0.5, 1.0)
                if isinstance(exc, _TRANSIENT) or failures > 1:
                    logger.warning(
                        "outbox relay: batch not published (%s: %s); retry %d in %.1fs",
                        type(exc).__name__,
                        exc,
                        failures,
                        delay,
                    )
                else:  # unexpected: its traceback once, not on every retry
                    logger.exception("outbox relay: batch failed; retrying in %.1fs", delay)
                await _sleep(stop, delay)
                continue
            if failures:
                logger.info("outbox relay recovered after %d failed attempts", failures)
                failures = 0
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + self._purge_interval_s
                try:
                    await self.purge()
                except Exception as exc:
                    logger.warning("outbox purge failed (%s); retrying later", exc)
            if relayed < self._batch_size:
                await _sleep(stop, self._poll_interval_s)

    async def close(self) -> None:
        await self._publisher.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
