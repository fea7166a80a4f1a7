"""Text is checked once at the edge: a NUL anywhere in a request names its field."""

from __future__ import annotations

import pytest
from bengobox.logistics.v1 import fleet_pb2, task_pb2, telemetry_pb2
from hypothesis import given
from hypothesis import strategies as st

from logistics.api.text_check import check_text, text_violations
from logistics.domain.errors import InvalidArgument
from logistics.domain.text import shown


def fields(message: object) -> list[str]:
    return [v.field for v in text_violations(message)]  # type: ignore[arg-type]


def test_a_nul_in_a_nested_string_names_the_field() -> None:
    request = fleet_pb2.CreateRiderRequest(
        parent="tenants/t", rider=fleet_pb2.Rider(display_name="a\x00b")
    )

    with pytest.raises(InvalidArgument) as raised:
        check_text(request)

    assert [v.field for v in raised.value.violations] == ["rider.display_name"]
    assert "NUL" in raised.value.violations[0].description


def test_repeated_strings_and_map_entries_are_named_by_index_and_key() -> None:
    fleet = fleet_pb2.Fleet(display_name="ok", outlet_ids=["o1", "o\x002"])
    fleet.labels["zone"] = "x\x00"
    fleet.labels["k\x00"] = "v"

    found = fields(fleet_pb2.UpdateFleetRequest(fleet=fleet))

    assert "fleet.outlet_ids[1]" in found
    assert "fleet.labels['zone']" in found
    assert "fleet.labels['k\\x00']" in found
    assert len(found) == 3


def test_strings_inside_a_struct_are_checked() -> None:
    task = task_pb2.Task()
    task.metadata.update({"note": {"inner": ["fine", "bad\x00"]}})

    found = fields(task_pb2.CreateTaskRequest(task=task))

    assert found == [
        "task.metadata.fields['note'].struct_value.fields['inner'].list_value.values[1].string_value"
    ]


def test_clean_text_passes() -> None:
    check_text(
        fleet_pb2.CreateRiderRequest(
            parent="tenants/t", rider=fleet_pb2.Rider(display_name="Ämîr 🚲")
        )
    )


def test_a_message_of_numbers_only_is_not_walked() -> None:
    check_text(telemetry_pb2.PingBatch(pings=[telemetry_pb2.LocationPing(sequence=1)]))


def test_a_hostile_request_reports_a_bounded_number_of_violations() -> None:
    fleet = fleet_pb2.Fleet(outlet_ids=["\x00"] * 10_000)

    assert len(fields(fleet_pb2.UpdateFleetRequest(fleet=fleet))) <= 20


@given(st.text())
def test_text_is_refused_exactly_when_it_holds_a_nul(text: str) -> None:
    found = fields(fleet_pb2.Rider(display_name=text.encode("utf-8", "replace").decode()))

    assert (found == ["display_name"]) == ("\x00" in text)


def test_a_shown_value_is_cut_to_about_a_hundred_characters() -> None:
    assert shown("abc") == "'abc'"
    long = shown("x" * 20_000)
    assert len(long) < 130
    assert "20002 chars" in long


def test_a_mask_path_with_a_nul_is_not_taken_for_the_field_before_it() -> None:
    from logistics.api.convert_common import update_paths

    for path in ("display_name\x00", "display_name\x00x"):
        with pytest.raises(InvalidArgument):
            update_paths(fleet_pb2.Fleet(display_name="x"), [path], "fleet")
    assert update_paths(fleet_pb2.Fleet(display_name="x"), ["display_name"], "fleet") == [
        "display_name"
    ]
