"""The table of served services: each row's Connect app is found from its descriptor alone."""

from __future__ import annotations

import pytest
from bengobox.logistics.v1 import (
    dispatch_connect,
    dispatch_pb2,
    fleet_connect,
    fleet_pb2,
    task_connect,
    task_pb2,
    telemetry_connect,
    telemetry_pb2,
    webhook_connect,
    webhook_pb2,
)

from logistics.api.service_table import connect_app_class, connect_apps, served


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        (fleet_pb2, "FleetService", fleet_connect.FleetServiceASGIApplication),
        (task_pb2, "TaskService", task_connect.TaskServiceASGIApplication),
        (dispatch_pb2, "DispatchService", dispatch_connect.DispatchServiceASGIApplication),
        (telemetry_pb2, "TelemetryService", telemetry_connect.TelemetryServiceASGIApplication),
        (webhook_pb2, "WebhookService", webhook_connect.WebhookServiceASGIApplication),
    ],
)
def test_the_connect_app_of_a_descriptor_is_the_generated_one(
    module: object, name: str, expected: type
) -> None:
    row = served(module, name, object())

    assert connect_app_class(row.descriptor) is expected


def test_each_row_becomes_a_connect_app_mounted_at_its_service_path() -> None:
    class Webhooks:
        def __getattr__(self, name: str) -> object:
            return lambda *args: None

    rows = [served(webhook_pb2, "WebhookService", Webhooks())]

    (app,) = connect_apps(rows, interceptors=(), read_max_bytes=1024)

    assert app.path.strip("/") == "bengobox.logistics.v1.WebhookService"
