"""A cold order's probe in the rider's box: before the drop-off its readings since the rider
started (one every 30 s, about 4 °C) are uploaded with RecordTemperatures, as the app does
with its probe's log, and they are the drop-off's temperature log."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bengobox.logistics.v1 import task_pb2, temperature_pb2

from logistics.sim.client import Api, ts

EVERY = timedelta(seconds=30)
MOST = 1000  # RecordTemperatures' limit


async def upload_log(api: Api, task: str, since: datetime, rng: random.Random) -> None:
    """Readings from ``since`` to now; a resent upload is stored once (probe id and time)."""
    now = datetime.now(UTC)
    count = min(MOST, max(1, int((now - since) / EVERY) + 1))
    readings = [
        temperature_pb2.TemperatureReading(
            probe_id="box-probe",
            record_time=ts(now - EVERY * (count - 1 - i)),
            celsius=round(rng.gauss(4.0, 0.3), 2),
        )
        for i in range(count)
    ]
    await api.tasks.RecordTemperatures(
        task_pb2.RecordTemperaturesRequest(name=task, readings=readings), metadata=api.metadata
    )
