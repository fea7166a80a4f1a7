"""The webhook delivery worker: turns outbox events into deliveries and sends them.

Two loops share one process:

* fan-out reads the outbox on its own cursor (independent of the NATS relay) and writes one
  ``webhook_deliveries`` row per event and matching enabled webhook of the event's tenant;
* delivery claims due deliveries and POSTs each event, as the JSON form of
  ``bengobox.logistics.v1.Event``, signed per Standard Webhooks: ``webhook-id`` is the event id
  on every attempt, ``webhook-timestamp`` the attempt's time, ``webhook-signature`` one ``v1``
  signature per current secret (two while a rotation overlaps).

A webhook whose secrets do not open (their key is missing from ``LOGISTICS_SECRETS_KEYS``) has
its deliveries dead-lettered with that reason and logged; they are replayed once the key is back.

A 2xx answer delivers. Anything else (a timeout, a refused connection, a 3xx: redirects are not
followed) is retried after an exponential backoff with full jitter (``logistics.backoff``; the
next attempt's time is stored with the delivery, so it survives restarts) until the webhook's
retry window has passed, then the delivery is a dead letter, which can be listed and replayed.
A host with no public address is a refused connection (``logistics.net.outbound``; private
targets are allowed in development only).
410 Gone dead-letters the delivery and disables the webhook.

One slow receiver cannot hold up the others: at most ``max_per_webhook`` of its deliveries are
in flight in this process, out of ``max_in_flight`` overall, and each request has a hard
deadline. Deliveries are at least once: a worker that dies mid-send leaves its claims to lapse
and be sent again; receivers de-duplicate on ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from google.protobuf import json_format

from logistics.backoff import delay_before_retry, full_jitter
from logistics.domain.clock import Clock, SystemClock
from logistics.domain.webhooks import DeliveryState
from logistics.events.envelope import event_of
from logistics.events.signing import sign
from logistics.net.outbound import GuardedTransport
from logistics.outages import OutageLog
from logistics.store.outbox import OutboxRow
from logistics.store.webhooks import DeliveryJob, DeliveryQueue

__all__ = ["DeliveryPolicy", "WebhookDeliverer", "body_of"]

logger = logging.getLogger(__name__)

USER_AGENT = "bengobox-logistics-webhooks/1"


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_s: float = 10.0
    backoff_base_s: float = 5.0
    backoff_cap_s: float = 3600.0
    max_in_flight: int = 32
    max_per_webhook: int = 4
    poll_interval_s: float = 1.0
    fanout_batch: int = 500
    allow_private_targets: bool = False  # development: receivers on 127.0.0.1

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: past the request's deadline, with room for recording it."""
        return timedelta(seconds=self.timeout_s + 30)


def body_of(event: OutboxRow) -> bytes:
    """The request body: the Event's JSON form (camelCase field names), compact."""
    message = json_format.MessageToDict(event_of(event))
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookDeliverer:
    def __init__(
        self,
        queue: DeliveryQueue,
        policy: DeliveryPolicy | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._queue = queue
        self._policy = policy or DeliveryPolicy()
        self._clock = clock or SystemClock()
        self._transport = transport
        # Retries of many deliveries to one receiver spread out over the whole window.
        self._backoff = full_jitter(self._policy.backoff_base_s, self._policy.backoff_cap_s)
        self._tasks: set[asyncio.Task[None]] = set()
        self._per_webhook: dict[uuid.UUID, int] = {}
        self._wake = asyncio.Event()
        self._outages = OutageLog()

    async def run(self, stop: asyncio.Event) -> None:
        """Fans out and delivers until ``stop`` is set; requests in flight then get their
        deadline to finish, and any still unanswered are sent again once their claim lapses."""
        p = self._policy
        transport = self._transport or GuardedTransport(
            allow_private=p.allow_private_targets,
            limits=httpx.Limits(max_connections=p.max_in_flight, max_keepalive_connections=16),
        )
        async with httpx.AsyncClient(
            timeout=p.timeout_s,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            transport=transport,
            trust_env=False,  # no proxy or .netrc from the environment (see net/outbound.py)
        ) as client:
            fan_out = asyncio.create_task(self._fan_out_loop(stop))
            waker = asyncio.create_task(self._wake_on(stop))
            try:
                await self._deliver_loop(stop, client)
            finally:
                waker.cancel()
                await self._finish(fan_out)

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    async def _finish(self, fan_out: asyncio.Task[None]) -> None:
        tasks = [fan_out, *self._tasks]
        _, pending = await asyncio.wait(tasks, timeout=self._policy.timeout_s + 1)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _fan_out_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            more = False
            try:
                result = await self._queue.fan_out(self._policy.fanout_batch)
            except Exception as exc:
                self._outages.failed(logger, "webhook fan-out waits and retries", exc)
            else:
                more = result.more
                if result.deliveries:
                    self._wake.set()
            if not more:
                await _sleep(stop, self._policy.poll_interval_s)

    async def _deliver_loop(self, stop: asyncio.Event, client: httpx.AsyncClient) -> None:
        p = self._policy
        while not stop.is_set():
            # Cleared before claiming, so a slot freed or a fan-out done meanwhile is not missed.
            self._wake.clear()
            free = p.max_in_flight - len(self._tasks)
            claimed = 0
            if free > 0:
                try:
                    jobs = await self._queue.claim(
                        free,
                        in_flight=self._per_webhook,
                        per_webhook=p.max_per_webhook,
                        lease=p.lease,
                        now=self._clock.now(),
                    )
                except Exception as exc:
                    self._outages.failed(logger, "webhook deliveries wait and retry", exc)
                    jobs = []
                for job in jobs:
                    self._start(job, client)
                claimed = len(jobs)
            if claimed == 0 or claimed == free:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), p.poll_interval_s)

    def _start(self, job: DeliveryJob, client: httpx.AsyncClient) -> None:
        self._per_webhook[job.webhook_id] = self._per_webhook.get(job.webhook_id, 0) + 1
        task = asyncio.create_task(self._deliver(job, client))
        self._tasks.add(task)

        def finished(_: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            left = self._per_webhook[job.webhook_id] - 1
            if left:
                self._per_webhook[job.webhook_id] = left
            else:
                del self._per_webhook[job.webhook_id]
            self._wake.set()

        task.add_done_callback(finished)

    async def _deliver(self, job: DeliveryJob, client: httpx.AsyncClient) -> None:
        status, error = await self._send(job, client)
        try:
            if status is not None and 200 <= status < 300:
                await self._queue.delivered(job, status)
            elif status == 410:
                await self._queue.gone(job, status)
                logger.warning(
                    "webhook disabled: its receiver answered 410 Gone",
                    extra={"webhook": str(job.webhook_id), "tenant": job.tenant},
                )
            else:
                delay = delay_before_retry(self._backoff, job.attempts + 1)
                state = await self._queue.failed(job, status, error, timedelta(seconds=delay))
                if state is DeliveryState.DEAD:
                    logger.warning(
                        "webhook delivery dead-lettered after %d attempts: %s",
                        job.attempts + 1,
                        error,
                        extra={"delivery": str(job.id), "tenant": job.tenant},
                    )
        except Exception:
            logger.exception(
                "recording a webhook delivery failed; it is sent again when its claim lapses"
            )

    async def _send(self, job: DeliveryJob, client: httpx.AsyncClient) -> tuple[int | None, str]:
        """POSTs the event; returns the status (None if there was no answer) and what went
        wrong, for the delivery's record."""
        timeout = self._policy.timeout_s
        try:
            body = body_of(job.event)
            headers = sign(job.secrets, str(job.event.id), int(time.time()), body)
            headers["content-type"] = "application/json"
            # A hard deadline for the whole exchange: httpx's timeouts are per read, so a
            # receiver trickling bytes could otherwise hold a slot indefinitely.
            async with (
                asyncio.timeout(timeout),
                client.stream("POST", job.url, content=body, headers=headers) as response,
            ):
                status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            return None, f"no answer within {timeout:g} s"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:
            logger.exception("sending a webhook delivery failed")
            return None, f"internal error: {type(exc).__name__}"
        return status, "" if 200 <= status < 300 else f"the receiver answered {status}"


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
