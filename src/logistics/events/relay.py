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

The stream and the publishing are ``events.jetstream``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import nats.errors
from prometheus_client import CollectorRegistry, Counter

from logistics.backoff import delay_before_retry, equal_jitter
from logistics.events.envelope import DEFAULT_PREFIX, message_of
from logistics.events.jetstream import EventPublisher, PublishError
from logistics.store.outbox import Outbox

__all__ = ["OutboxRelay", "RelayMetrics"]

logger = logging.getLogger(__name__)

# After n failed batches in a row: uniform in [c/2, c], c = min(30 s, 0.2 s * 2**(n-1)).
_BACKOFF = equal_jitter(0.2, 30.0)

_TRANSIENT = (
    PublishError,
    nats.errors.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)


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
                delay = delay_before_retry(_BACKOFF, failures)
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
