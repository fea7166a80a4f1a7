"""Task calls as a dispatcher and a rider make them, for one tenant over gRPC."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    fleet_pb2,
    fleet_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
)

from logistics.domain.ids import TenantSlug
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth

T, Step = task_pb2.Task, task_pb2.TaskStep
PICKUP, DROP_OFF = Step.KIND_PICKUP, Step.KIND_DROP_OFF
DISPATCHER = "dispatcher-wanjiru"


def point(latitude: float, longitude: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(latitude=latitude, longitude=longitude)


def pickup(**fields: Any) -> task_pb2.TaskStep:
    return Step(kind=PICKUP, location=point(-1.2833, 36.8167), **fields)


def drop_off(*proofs: int, code: str = "", **fields: Any) -> task_pb2.TaskStep:
    fields.setdefault("location", point(-1.3000, 36.7800))
    return Step(kind=DROP_OFF, required_proofs=list(proofs), one_time_code=code, **fields)


def last_id(name: str) -> str:
    """The id at the end of a resource name."""
    return name.rsplit("/", 1)[1]


class Api:
    """Short calls for one tenant, so each test reads as the steps a user takes."""

    def __init__(
        self, channel: grpc.aio.Channel, tenant: str, store: Store, database: Database
    ) -> None:
        self.tasks = task_pb2_grpc.TaskServiceStub(channel)
        self.dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
        self.fleet = fleet_pb2_grpc.FleetServiceStub(channel)
        self.tenant = tenant
        self.parent = f"tenants/{tenant}"
        self.md = auth(tenant, subject=DISPATCHER)
        self._store = store
        self._database = database

    async def rider(self, name: str = "Amina") -> str:
        rider = await self.fleet.CreateRider(
            fleet_pb2.CreateRiderRequest(
                parent=self.parent, rider=fleet_pb2.Rider(display_name=name)
            ),
            metadata=self.md,
        )
        return rider.name

    def rider_md(self, rider: str) -> tuple[tuple[str, str]]:
        """A rider's own token, as the rider app holds it."""
        return auth(
            self.tenant,
            ["logistics:telemetry"],
            rider_id=last_id(rider),
            subject=f"rider-{last_id(rider)[:8]}",
        )

    def create_request(self, *steps: task_pb2.TaskStep, request_id: str = "", **fields: Any) -> Any:
        fields.setdefault("kind", T.KIND_DELIVERY)
        return task_pb2.CreateTaskRequest(
            parent=self.parent,
            request_id=request_id,
            task=T(steps=list(steps or (pickup(), drop_off())), **fields),
        )

    async def create(self, *steps: task_pb2.TaskStep, request_id: str = "", **fields: Any) -> Any:
        return await self.tasks.CreateTask(
            self.create_request(*steps, request_id=request_id, **fields), metadata=self.md
        )

    async def get(self, name: str) -> task_pb2.Task:
        return await self.tasks.GetTask(task_pb2.GetTaskRequest(name=name), metadata=self.md)

    async def geocoded(self, name: str, step: int = 1, within: float = 15.0) -> task_pb2.Task:
        """The task once the geocoder has answered for its step ``step``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            task = await self.get(name)
            if task.steps[step].address_state != task_pb2.ADDRESS_STATE_PENDING:
                return task
            await asyncio.sleep(0.1)
        raise AssertionError(f"{name} still waits for the geocoder")

    def assign(
        self, task: str, rider: str, reason: str = "", etag: str = "", md: Any = None
    ) -> Any:
        return self.dispatch.AssignTask(
            dispatch_pb2.AssignTaskRequest(task=task, rider=rider, reason=reason, etag=etag),
            metadata=md or self.md,
        )

    def start(self, task: str, etag: str = "", md: Any = None, **fields: Any) -> Any:
        return self.tasks.StartTask(
            task_pb2.StartTaskRequest(name=task, etag=etag, **fields), metadata=md or self.md
        )

    def arrive(self, task: str, step_id: str, md: Any = None, **fields: Any) -> Any:
        return self.tasks.ArriveAtStep(
            task_pb2.ArriveAtStepRequest(name=task, step_id=step_id, **fields),
            metadata=md or self.md,
        )

    def complete(
        self, task: str, step_id: str, *proofs: task_pb2.Proof, md: Any = None, **fields: Any
    ) -> Any:
        return self.tasks.CompleteStep(
            task_pb2.CompleteStepRequest(name=task, step_id=step_id, proofs=list(proofs), **fields),
            metadata=md or self.md,
        )

    def cancel(self, task: str, reason: str = "", etag: str = "", md: Any = None) -> Any:
        return self.tasks.CancelTask(
            task_pb2.CancelTaskRequest(name=task, reason=reason, etag=etag), metadata=md or self.md
        )

    def fail(self, task: str, reason: str = "flat tyre", md: Any = None) -> Any:
        return self.tasks.FailTask(
            task_pb2.FailTaskRequest(name=task, reason=reason), metadata=md or self.md
        )

    async def events(self, task: str, page_size: int = 0) -> list[task_pb2.TaskEvent]:
        """The whole audit trail, a page at a time."""
        events: list[task_pb2.TaskEvent] = []
        page_token = ""
        while True:
            page = await self.tasks.ListTaskEvents(
                task_pb2.ListTaskEventsRequest(
                    parent=task, page_size=page_size, page_token=page_token
                ),
                metadata=self.md,
            )
            events += page.events
            page_token = page.next_page_token
            if not page_token:
                return events

    async def proofs(self, task: str) -> list[task_pb2.Proof]:
        listed = await self.tasks.ListProofs(
            task_pb2.ListProofsRequest(parent=task), metadata=self.md
        )
        return list(listed.proofs)

    async def listed(self, page_size: int = 0, **filters: Any) -> list[str]:
        names: list[str] = []
        page_token = ""
        while True:
            page = await self.tasks.ListTasks(
                task_pb2.ListTasksRequest(
                    parent=self.parent, page_size=page_size, page_token=page_token, **filters
                ),
                metadata=self.md,
            )
            names += [t.name for t in page.tasks]
            page_token = page.next_page_token
            if not page_token:
                return names

    async def on_the_way(self, *steps: task_pb2.TaskStep) -> tuple[task_pb2.Task, str]:
        """A task assigned to a new rider and started."""
        task = await self.create(*steps)
        rider = await self.rider()
        await self.assign(task.name, rider)
        await self.start(task.name)
        return task, rider

    async def at(self, step_id: str, *steps: task_pb2.TaskStep) -> tuple[task_pb2.Task, str]:
        """A started task whose rider has arrived at step ``step_id`` (earlier ones done)."""
        task, rider = await self.on_the_way(*steps)
        for earlier in range(int(step_id)):
            await self.arrive(task.name, str(earlier))
            await self.complete(task.name, str(earlier))
        await self.arrive(task.name, step_id)
        return task, rider

    async def outbox(self, task: str) -> list[tuple[str, dict[str, Any]]]:
        """The task's events in the outbox, in order: (subject, data)."""
        tenant_id = await self._store.tenants.find(TenantSlug(self.tenant))
        async with self._database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT subject, data FROM outbox WHERE data->>'name' = $1 ORDER BY seq", task
            )
        return [(r["subject"], r["data"]) for r in rows]

    async def sql(self, statement: str, *args: Any) -> list[Any]:
        tenant_id = await self._store.tenants.find(TenantSlug(self.tenant))
        async with self._database.transaction(tenant_id) as conn:
            return list(await conn.fetch(statement, *args))
