"""A rider's open stream is told of changes to its tasks made by someone else: a dispatcher's
assignment, the task reassigned to another rider, a cancel; never of the rider's own action."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from bengobox.logistics.v1 import telemetry_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.tasks import Api, T
from tests.support.telemetry import Stream, ping

pytestmark = pytest.mark.e2e

TaskUpdate = telemetry_pb2.TaskUpdate


class RiderApp:
    """A rider's stream, reading its inbox messages as the app would."""

    def __init__(self, channel: grpc.aio.Channel, api: Api, rider: str) -> None:
        self.stream = Stream(channel, api.rider_md(rider))
        self.updates: asyncio.Queue[TaskUpdate] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Once the first batch is acked, the stream's inbox is listening."""
        await self.stream.send(ping(1))
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            reply = await self.stream.call.read()
            if reply is grpc.aio.EOF:
                return
            if reply.HasField("task_update"):
                await self.updates.put(reply.task_update)

    async def next_update(self) -> TaskUpdate:
        return await asyncio.wait_for(self.updates.get(), 10)

    async def quiet(self) -> None:
        """Nothing more arrives for a while."""
        await asyncio.sleep(0.5)
        assert self.updates.empty(), self.updates.get_nowait()

    async def close(self) -> None:
        self.stream.call.cancel()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


async def test_riders_are_told_of_assignment_reassignment_and_cancel(
    grpc_channel: grpc.aio.Channel, api: Api
) -> None:
    task = await api.create()
    amina, baraka = await api.rider("Amina"), await api.rider("Baraka")
    apps = {amina: RiderApp(grpc_channel, api, amina), baraka: RiderApp(grpc_channel, api, baraka)}
    try:
        for app in apps.values():
            await app.open()

        assigned = await api.assign(task.name, amina, reason="closest")
        told = await apps[amina].next_update()
        assert (told.task, told.etag) == (task.name, assigned.task.etag)
        assert list(told.changed_fields) == ["rider", "state"]
        assert (told.state, told.unassigned) == (T.STATE_ASSIGNED, False)

        moved = await api.assign(task.name, baraka, reason="Amina's bike broke down")
        taken = await apps[amina].next_update()
        given = await apps[baraka].next_update()
        assert (taken.task, taken.unassigned, list(taken.changed_fields)) == (
            task.name,
            True,
            ["rider"],
        )
        assert (given.unassigned, given.etag, given.state) == (
            False,
            moved.task.etag,
            T.STATE_ASSIGNED,
        )

        await api.start(task.name, md=api.rider_md(baraka))  # the rider's own action
        await apps[baraka].quiet()

        cancelled = await api.cancel(task.name, reason="the customer called it off")
        ended = await apps[baraka].next_update()
        assert (ended.state, ended.unassigned, ended.etag) == (
            T.STATE_CANCELLED,
            True,
            cancelled.etag,
        )
        assert list(ended.changed_fields) == ["state"]
        await apps[amina].quiet()
    finally:
        for app in apps.values():
            await app.close()
