"""Cold chain on the transport: RecordTemperatures and ListTemperatureReadings (TaskService),
the stream's temperature batches (TelemetryService.StreamLocations), and the temperature log
of the proofs export (temperatures.csv)."""

from __future__ import annotations

import csv
import io

from bengobox.logistics.v1 import task_pb2, telemetry_pb2, temperature_pb2

from logistics.api.convert_coldchain import (
    ack_to_proto,
    readings_from_proto,
    readings_to_proto,
    stream_readings,
)
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.caller import Caller
from logistics.domain.ids import ResourceName
from logistics.domain.names import TASKS
from logistics.domain.paging import MAX_PAGE_SIZE, PageRequest
from logistics.services.coldchain.service import ColdChainService


class ColdChainEndpoints:
    def __init__(self, coldchain: ColdChainService) -> None:
        self._coldchain = coldchain

    async def record_temperatures(
        self, request: task_pb2.RecordTemperaturesRequest
    ) -> task_pb2.RecordTemperaturesResponse:
        name = TASKS.parse(request.name)
        done = await self._coldchain.record(current_caller(), name, readings_from_proto(request))
        return task_pb2.RecordTemperaturesResponse(stored=done.stored, duplicates=done.duplicates)

    async def list_temperature_readings(
        self, request: task_pb2.ListTemperatureReadingsRequest
    ) -> task_pb2.ListTemperatureReadingsResponse:
        name = TASKS.parse(request.parent, "parent")
        filters = ("temperature_readings", str(name))
        page = page_request(request.page_size or 100, request.page_token, filters)
        found = await self._coldchain.readings(current_caller(), name, page)
        return task_pb2.ListTemperatureReadingsResponse(
            readings=readings_to_proto(name.tenant, name.id, found.items),
            next_page_token=encode_token(found.next, filters),
        )

    async def stream_batch(
        self, caller: Caller, batch: temperature_pb2.TemperatureBatch
    ) -> telemetry_pb2.StreamLocationsResponse:
        """One stream message (within the stream's limits): its readings stored or rejected,
        answered by an ack."""
        outcome = await self._coldchain.record_stream(caller, stream_readings(batch))
        return ack_to_proto(batch.batch_id, outcome)

    async def csv_log(self, name: ResourceName) -> str:
        """Every reading of the task, as the proofs export's temperatures.csv."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["record_time", "probe_id", "celsius"])
        page = PageRequest(MAX_PAGE_SIZE)
        while True:
            found = await self._coldchain.readings(current_caller(), name, page)
            for r in found.items:
                writer.writerow([r.record_time.isoformat(), r.probe_id, repr(r.celsius)])
            if found.next is None:
                return out.getvalue()
            page = PageRequest(MAX_PAGE_SIZE, found.next)
