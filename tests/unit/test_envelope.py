"""Outbox rows as published events: subject, message id and the decoded ``Event``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from bengobox.logistics.v1 import events_pb2
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st

from logistics.events.envelope import event_of, message_of, resource_of, subject_of
from logistics.store.outbox import OutboxRow

EVENT_ID = uuid.UUID("0b6f7c1e-9d8a-4c3b-a2f1-5e4d3c2b1a09")


def row(event_type: str, data: dict[str, Any], **kwargs: Any) -> OutboxRow:
    return OutboxRow(
        id=kwargs.get("id", EVENT_ID),
        seq=kwargs.get("seq", 1),
        event_type=event_type,
        data=data,
        create_time=kwargs.get("create_time", datetime(2024, 5, 1, 12, 30, 15, 250000, UTC)),
    )


def test_message_carries_subject_event_id_and_the_event_in_protobuf() -> None:
    data = {"tenant": "acme", "name": "tenants/acme/tasks/42", "task": {"state": "created"}}

    message = message_of(row("task.created", data))

    assert message.subject == "logistics.task.created"
    assert message.msg_id == str(EVENT_ID)
    event = events_pb2.Event.FromString(message.payload)
    assert event.id == str(EVENT_ID)
    assert event.type == "task.created"
    assert event.tenant == "acme"
    assert event.resource == "tenants/acme/tasks/42"
    assert event.event_time.ToDatetime(tzinfo=UTC) == datetime(2024, 5, 1, 12, 30, 15, 250000, UTC)
    assert json_format.MessageToDict(event.data) == data


def test_subject_prefix_is_configurable() -> None:
    assert message_of(row("rider.offline", {"tenant": "a"}), "ltest1").subject == (
        "ltest1.rider.offline"
    )


def test_event_time_is_utc_whatever_the_row_zone() -> None:
    nairobi = timezone(timedelta(hours=3))
    event = event_of(row("fleet.created", {}, create_time=datetime(2024, 1, 1, 3, tzinfo=nairobi)))

    assert event.event_time.ToJsonString() == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("event_type", "data", "resource"),
    [
        # The field the class names, even when another field names a resource too.
        (
            "task.assigned",
            {"name": "tenants/a/tasks/t1", "rider": "tenants/a/riders/r1"},
            "tenants/a/tasks/t1",
        ),
        (
            "geofence.entered",
            {"geofence": "tenants/a/geofences/g", "rider": "tenants/a/riders/r", "tenant": "a"},
            "tenants/a/riders/r",
        ),
        (
            "rider.offline",
            {"rider": "tenants/a/riders/r", "last_seen_time": "2024-01-01T00:00:00+00:00"},
            "tenants/a/riders/r",
        ),
        ("rider.compliance_changed", {"document": "tenants/a/riders/r/documents/d"}, ""),
        # A type this version does not know: nothing is guessed.
        ("novelty.happened", {"name": "tenants/a/novelties/1"}, ""),
    ],
)
def test_resource_is_the_field_the_event_class_names(
    event_type: str, data: dict[str, Any], resource: str
) -> None:
    assert resource_of(event_type, data) == resource
    assert event_of(row(event_type, data)).resource == resource


@pytest.mark.parametrize("bad", ["task", "task.", ".created", "task.*", "task.>", "Task.Created"])
def test_event_type_that_is_not_a_plain_dotted_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="event type"):
        subject_of("logistics", bad)


def as_struct_numbers(value: Any) -> Any:
    """``value`` as a Struct gives it back: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [as_struct_numbers(v) for v in value]
    return {k: as_struct_numbers(v) for k, v in value.items()}


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=8), st.text(min_size=1))
def test_any_json_data_survives_the_round_trip_with_numbers_as_doubles(
    data: dict[str, Any], tenant: str
) -> None:
    data = {**data, "tenant": tenant}

    event = events_pb2.Event.FromString(message_of(row("rider.updated", data)).payload)

    decoded = json_format.MessageToDict(event.data)
    assert decoded == as_struct_numbers(data)
    assert event.tenant == tenant
