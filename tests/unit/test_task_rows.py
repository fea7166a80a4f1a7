"""Rows of the task import: each cell parsed and checked with CreateTask's rules, each error
named by its column, and a task's row read back into the same task."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from logistics.domain.addresses import AddressState
from logistics.domain.compliance import Window
from logistics.domain.csv_cells import check_header, parse_time
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.returns import TaskPurpose
from logistics.domain.task_rows import (
    OPTIONAL_TASK_COLUMNS,
    TASK_COLUMNS,
    column_of,
    exportable,
    parse_task_row,
    task_cells,
)
from logistics.domain.tasks import ProofKind, Step, StepKind, Task, TaskKind, unplaced

AT = check_header(list(TASK_COLUMNS), TASK_COLUMNS)
ID = uuid.UUID(int=7)


def cells(**given: str) -> list[str]:
    base = {
        "pickup_latitude": "-1.28",
        "pickup_longitude": "36.81",
        "dropoff_latitude": "-1.29",
        "dropoff_longitude": "36.79",
    }
    values = base | given
    return [values.get(c, "") for c in TASK_COLUMNS]


def errors(**given: str) -> list[tuple[str, str]]:
    parsed = parse_task_row(1, cells(**given), AT, lambda: ID)
    return [(e.field, e.message) for e in parsed.errors]


def test_a_minimal_row_is_a_delivery_from_pickup_to_drop_off() -> None:
    parsed = parse_task_row(4, cells(request_id=" R-1 "), AT, lambda: ID)
    assert parsed.errors == ()
    assert parsed.key == "R-1"
    assert parsed.record is not None
    task = parsed.record.task
    assert (task.id, task.kind, task.priority) == (ID, TaskKind.DELIVERY, 0)
    assert [(s.id, s.kind) for s in task.steps] == [
        ("0", StepKind.PICKUP),
        ("1", StepKind.DROP_OFF),
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"pickup_latitude": ""}, [("pickup_latitude", "is required")]),
        ({"dropoff_latitude": "91"}, [("dropoff_latitude", "is out of range")]),
        ({"priority": "high"}, [("priority", "must be a whole number of at most 10 digits")]),
        ({"priority": "11"}, [("priority", "must be 0 to 10")]),
        (
            {"kind": "drone"},
            [("kind", "must be one of delivery, pickup, transfer, return, shuttle")],
        ),
        (
            {"pickup_window_start": "2026-12-04T10:00:00Z"},
            [("pickup_window_end", "is required when the window's other end is given")],
        ),
        (
            {
                "dropoff_window_start": "2026-12-04T10:00:00Z",
                "dropoff_window_end": "2026-12-04T09:00:00Z",
            },
            [("dropoff_window_end", "must end after it starts")],
        ),
        (
            {"delivery_deadline": "2026-12-04T10:00:00"},
            [("delivery_deadline", "must carry its offset from UTC, such as Z or +03:00")],
        ),
        (
            {"pickup_proofs": "selfie"},
            [("pickup_proofs", "must be one of " + ", ".join(p.value for p in ProofKind))],
        ),
        ({"pickup_service_seconds": "90000"}, [("pickup_service_seconds", "must be 0 to 86400")]),
        ({"request_id": "r" * 129}, [("request_id", "must be 1 to 128 characters")]),
        ({"notes": "n" * 2001}, [("notes", "is longer than 2000 characters")]),
    ],
)
def test_each_bad_cell_is_named_by_its_column(
    given: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert errors(**given) == expected


def test_one_time_codes_are_refused_rather_than_issued_to_nobody() -> None:
    [(column, message)] = errors(dropoff_proofs="photo;one_time_code")
    assert column == "dropoff_proofs"
    assert message.startswith("one_time_code cannot be imported")


def test_a_row_of_the_wrong_width_is_one_error() -> None:
    parsed = parse_task_row(3, ["a", "b"], AT, lambda: ID)
    assert [(e.row, e.field) for e in parsed.errors] == [(3, "row")]


def test_times_are_read_in_utc() -> None:
    assert parse_time("2026-12-04T13:00:00+03:00") == datetime(2026, 12, 4, 10, tzinfo=UTC)
    assert parse_time("2026-12-04T10:00:00Z") == datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_a_task_s_row_reads_back_into_the_same_task() -> None:
    start = datetime(2026, 12, 4, 10, tzinfo=UTC)
    task = Task(
        id=ID,
        kind=TaskKind.RETURN,
        steps=(
            Step(
                "0",
                StepKind.PICKUP,
                -1.2648,
                36.8045,
                address="Kitchen, Westlands",
                outlet_id="outlet-4",
                contact_name="Kitchen",
                service_seconds=120,
                window=Window(start, start.replace(hour=11)),
            ),
            Step(
                "1",
                StepKind.DROP_OFF,
                -1.2921,
                36.787,
                contact_phone="+254712345678",
                required_proofs=frozenset({ProofKind.PHOTO, ProofKind.SIGNATURE}),
            ),
        ),
        order_id='ORD-9, "rush"',
        outlet_id="outlet-4",
        priority=7,
        pickup_deadline=start,
        delivery_deadline=start.replace(hour=12),
        ready_time=start.replace(minute=40),
        notes="gate 2\nring twice",
        origin_task_id=uuid.uuid4(),
        purpose=TaskPurpose.CUSTOMER_RETURN,
    )
    assert exportable(task)
    curbside = dataclasses.replace(task.steps[0], curbside=True)
    at_kerb = dataclasses.replace(task, steps=(curbside, task.steps[1]))
    acme = TenantSlug("acme")
    back = parse_task_row(1, task_cells(at_kerb, acme), AT, lambda: ID, acme).record
    assert back is not None
    assert back.task == at_kerb
    parsed = parse_task_row(1, task_cells(task, acme), AT, lambda: ID, acme)
    assert parsed.errors == ()
    assert parsed.record is not None
    assert parsed.record.task == task
    assert not exportable(dataclasses.replace(task, steps=task.steps[:1]))


def test_validation_fields_map_to_columns() -> None:
    assert column_of("task.steps[0].location") == "pickup_latitude"
    assert column_of("task.steps[1].window") == "dropoff_window_end"
    assert column_of("task.steps[1].service_seconds") == "dropoff_service_seconds"
    assert column_of("task.delivery_deadline") == "delivery_deadline"
    assert column_of("task.steps[0].required_proofs") == "pickup_proofs"
    assert column_of("task.steps[0].curbside") == "pickup_curbside"
    assert column_of("task.ready_time") == "ready_time"


def test_ready_time_and_curbside_are_read_and_checked() -> None:
    parsed = parse_task_row(
        1, cells(ready_time="2026-12-04T12:15:00+03:00", pickup_curbside="yes"), AT, lambda: ID
    )
    assert parsed.record is not None
    task = parsed.record.task
    assert task.ready_time == datetime(2026, 12, 4, 9, 15, tzinfo=UTC)
    assert [s.curbside for s in task.steps] == [True, False]
    assert errors(pickup_curbside="kerb") == [("pickup_curbside", "must be true or false")]
    assert errors(ready_time="noon")[0][0] == "ready_time"
    assert errors(pickup_curbside="true", pickup_proofs="signature") == [
        ("pickup_proofs", "a curbside pickup takes no signature")
    ]
    late = errors(ready_time="2026-12-04T14:00:00Z", delivery_deadline="2026-12-04T13:00:00Z")
    assert late == [("ready_time", "is after delivery_deadline")]


def test_a_header_may_leave_out_the_columns_added_later() -> None:
    old = [c for c in TASK_COLUMNS if c not in OPTIONAL_TASK_COLUMNS]
    at = check_header(old, TASK_COLUMNS, OPTIONAL_TASK_COLUMNS)
    values = dict(zip(TASK_COLUMNS, cells(), strict=True))
    parsed = parse_task_row(1, [values[c] for c in old], at, lambda: ID)
    assert parsed.errors == ()
    assert parsed.record is not None
    assert parsed.record.task.ready_time is None
    with pytest.raises(InvalidArgument):
        check_header(old[1:], TASK_COLUMNS, OPTIONAL_TASK_COLUMNS)  # request_id is not optional
    wide = parse_task_row(1, cells(), at, lambda: ID)  # a row as wide as the full header
    assert [e.field for e in wide.errors] == ["row"]


def test_a_pickup_naming_only_an_outlet_is_left_for_the_import_to_place() -> None:
    given = cells(pickup_latitude="", pickup_longitude="", pickup_outlet_id="kitchen-1")
    parsed = parse_task_row(1, given, AT, lambda: ID)
    assert parsed.errors == ()
    assert parsed.record is not None
    assert unplaced(parsed.record.task.steps[0])
    # Only a pickup may be placed so, and half a point is still an error.
    assert errors(dropoff_latitude="", dropoff_longitude="", dropoff_outlet_id="wh-1") == [
        ("dropoff_latitude", "is required"),
        ("dropoff_longitude", "is required"),
    ]
    assert errors(pickup_latitude="", pickup_outlet_id="kitchen-1") == [
        ("pickup_latitude", "is required")
    ]


def test_a_drop_off_with_an_address_only_waits_for_the_geocoder_and_exports_so() -> None:
    given = cells(dropoff_latitude="", dropoff_longitude="", dropoff_address="12 Kenyatta Ave")
    parsed = parse_task_row(1, given, AT, lambda: ID)
    assert parsed.errors == ()
    assert parsed.record is not None
    drop_off = parsed.record.task.steps[1]
    assert (drop_off.address, drop_off.address_state) == ("12 Kenyatta Ave", AddressState.PENDING)
    exported = dict(
        zip(TASK_COLUMNS, task_cells(parsed.record.task, TenantSlug("acme")), strict=True)
    )
    assert (exported["dropoff_latitude"], exported["dropoff_longitude"]) == ("", "")
    # Half a point is still an error, address or not.
    assert errors(dropoff_latitude="", dropoff_address="12 Kenyatta Ave") == [
        ("dropoff_latitude", "is required")
    ]
