"""One simulated rider app: a StreamLocations call carrying sequence-numbered ping batches
(buffered while the connection is down and resent from the last ack after a reconnect),
answers to offers, and the task steps with their proofs (a cold order's probe log uploaded
first), moving at its vehicle's speed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import grpc
from bengobox.logistics.v1 import dispatch_pb2, task_pb2, telemetry_pb2

from logistics.sim.client import Api, geo, point, ts
from logistics.sim.motion import SPEEDS_MPS, PathWalker, Point, distance_m, offset
from logistics.sim.noise import Fix, GpsModel
from logistics.sim.outbox import PingBuffer
from logistics.sim.policy import OfferPolicy
from logistics.sim.probe import upload_log
from logistics.sim.proofs import proofs_for
from logistics.sim.roads import Router
from logistics.sim.seed import SeededRider

logger = logging.getLogger(__name__)

Task = task_pb2.Task
COLD = task_pb2.TaskStep.PROOF_KIND_TEMPERATURE_LOG
if TYPE_CHECKING:
    Call = grpc.aio.StreamStreamCall[
        telemetry_pb2.StreamLocationsRequest, telemetry_pb2.StreamLocationsResponse
    ]


# What writing to a stream raises once it has ended (broken, or cancelled by a drop).
STREAM_GONE = (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError)


@dataclass(frozen=True)
class RiderOptions:
    ping_interval_s: float = 1.0
    # Dropped connections per rider per hour, and how long each stays down.
    drops_per_hour: float = 6.0
    offline_s: tuple[float, float] = (4.0, 15.0)
    # The share of a step's service time a rider actually waits (a demo wants it short).
    service_scale: float = 0.1
    # How often an idle rider asks for tasks a dispatcher assigned it by hand.
    poll_s: float = 15.0
    # Tasks a rider takes on at once (the one it carries and those waiting).
    max_tasks: int = 2
    offers: OfferPolicy = field(default_factory=OfferPolicy)


@dataclass(frozen=True)
class Sample:
    """A fix as the app recorded it, before it has a sequence number."""

    record_time: datetime
    fix: Fix
    speed_mps: float
    heading_deg: float
    battery: float
    task: str


@dataclass
class RiderStats:
    pings: int = 0
    acked: int = 0
    batches: int = 0
    drops: int = 0
    offers: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0


class SimRider:
    def __init__(
        self,
        api: Api,
        seeded: SeededRider,
        rng: random.Random,
        router: Router,
        codes: dict[str, str],
        options: RiderOptions,
        gps: GpsModel | None = None,
        streaming: asyncio.Event | None = None,
    ) -> None:
        """``streaming`` is set at this rider's first acknowledged batch."""
        self.api = api
        self.seeded = seeded
        self.name = seeded.name
        self.vehicle_type = seeded.spec.vehicle_type
        # One generator per concern, each seeded from ``rng``: how the rider moves (and its
        # GPS), when its connection drops, and how it answers offers. Offers and drops come
        # at times the server decides, so sharing one generator would let them change the
        # rider's path.
        self._rng = rng
        self._network = random.Random(rng.getrandbits(64))
        self._decisions = random.Random(rng.getrandbits(64))
        self._router = router
        self._codes = codes
        self._options = options
        self._gps = gps or GpsModel()
        self._policy = options.offers
        home = seeded.spec.home.location
        self.here = offset(home, rng.uniform(-400, 400), rng.uniform(-400, 400))
        self._heading = 0.0
        self._speed = 0.0
        self._task = ""
        self._started = time.monotonic()
        self.buffer: PingBuffer[Sample] = PingBuffer()
        self.stats = RiderStats()
        self._accepted: asyncio.Queue[str] = asyncio.Queue()
        self._fresh = asyncio.Event()
        self._done = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._answers: dict[str, asyncio.Task[None]] = {}
        self._streaming = streaming or asyncio.Event()

    # -- the run --------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Rides until ``stop`` or the end of its shift, then ends the shift: its stream is
        closed cleanly after the last fixes are acknowledged."""
        self._record()
        connection = asyncio.create_task(self._connection())
        try:
            await self._work(stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("simulated rider failed", extra={"rider": self.name})
        finally:
            self._done.set()
            self._fresh.set()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
                await asyncio.wait_for(connection, 10)
            for answer in self._answers.values():
                answer.cancel()

    def _shift_over(self) -> bool:
        return datetime.now(UTC) >= self.seeded.shift_end

    async def _work(self, stop: asyncio.Event) -> None:
        next_poll = 0.0
        while not stop.is_set() and not self._shift_over():
            task = None
            if not self._accepted.empty():
                task = self._accepted.get_nowait()
            elif time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self._options.poll_s
                task = await self._assigned_by_hand()
            if task is not None:
                await self._carry(task, stop)
                continue
            # Idle: ride about near home, ready to break off for a task.
            home = self.seeded.spec.home.location
            target = offset(home, self._rng.uniform(-900, 900), self._rng.uniform(-900, 900))
            offered = lambda: not self._accepted.empty()  # noqa: E731
            await self._go_to(target, stop, interrupt=offered)
            await self._linger(self._rng.uniform(2, 8), stop, interrupt=offered)

    async def _assigned_by_hand(self) -> str | None:
        try:
            page = await self.api.tasks.ListTasks(
                task_pb2.ListTasksRequest(
                    parent=self.api.parent, rider=self.name, state=Task.STATE_ASSIGNED, page_size=1
                ),
                metadata=self.api.metadata,
            )
        except grpc.aio.AioRpcError:
            return None
        return page.tasks[0].name if page.tasks else None

    async def _carry(self, name: str, stop: asyncio.Event) -> None:
        """Start, then each step: ride there, arrive, wait the service time, complete with the
        proofs the step requires. A task taken away (reassigned, cancelled) is dropped."""
        tasks, md = self.api.tasks, self.api.metadata
        try:
            task = await self._mine(name)
            if task is None:
                return
            self._task = name
            task = await tasks.StartTask(
                task_pb2.StartTaskRequest(name=name, location=geo(self.here)), metadata=md
            )
            started = datetime.now(UTC)
            while task.state in (Task.STATE_EN_ROUTE, Task.STATE_ARRIVED) and not stop.is_set():
                step = task.steps[task.current_step]
                await self._go_to(point(step.location), stop)
                if stop.is_set():
                    return
                task = await tasks.ArriveAtStep(
                    task_pb2.ArriveAtStepRequest(
                        name=name, step_id=step.id, location=geo(self.here)
                    ),
                    metadata=md,
                )
                await self._linger(step.service_seconds * self._options.service_scale, stop)
                if COLD in step.required_proofs:
                    await upload_log(self.api, name, started, random.Random(name))
                task = await tasks.CompleteStep(
                    task_pb2.CompleteStepRequest(
                        name=name,
                        step_id=step.id,
                        proofs=proofs_for(step, self._codes.get(name, ""), geo(self.here)),
                        location=geo(self.here),
                    ),
                    metadata=md,
                )
            if task.state == Task.STATE_COMPLETED:
                self.stats.completed += 1
        except grpc.aio.AioRpcError as exc:
            logger.info(
                "task dropped", extra={"rider": self.name, "task": name, "code": exc.code().name}
            )
        finally:
            self._task = ""

    async def _mine(self, name: str) -> Task | None:
        """The task once it is assigned to this rider (an accepted offer turns into an
        assignment a moment later), or None."""
        for _ in range(10):
            task = await self.api.tasks.GetTask(
                task_pb2.GetTaskRequest(name=name), metadata=self.api.metadata
            )
            if task.rider == self.name and task.state == Task.STATE_ASSIGNED:
                return cast(Task, task)
            if task.state != Task.STATE_CREATED:
                return None
            await asyncio.sleep(0.3)
        return None

    # -- moving ---------------------------------------------------------------------------

    async def _go_to(
        self, target: Point, stop: asyncio.Event, interrupt: Callable[[], bool] = lambda: False
    ) -> None:
        path = await self._router.path(self.here, target, self.vehicle_type)
        walker = PathWalker(path)
        speed = SPEEDS_MPS.get(self.vehicle_type, 7.0) * self._rng.uniform(0.75, 1.15)
        tick = self._options.ping_interval_s
        while not stop.is_set() and not interrupt():
            # Traffic: the speed of each tick varies around the rider's pace.
            metres = speed * tick * self._rng.uniform(0.6, 1.25)
            before = self.here
            where = walker.advance(metres)
            self.here, self._heading = where.point, where.heading_deg
            self._speed = distance_m(before, self.here) / tick
            self._record()
            if where.arrived:
                break
            await self._sleep(tick, stop)
        self._speed = 0.0

    async def _linger(
        self, seconds: float, stop: asyncio.Event, interrupt: Callable[[], bool] = lambda: False
    ) -> None:
        end = time.monotonic() + seconds
        while not stop.is_set() and not interrupt() and time.monotonic() < end:
            self._record()
            await self._sleep(min(self._options.ping_interval_s, end - time.monotonic()), stop)

    @staticmethod
    async def _sleep(seconds: float, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, seconds))

    def _record(self) -> None:
        hours = (time.monotonic() - self._started) / 3600
        self.buffer.add(
            Sample(
                record_time=datetime.now(UTC),
                fix=self._gps.fix(self._rng, self.here),
                speed_mps=self._speed,
                heading_deg=self._heading,
                battery=max(5.0, 96.0 - 7.0 * hours),
                task=self._task,
            )
        )
        self.stats.pings += 1
        self._fresh.set()

    # -- the stream -----------------------------------------------------------------------

    async def _connection(self) -> None:
        """Keeps a stream open while riding: sends what is unsent, drops the connection now
        and then (a tunnel, a dead zone) and reconnects after a while offline."""
        options = self._options
        while True:
            call: Call = self.api.telemetry.StreamLocations(metadata=self.api.metadata)
            self.buffer.reconnected()
            reader = asyncio.create_task(self._read(call))
            rate = options.drops_per_hour / 3600
            drop_at = time.monotonic() + (self._network.expovariate(rate) if rate > 0 else 1e12)
            try:
                while not self._done.is_set() and not reader.done():
                    if time.monotonic() >= drop_at:
                        break
                    await self._send(call)
                    self._fresh.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._fresh.wait(), options.ping_interval_s)
                if self._done.is_set() and not reader.done():
                    await self._send(call)  # the last fixes, then the shift ends
                    async with self._write_lock:
                        await call.done_writing()
                    await asyncio.wait_for(reader, 10)
                    return
            except (*STREAM_GONE, TimeoutError) as exc:
                logger.debug("stream broke", extra={"rider": self.name, "error": repr(exc)})
            call.cancel()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
                await reader
            if self._done.is_set():
                return
            self.stats.drops += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), self._network.uniform(*options.offline_s))

    async def _send(self, call: Call) -> None:
        batch = self.buffer.unsent()
        if not batch:
            return
        pings = [
            telemetry_pb2.LocationPing(
                sequence=n.sequence,
                record_time=ts(n.value.record_time),
                position=geo(n.value.fix.point),
                accuracy_m=n.value.fix.accuracy_m,
                speed_mps=n.value.speed_mps,
                heading_deg=n.value.heading_deg,
                battery_percent=n.value.battery,
                task=n.value.task,
            )
            for n in batch
        ]
        async with self._write_lock:
            await call.write(
                telemetry_pb2.StreamLocationsRequest(batch=telemetry_pb2.PingBatch(pings=pings))
            )
        self.stats.batches += 1

    async def _read(self, call: Call) -> None:
        async for reply in call:
            kind = reply.WhichOneof("message")
            if kind == "ack":
                self.stats.acked += self.buffer.acked(reply.ack.contiguous_sequence)
                self._streaming.set()
            elif kind == "offer":
                self.stats.offers += 1
                offer = reply.offer
                self._answers[offer.offer_id] = asyncio.create_task(self._answer(call, offer))
            elif kind == "offer_withdrawal":
                answer = self._answers.pop(reply.offer_withdrawal.offer_id, None)
                if answer is not None:
                    answer.cancel()

    async def _answer(self, call: Call, offer: telemetry_pb2.TaskOffer) -> None:
        busy = self._accepted.qsize() + bool(self._task) >= self._options.max_tasks
        decision = self._policy.answer(self._decisions, offer.distance_m)
        accept = decision.accept and not busy
        await asyncio.sleep(decision.after_s)
        self._answers.pop(offer.offer_id, None)
        reason = "" if accept else decision.reason or "busy"
        response = telemetry_pb2.OfferResponse(
            offer_id=offer.offer_id, accept=accept, reason=reason
        )
        try:
            async with self._write_lock:
                await call.write(telemetry_pb2.StreamLocationsRequest(offer_response=response))
        except STREAM_GONE:
            # The connection dropped meanwhile: answer over a plain call, as the app would.
            try:
                await self.api.dispatch.RespondToOffer(
                    dispatch_pb2.RespondToOfferRequest(
                        offer_id=offer.offer_id, accept=accept, reason=reason
                    ),
                    metadata=self.api.metadata,
                )
            except grpc.aio.AioRpcError:
                return
        if accept:
            self.stats.accepted += 1
            self._accepted.put_nowait(offer.task)
        else:
            self.stats.declined += 1
