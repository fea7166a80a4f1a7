"""The ordering service's side: places each order as a task (pickup at the outlet, drop-off at
the customer's with a delivery window and the proofs it needs), then asks for AutoDispatch,
as an upstream food-delivery or shop service would."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from bengobox.logistics.v1 import dispatch_pb2, task_pb2

from logistics.sim.client import Api, geo, ts, window
from logistics.sim.orders import Order

logger = logging.getLogger(__name__)

Step = task_pb2.TaskStep
Outcome = dispatch_pb2.AutoDispatchResponse


@dataclass
class DemandStats:
    created: int = 0
    assigned: int = 0
    manual: int = 0
    failed: int = 0
    tasks: list[str] = field(default_factory=list)


class OrderingService:
    """Places ``orders`` on their schedule until ``stop``; tells riders each order's one-time
    code through ``codes`` (the customer reading it out at the door)."""

    def __init__(self, api: Api, run_id: str, codes: dict[str, str]) -> None:
        self._api = api
        self._run_id = run_id
        self._codes = codes
        self.stats = DemandStats()
        self._dispatches: set[asyncio.Task[None]] = set()
        # Set once the first order is placed.
        self.placed = asyncio.Event()

    async def run(self, orders: Iterator[Order], stop: asyncio.Event) -> None:
        started = time.monotonic()
        for order in orders:
            wait = order.at_s - (time.monotonic() - started)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
            if stop.is_set():
                break
            await self.order(order)
        for job in list(self._dispatches):
            job.cancel()

    async def order(self, order: Order) -> str | None:
        """Places ``order`` and asks for AutoDispatch in the background; the task's name, or
        None when the order was refused."""
        try:
            name = await self.place(order)
        except grpc.aio.AioRpcError as exc:
            self.stats.failed += 1
            logger.warning(
                "order not placed", extra={"code": exc.code().name, "error": exc.details()}
            )
            return None
        job = asyncio.create_task(self._dispatch(name))
        self._dispatches.add(job)
        job.add_done_callback(self._dispatches.discard)
        return name

    async def place(self, order: Order) -> str:
        now = datetime.now(UTC)
        pickup_by = now + timedelta(minutes=order.pickup_within_min)
        deliver_by = now + timedelta(minutes=order.deliver_within_min)
        proofs = [Step.PROOF_KIND_ONE_TIME_CODE, Step.PROOF_KIND_RECIPIENT_NAME]
        if order.cold:
            proofs.append(Step.PROOF_KIND_TEMPERATURE_LOG)
        task = await self._api.tasks.CreateTask(
            task_pb2.CreateTaskRequest(
                parent=self._api.parent,
                request_id=f"sim-{self._run_id}-{order.number}",
                task=task_pb2.Task(
                    kind=task_pb2.Task.KIND_DELIVERY,
                    order_id=f"ORD-{self._run_id}-{order.number:05d}",
                    outlet_id=order.outlet.id,
                    priority=2,
                    items=[
                        task_pb2.TaskItem(
                            sku=f"SKU-{i}",
                            description="chilled groceries" if order.cold else "meal",
                            quantity=1,
                            weight_kg=0.8,
                            min_temperature_c=2 if order.cold else 0,
                            max_temperature_c=8 if order.cold else 0,
                        )
                        for i in range(order.items)
                    ],
                    steps=[
                        Step(
                            kind=Step.KIND_PICKUP,
                            location=geo(order.outlet.location),
                            address=order.outlet.display_name,
                            outlet_id=order.outlet.id,
                            window=window(now, pickup_by),
                            service_seconds=120,
                        ),
                        Step(
                            kind=Step.KIND_DROP_OFF,
                            location=geo(order.drop_off),
                            window=window(now, deliver_by),
                            contact_name=order.customer,
                            required_proofs=proofs,
                            one_time_code=order.code,
                            service_seconds=90,
                        ),
                    ],
                    pickup_deadline=ts(pickup_by),
                    delivery_deadline=ts(deliver_by),
                ),
            ),
            metadata=self._api.metadata,
        )
        self._codes[task.name] = order.code
        self.stats.created += 1
        self.stats.tasks.append(task.name)
        self.placed.set()
        return str(task.name)

    async def _dispatch(self, task: str) -> None:
        try:
            result = await self._api.dispatch.AutoDispatch(
                dispatch_pb2.AutoDispatchRequest(task=task), metadata=self._api.metadata
            )
        except grpc.aio.AioRpcError as exc:
            logger.warning("auto-dispatch failed", extra={"task": task, "code": exc.code().name})
            return
        if result.outcome == Outcome.OUTCOME_ASSIGNED:
            self.stats.assigned += 1
        else:
            self.stats.manual += 1
