"""CSV rows of the fleet import: cell parsers, the byte stream, headers, row validation."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.compliance import VehicleState
from logistics.domain.csv_cells import (
    check_header,
    format_bool,
    format_float,
    parse_bool,
    parse_enum,
    parse_fleet,
    parse_float,
    parse_int,
)
from logistics.domain.csv_rows import (
    RIDER_COLUMNS,
    VEHICLE_COLUMNS,
    RiderRecord,
    VehicleRecord,
    parse_rider_row,
    parse_vehicle_row,
    rider_cells,
    vehicle_cells,
)
from logistics.domain.csv_stream import CsvStream
from logistics.domain.errors import InvalidArgument
from logistics.domain.fleet import RiderState, VehicleType
from logistics.domain.ids import TenantSlug

TENANT = TenantSlug("acme")
RIDER_AT = tuple(range(len(RIDER_COLUMNS)))
VEHICLE_AT = tuple(range(len(VEHICLE_COLUMNS)))

# Cells


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_formatted_float_parses_back_to_itself(value: float) -> None:
    assert parse_float(format_float(value)) == value


@given(st.integers(-(2**31), 2**31 - 1))
def test_an_int32_parses_back_to_itself(value: int) -> None:
    assert parse_int(str(value)) == value


@given(st.integers().filter(lambda n: not -(2**31) <= n < 2**31))
def test_an_integer_beyond_int32_is_rejected(value: int) -> None:
    with pytest.raises(ValueError, match="whole number"):
        parse_int(str(value))


@given(st.booleans(), st.sampled_from([str.lower, str.upper, str.title]))
def test_a_formatted_bool_parses_back_in_any_case(value: bool, case: object) -> None:
    assert parse_bool(case(format_bool(value))) is value  # type: ignore[operator]


@given(st.sampled_from(list(VehicleType)), st.sampled_from([str.lower, str.upper]))
def test_an_enum_value_parses_back_in_any_case(kind: VehicleType, case: object) -> None:
    assert parse_enum(f" {case(kind.value)} ", VehicleType) is kind  # type: ignore[operator]


@given(st.text().filter(lambda s: s.strip().lower() not in {k.value for k in VehicleType}))
def test_anything_else_is_not_a_vehicle_type(text: str) -> None:
    if not text.strip():
        assert parse_enum(text, VehicleType) is None
    else:
        with pytest.raises(ValueError, match="must be one of bicycle, motorbike"):
            parse_enum(text, VehicleType)


@pytest.mark.parametrize(
    "text", ["nan", "inf", "-Infinity", "1e999", "1_000", "0x10", "1,5", "--1"]
)
def test_non_finite_or_odd_numbers_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="number"):
        parse_float(text)


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_cells_are_unset(text: str) -> None:
    assert parse_float(text) is None
    assert parse_int(text) is None
    assert parse_bool(text) is None
    assert parse_enum(text, RiderState) is None
    assert parse_fleet(text, TENANT) is None


def test_a_fleet_is_an_id_or_a_resource_name_of_this_tenant() -> None:
    fleet = uuid.uuid4()
    assert parse_fleet(str(fleet), TENANT) == fleet
    assert parse_fleet(f"tenants/acme/fleets/{fleet}", TENANT) == fleet
    with pytest.raises(ValueError, match="tenant 'other'"):
        parse_fleet(f"tenants/other/fleets/{fleet}", TENANT)
    with pytest.raises(ValueError, match="fleet id"):
        parse_fleet("tenants/acme/riders/x", TENANT)


# The byte stream

# csv rejects NUL; everything else, quotes, commas and newlines included, must survive.
_cell = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=20
)


@given(
    st.lists(st.lists(_cell, min_size=1, max_size=5), max_size=12),
    st.lists(st.integers(1, 64), min_size=1, max_size=40),
)
def test_records_survive_any_split_of_the_bytes(records: list[list[str]], sizes: list[int]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(records)
    data = out.getvalue().encode()
    stream, got, at, i = CsvStream(), [], 0, 0
    while at < len(data):
        size = sizes[i % len(sizes)]
        got.extend(stream.feed(data[at : at + size]))
        at, i = at + size, i + 1
    got.extend(stream.finish())
    assert got == records


def test_a_byte_order_mark_and_crlf_are_accepted() -> None:
    stream = CsvStream()
    records = stream.feed("\ufeffa,b\r\n1,2\r\n".encode()) + stream.finish()
    assert records == [["a", "b"], ["1", "2"]]


def test_the_last_line_needs_no_newline() -> None:
    stream = CsvStream()
    assert stream.feed(b"a,b\n1,2") == [["a", "b"]]
    assert stream.finish() == [["1", "2"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a,b\nCaf\xe9,1\n", "not UTF-8"),
        (b'a,b\n"open,1\n2,3\n', "never closed"),
        (b'a,b\n"x"y,1\n', "not CSV"),
        (b"a,b\nx\x00,1\n", "NUL character"),
    ],
)
def test_a_broken_file_is_invalid(data: bytes, message: str) -> None:
    def read_all() -> None:
        stream = CsvStream()
        stream.feed(data)
        stream.finish()

    with pytest.raises(InvalidArgument, match=message) as caught:
        read_all()
    assert caught.value.violations[0].field == "body"


def test_a_record_longer_than_the_limit_is_invalid_without_buffering_the_file() -> None:
    stream = CsvStream(max_record_chars=100)
    stream.feed(b"x" * 60)
    with pytest.raises(InvalidArgument, match="exceeds 100 characters"):
        stream.feed(b"x" * 60)


# Headers


@given(st.permutations(RIDER_COLUMNS))
def test_the_header_may_list_the_columns_in_any_order(header: list[str]) -> None:
    at = check_header([f" {h.upper()} " for h in header], RIDER_COLUMNS)
    assert [header[i] for i in at] == list(RIDER_COLUMNS)


def test_a_wrong_header_names_every_unknown_repeated_and_missing_column() -> None:
    header = [c for c in RIDER_COLUMNS if c != "phone"] + ["nickname", "zone"]
    with pytest.raises(InvalidArgument) as caught:
        check_header(header, RIDER_COLUMNS)
    assert [v.description for v in caught.value.violations] == [
        "unknown column 'nickname'",
        "column 'zone' appears twice",
        "missing column 'phone'",
    ]


# Rows


def rider_row(**cells: str) -> list[str]:
    base = {c: "" for c in RIDER_COLUMNS} | {"external_id": "EMP-1", "display_name": "Wanjiku"}
    return [(base | cells)[c] for c in RIDER_COLUMNS]


def test_a_full_rider_row_parses_with_normalised_plate() -> None:
    fleet = uuid.uuid4()
    parsed = parse_rider_row(
        7,
        rider_row(
            phone="+254712345678",
            email="w@example.co.ke",
            fleet=str(fleet),
            home_outlet_id="outlet-1",
            zone="cbd",
            vehicle_plate=" kda  123a ",
            vehicle_type="Motorbike",
            state="suspended",
        ),
        RIDER_AT,
        TENANT,
    )
    assert parsed.errors == ()
    assert parsed.key == "EMP-1"
    assert parsed.record == RiderRecord(
        external_id="EMP-1",
        display_name="Wanjiku",
        phone="+254712345678",
        email="w@example.co.ke",
        fleet_id=fleet,
        home_outlet_id="outlet-1",
        zone="cbd",
        vehicle_plate="KDA 123A",
        vehicle_type=VehicleType.MOTORBIKE,
        state=RiderState.SUSPENDED,
    )


def test_empty_cells_leave_a_rider_unset_and_active() -> None:
    parsed = parse_rider_row(1, rider_row(), RIDER_AT, TENANT)
    assert parsed.record == RiderRecord(external_id="EMP-1", display_name="Wanjiku")


def test_every_bad_rider_cell_is_reported_by_column_in_header_order() -> None:
    parsed = parse_rider_row(
        3,
        rider_row(
            external_id="has space",
            display_name=" ",
            phone="0712",
            email="nope",
            fleet="not-a-uuid",
            vehicle_type="rocket",
            state="retired",
        ),
        RIDER_AT,
        TENANT,
    )
    assert parsed.record is None
    assert parsed.key == "has space"  # still a key: a later row repeating it is a duplicate
    assert [(e.row, e.field) for e in parsed.errors] == [
        (3, "external_id"),
        (3, "display_name"),
        (3, "phone"),
        (3, "email"),
        (3, "fleet"),
        (3, "vehicle_type"),
        (3, "state"),
    ]


def test_a_rider_row_needs_an_external_id_and_the_header_width() -> None:
    missing = parse_rider_row(1, rider_row(external_id=""), RIDER_AT, TENANT)
    assert [(e.field, e.message) for e in missing.errors] == [
        ("external_id", "is required: it is the key rows are matched by")
    ]
    short = parse_rider_row(2, ["EMP-1", "Wanjiku"], RIDER_AT, TENANT)
    assert [(e.field, e.message) for e in short.errors] == [
        ("row", "has 2 cells; the header has 10")
    ]


def vehicle_row(**cells: str) -> list[str]:
    base = {c: "" for c in VEHICLE_COLUMNS} | {"plate": "KDA 123A", "type": "van"}
    return [(base | cells)[c] for c in VEHICLE_COLUMNS]


def test_a_vehicle_row_gets_defaults_for_empty_cells() -> None:
    parsed = parse_vehicle_row(1, vehicle_row(plate="kda 123a"), VEHICLE_AT)
    assert parsed.key == "KDA 123A"
    assert parsed.record == VehicleRecord(plate="KDA 123A", type=VehicleType.VAN)


def test_vehicle_rows_follow_the_api_rules_reported_as_csv_columns() -> None:
    parsed = parse_vehicle_row(
        4,
        vehicle_row(
            plate="K!",
            electric="maybe",
            capacity_weight_kg="-5",
            capacity_items="2.5",
            temperature_controlled="true",
            min_temperature_c="9",
            max_temperature_c="4",
            max_stops="-1",
        ),
        VEHICLE_AT,
    )
    assert [e.field for e in parsed.errors] == [
        "plate",
        "electric",
        "capacity_weight_kg",
        "capacity_items",
        "min_temperature_c",
        "max_stops",
    ]


def test_a_vehicle_row_needs_a_plate_and_a_type() -> None:
    parsed = parse_vehicle_row(1, vehicle_row(plate=" ", type=""), VEHICLE_AT)
    assert [e.field for e in parsed.errors] == ["plate", "type"]
    assert parsed.key is None


_plate = st.from_regex(r"[A-Z0-9]{1,3}( [A-Z0-9]{1,4})?[A-Z0-9]", fullmatch=True)
_capacity = st.floats(0, 1e6, allow_nan=False)
_vehicles = st.builds(
    VehicleRecord,
    plate=_plate,
    type=st.sampled_from(list(VehicleType)),
    electric=st.booleans(),
    capacity_weight_kg=_capacity,
    capacity_volume_l=_capacity,
    capacity_items=st.integers(0, 10**6),
    temperature_controlled=st.just(False),
    min_temperature_c=st.floats(-60, 100),
    max_temperature_c=st.floats(-60, 100),
    max_stops=st.integers(0, 2**31 - 1),
    state=st.sampled_from(list(VehicleState)),
)


@given(_vehicles)
def test_an_exported_vehicle_row_imports_as_the_same_vehicle(vehicle: VehicleRecord) -> None:
    assert parse_vehicle_row(1, vehicle_cells(vehicle), VEHICLE_AT).record == vehicle


_riders = st.builds(
    RiderRecord,
    external_id=st.from_regex(r"[\x21-\x7e]{1,20}", fullmatch=True),
    display_name=st.text(min_size=1, max_size=30).filter(str.strip),
    phone=st.none() | st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    email=st.none() | st.just("a@example.com"),
    fleet_id=st.none() | st.uuids(),
    home_outlet_id=st.none() | st.text(min_size=1, max_size=10),
    zone=st.none() | st.text(min_size=1, max_size=10),
    vehicle_plate=st.none() | _plate,
    vehicle_type=st.none() | st.sampled_from(list(VehicleType)),
    state=st.sampled_from(list(RiderState)),
)


@given(_riders)
def test_an_exported_rider_row_imports_as_the_same_rider(rider: RiderRecord) -> None:
    assert parse_rider_row(1, rider_cells(rider), RIDER_AT, TENANT).record == rider
