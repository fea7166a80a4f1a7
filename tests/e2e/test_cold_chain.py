"""Cold chain end to end through the real server: a rider app streams a probe's readings (a
resent batch stored once, a bad reading rejected in the ack, the stream going on), the goods
warm up past the minimum duration and the dispatcher's live view gets one excursion alert (the
relay publishing the outbox event), an IoT gateway's RecordTemperatures brings them back in
range, and the drop-off that needs a temperature log completes from the recorded readings, the
log in ListProofs and in the dispute bundle's temperatures.csv (hashed in its manifest)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
    temperature_pb2,
)

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import bearer, token, unique_tenant
from tests.support.errors import fails
from tests.support.protos import ts
from tests.support.servers import Listeners, ServerUrls, server_in_process
from tests.support.tasks import Api, T, drop_off, pickup, point
from tests.support.telemetry import Stream

pytestmark = pytest.mark.e2e

Alert = telemetry_pb2.Alert
TEMPERATURE_LOG = task_pb2.TaskStep.PROOF_KIND_TEMPERATURE_LOG
REJECTED = temperature_pb2.TEMPERATURE_REJECT_REASON_INVALID
START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)


@pytest.fixture(scope="module")
async def running(server_urls: ServerUrls) -> AsyncIterator[Listeners]:
    """A server that also runs the relay, so the outbox reaches live views."""
    async with server_in_process(
        server_urls, run_timers=True, LOGISTICS_LIVE_INTERVAL_SECONDS="0.2"
    ) as listeners:
        yield listeners


def reading(task: str, minutes: float, celsius: float, probe: str = "fridge-1") -> Any:
    return temperature_pb2.TemperatureReading(
        task=task,
        probe_id=probe,
        record_time=ts(START + timedelta(minutes=minutes)),
        celsius=celsius,
    )


class RiderStream(Stream):
    """The rider app's StreamLocations call, reading its temperature acks too."""

    async def send_readings(self, batch_id: str, *readings: Any) -> temperature_pb2.TemperatureAck:
        batch = temperature_pb2.TemperatureBatch(batch_id=batch_id, readings=list(readings))
        await self.call.write(telemetry_pb2.StreamLocationsRequest(temperatures=batch))
        while True:
            reply = await asyncio.wait_for(self.call.read(), 15)
            assert reply is not grpc.aio.EOF, "the stream ended before the ack"
            if reply.HasField("temperature_ack"):
                return reply.temperature_ack


class Alerts:
    """A dispatcher's live view of the city, keeping its alerts."""

    def __init__(self, channel: grpc.aio.Channel, tenant: str) -> None:
        area = telemetry_pb2.BoundingBox(
            south_west=point(-1.40, 36.70), north_east=point(-1.20, 36.90)
        )
        self.call = telemetry_pb2_grpc.TelemetryServiceStub(channel).SubscribeFleet(
            telemetry_pb2.SubscribeFleetRequest(
                parent=f"tenants/{tenant}",
                subscription=telemetry_pb2.FleetSubscription(
                    bounding_box=area, include_alerts=True
                ),
            ),
            metadata=bearer(token(tenant, ["logistics:read"])),
        )
        self.seen: list[Alert] = []
        self.opened = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for response in self.call:
            self.opened.set()
            self.seen.extend(response.frame.alerts)

    async def until(self, kind: int, task: str, within: float = 20.0) -> Alert:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            for alert in self.seen:
                if alert.type == kind and alert.task == task:
                    return alert
            await asyncio.sleep(0.1)
        raise AssertionError(f"no alert {kind} for {task}; got {self.seen}")

    def count(self, kind: int) -> int:
        return sum(a.type == kind for a in self.seen)

    def cancel(self) -> None:
        self.call.cancel()
        self.reader.cancel()


async def test_a_chilled_delivery_warms_up_recovers_and_delivers_its_log(
    running: Listeners, store: Store, database: Database
) -> None:
    async with grpc.aio.insecure_channel(running.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        chilled = T(
            kind=T.KIND_DELIVERY,
            steps=[pickup(), drop_off(TEMPERATURE_LOG)],
            items=[task_pb2.TaskItem(sku="vaccine", min_temperature_c=2, max_temperature_c=8)],
        )
        task = await api.tasks.CreateTask(
            task_pb2.CreateTaskRequest(parent=api.parent, task=chilled), metadata=api.md
        )
        rider = await api.rider()
        md = api.rider_md(rider)
        await api.assign(task.name, rider)
        started = await api.start(task.name, md=md)
        alerts = Alerts(channel, api.tenant)
        stream = RiderStream(channel, md)
        try:
            await asyncio.wait_for(alerts.opened.wait(), 10)
            warm = [reading(task.name, m, 11.0) for m in range(1, 8)]
            first = [reading(task.name, 0, 5.0), *warm[:3]]
            ack = await stream.send_readings("b1", *first)
            assert (ack.batch_id, ack.stored, ack.duplicates) == ("b1", 4, 0)

            # The app lost the ack and resends, with the next readings and a bad one.
            bad = reading(task.name, 8, 11.0, probe="fridge 1")
            ack = await stream.send_readings("b2", *first, *warm[3:], bad)
            assert (ack.stored, ack.duplicates) == (4, 4)
            assert [(r.index, r.reason) for r in ack.rejected] == [(8, REJECTED)]
            excursion = await alerts.until(Alert.TYPE_TASK_TEMPERATURE_EXCURSION, task.name)
            assert "11 °C on probe fridge-1, outside 2 to 8 °C" in excursion.message

            now = await api.get(task.name)
            assert now.temperature_excursion
            assert now.temperature_excursion_active
            assert now.last_temperature.celsius == 11.0
            assert now.etag == started.etag  # readings never stale the rider's etag

            # An IoT gateway (a dispatcher's token) reports the fridge cold again.
            gateway = task_pb2_grpc.TaskServiceStub(channel)
            back = task_pb2.RecordTemperaturesRequest(
                name=task.name, readings=[reading("", 9, 6.5), reading("", 10, 5.0)]
            )
            recorded = await gateway.RecordTemperatures(back, metadata=api.md)
            assert (recorded.stored, recorded.duplicates) == (2, 0)
            await alerts.until(Alert.TYPE_TASK_TEMPERATURE_RECOVERED, task.name)
            refused = await fails(
                gateway.RecordTemperatures(
                    task_pb2.RecordTemperaturesRequest(
                        name=task.name, readings=[reading("", 11, float("nan"))]
                    ),
                    metadata=api.md,
                ),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert refused == {"readings[0].celsius"}
            await stream.close()
        finally:
            alerts.cancel()

        assert alerts.count(Alert.TYPE_TASK_TEMPERATURE_EXCURSION) == 1
        outbox = [subject for subject, _ in await api.outbox(task.name)]
        assert outbox.count("logistics.task.temperature_excursion") == 1
        assert outbox.count("logistics.task.temperature_recovered") == 1
        trail = {e.type: e for e in await api.events(task.name)}
        assert trail["temperature_excursion"].temperature.celsius == 11.0
        assert trail["temperature_excursion"].temperature_range.max_celsius == 8.0
        assert trail["temperature_recovered"].temperature.celsius == 6.5

        listed: list[temperature_pb2.TemperatureReading] = []
        page_token = ""
        while True:
            page = await api.tasks.ListTemperatureReadings(
                task_pb2.ListTemperatureReadingsRequest(
                    parent=task.name, page_size=4, page_token=page_token
                ),
                metadata=api.md,
            )
            listed += page.readings
            page_token = page.next_page_token
            if not page_token:
                break
        celsius = [r.celsius for r in listed]
        assert celsius == [5.0, *([11.0] * 7), 6.5, 5.0]

        # The drop-off needs a temperature log: the recorded readings are it.
        await api.arrive(task.name, "0", md=md)
        await api.complete(task.name, "0", md=md)
        await api.arrive(task.name, "1", md=md)
        done = await api.complete(task.name, "1", md=md)
        assert done.state == T.STATE_COMPLETED
        (log,) = [p for p in await api.proofs(task.name) if p.kind == TEMPERATURE_LOG]
        assert list(log.temperatures_c) == celsius
        assert log.step_id == "1"

        async with httpx.AsyncClient() as http:
            response = await http.get(
                f"{running.http_url}/v1/{task.name}/proofs:export",
                headers={"authorization": f"Bearer {token(api.tenant)}"},
            )
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        rows = list(csv.DictReader(io.StringIO(archive.read("temperatures.csv").decode())))
        assert [float(r["celsius"]) for r in rows] == celsius
        assert {r["probe_id"] for r in rows} == {"fridge-1"}
        assert "proofs.json" in archive.namelist()
        listed_docs = json.loads(archive.read("manifest.json"))["documents"]
        (csv_doc,) = [d for d in listed_docs if d["path"] == "temperatures.csv"]
        assert csv_doc["sha256"] == hashlib.sha256(archive.read("temperatures.csv")).hexdigest()


async def test_a_temperature_batch_over_the_limit_ends_the_stream(
    running: Listeners, store: Store, database: Database
) -> None:
    async with grpc.aio.insecure_channel(running.grpc_target) as channel:
        api = Api(channel, unique_tenant(), store, database)
        task = await api.create(pickup(), drop_off())
        rider = await api.rider()
        await api.assign(task.name, rider)
        stream = RiderStream(channel, api.rider_md(rider))
        too_many = [reading(task.name, i / 100, 4.0) for i in range(1001)]
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            await stream.send_readings("big", *too_many)
        assert ended.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "at most 1000 readings" in (ended.value.details() or "")
        listed = await api.tasks.ListTemperatureReadings(
            task_pb2.ListTemperatureReadingsRequest(parent=task.name), metadata=api.md
        )
        assert list(listed.readings) == []
