"""Cold chain messages <-> domain values: temperature readings (RecordTemperatures, the
stream's TemperatureBatch), their ack, and what a task and its trail show of them."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from bengobox.logistics.v1 import task_pb2, telemetry_pb2, temperature_pb2

from logistics.api.convert_common import enum_to_proto, timestamp
from logistics.domain.coldchain import Mark, Range, Reading
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import TASKS
from logistics.domain.tasks import Task
from logistics.services.coldchain.service import Rejection, StreamOutcome, TaskReading

REJECT_REASONS = {
    temperature_pb2.TEMPERATURE_REJECT_REASON_INVALID: Rejection.INVALID,
    temperature_pb2.TEMPERATURE_REJECT_REASON_OUT_OF_TIME: Rejection.OUT_OF_TIME,
    temperature_pb2.TEMPERATURE_REJECT_REASON_UNKNOWN_TASK: Rejection.UNKNOWN_TASK,
    temperature_pb2.TEMPERATURE_REJECT_REASON_TASK_ENDED: Rejection.TASK_ENDED,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _reading(msg: temperature_pb2.TemperatureReading) -> Reading:
    record_time = msg.record_time.ToDatetime(UTC) if msg.HasField("record_time") else _EPOCH
    return Reading(msg.probe_id, record_time, msg.celsius)


def readings_from_proto(request: task_pb2.RecordTemperaturesRequest) -> list[Reading]:
    """RecordTemperatures' readings; a missing time or another task is INVALID_ARGUMENT."""
    name = request.name
    for i, msg in enumerate(request.readings):
        if not msg.HasField("record_time"):
            raise InvalidArgument.field(f"readings[{i}].record_time", "is required")
        if msg.task and msg.task != name:
            raise InvalidArgument.field(f"readings[{i}].task", "is not the request's task")
    return [_reading(msg) for msg in request.readings]


def stream_readings(batch: temperature_pb2.TemperatureBatch) -> list[TaskReading]:
    out = []
    for msg in batch.readings:
        task: ResourceName | InvalidArgument
        try:
            task = TASKS.parse(msg.task, "task")
        except InvalidArgument as exc:
            task = exc
        problem = None if msg.HasField("record_time") else "record_time is required"
        out.append(TaskReading(task, _reading(msg), problem))
    return out


def reading_to_proto(r: Reading, task: str = "") -> temperature_pb2.TemperatureReading:
    celsius = r.celsius if math.isfinite(r.celsius) else 0.0
    return temperature_pb2.TemperatureReading(
        task=task, probe_id=r.probe_id, record_time=timestamp(r.record_time), celsius=celsius
    )


def range_to_proto(rng: Range | None) -> temperature_pb2.TemperatureRange | None:
    if rng is None:
        return None
    return temperature_pb2.TemperatureRange(min_celsius=rng.min_c, max_celsius=rng.max_c)


def readings_to_proto(
    tenant: TenantSlug, task_id: uuid.UUID, readings: Sequence[Reading]
) -> list[temperature_pb2.TemperatureReading]:
    name = TASKS.name(tenant, task_id)
    return [reading_to_proto(r, name) for r in readings]


def set_task_temperature(msg: task_pb2.Task, t: Task) -> None:
    """A task's cold chain fields (``msg.name`` already set)."""
    msg.temperature_excursion = t.temperature_excursion
    msg.temperature_excursion_active = t.temperature_excursion_active
    if t.last_temperature is not None:
        msg.last_temperature.CopyFrom(reading_to_proto(t.last_temperature, msg.name))


def set_event_temperature(msg: task_pb2.TaskEvent, mark: Mark | None) -> None:
    if mark is None:
        return
    msg.temperature.CopyFrom(reading_to_proto(mark.reading))
    rng = range_to_proto(mark.range)
    if rng is not None:
        msg.temperature_range.CopyFrom(rng)


def ack_to_proto(batch_id: str, outcome: StreamOutcome) -> telemetry_pb2.StreamLocationsResponse:
    response = telemetry_pb2.StreamLocationsResponse()
    ack = response.temperature_ack
    ack.batch_id = batch_id
    ack.stored = outcome.stored.stored
    ack.duplicates = outcome.stored.duplicates
    for r in outcome.rejected:
        ack.rejected.add(
            index=r.index,
            reason=enum_to_proto(r.reason, REJECT_REASONS),  # type: ignore[arg-type]
            detail=r.detail,
        )
    return response
