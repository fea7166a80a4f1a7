"""Rows of the fleet CSV import and export: the columns, the record a row carries, parsing and
validating one row with the API's rules, and formatting one row back. Pure: no I/O.
The cells' parsers are in ``csv_cells``, the byte stream in ``csv_stream``.

Rows are numbered from 1 after the header; blank records keep their number but are skipped.
An empty cell means unset (or the column's default).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from logistics.domain.compliance import (
    Capacity,
    Vehicle,
    VehicleState,
    normalise_plate,
    validate_vehicle,
)
from logistics.domain.csv_cells import (
    ABSENT,
    format_bool,
    format_float,
    parse_bool,
    parse_enum,
    parse_fleet,
    parse_float,
    parse_int,
)
from logistics.domain.errors import InvalidArgument
from logistics.domain.fleet import Rider, RiderState, VehicleType, validate_rider
from logistics.domain.ids import TenantSlug

RIDER_COLUMNS = (
    "external_id",
    "display_name",
    "phone",
    "email",
    "fleet",
    "home_outlet_id",
    "zone",
    "vehicle_plate",
    "vehicle_type",
    "state",
)
VEHICLE_COLUMNS = (
    "plate",
    "type",
    "electric",
    "capacity_weight_kg",
    "capacity_volume_l",
    "capacity_items",
    "temperature_controlled",
    "min_temperature_c",
    "max_temperature_c",
    "max_stops",
    "state",
)
_PLACEHOLDER = uuid.UUID(int=0)

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class StageOutcome:
    """What the database made of the staged rows (parse errors are the caller's)."""

    valid: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    error_count: int


@dataclass(frozen=True)
class RiderRecord:
    """One rider as a CSV row carries it: the vehicle by plate, the fleet by id."""

    external_id: str | None
    display_name: str
    phone: str | None = None
    email: str | None = None
    fleet_id: uuid.UUID | None = None
    home_outlet_id: str | None = None
    zone: str | None = None
    vehicle_plate: str | None = None
    vehicle_type: VehicleType | None = None
    state: RiderState = RiderState.ACTIVE


@dataclass(frozen=True)
class VehicleRecord:
    plate: str | None
    type: VehicleType
    electric: bool = False
    capacity_weight_kg: float = 0.0
    capacity_volume_l: float = 0.0
    capacity_items: int = 0
    temperature_controlled: bool = False
    min_temperature_c: float = 0.0
    max_temperature_c: float = 0.0
    max_stops: int = 0
    state: VehicleState = VehicleState.ACTIVE


@dataclass(frozen=True)
class ParsedRow(Generic[T]):
    """One data row: its upsert key when readable (duplicates are found by it), and either
    the record or what is wrong with it."""

    row: int
    key: str | None
    record: T | None
    errors: tuple[RowError, ...] = ()


def text_or_none(cell: str) -> str | None:
    """The cell, or None when it is empty (unset)."""
    return cell if cell != "" else None


class RowCells:
    """A row's cells by column; parse errors are collected, not raised."""

    def __init__(
        self, row: int, cells: Sequence[str], columns: Sequence[str], at: Sequence[int]
    ) -> None:
        self.row = row
        self._columns = columns
        self._values = {c: cells[i] if i >= 0 else "" for c, i in zip(columns, at, strict=True)}
        self._errors: list[RowError] = []

    def raw(self, column: str) -> str:
        return self._values[column]

    def get(self, column: str, parse: Callable[[str], T | None], default: T) -> T:
        try:
            value = parse(self._values[column])
        except ValueError as exc:
            self._errors.append(RowError(self.row, column, str(exc)))
            return default
        return default if value is None else value

    def opt(self, column: str, parse: Callable[[str], T | None]) -> T | None:
        try:
            return parse(self._values[column])
        except ValueError as exc:
            self._errors.append(RowError(self.row, column, str(exc)))
            return None

    def add(self, column: str, message: str) -> None:
        """Records a rule's complaint unless the cell already failed to parse."""
        if not any(e.field == column for e in self._errors):
            self._errors.append(RowError(self.row, column, message))

    def errors(self) -> tuple[RowError, ...]:
        if not self._errors:
            return ()
        order = {c: i for i, c in enumerate(self._columns)}
        return tuple(sorted(self._errors, key=lambda e: order.get(e.field, len(order))))


def width_error(row: int, cells: Sequence[str], at: Sequence[int]) -> RowError | None:
    """A row error when the record does not have one cell per column of the header (``at``:
    the header's positions of the columns, ``ABSENT`` for an optional one it leaves out)."""
    width = len(at) - at.count(ABSENT)  # per row: count() is C, a generator is not
    if len(cells) == width:
        return None
    return RowError(row, "row", f"has {len(cells)} cells; the header has {width}")


def parse_rider_row(
    row: int, cells: Sequence[str], at: Sequence[int], tenant: TenantSlug
) -> ParsedRow[RiderRecord]:
    """Parses and validates one rider row (``at``: the header's positions of RIDER_COLUMNS)."""
    if (wrong := width_error(row, cells, at)) is not None:
        return ParsedRow(row, None, None, (wrong,))
    c = RowCells(row, cells, RIDER_COLUMNS, at)
    external_id = text_or_none(c.raw("external_id"))
    record = RiderRecord(
        external_id=external_id,
        display_name=c.raw("display_name"),
        phone=text_or_none(c.raw("phone")),
        email=text_or_none(c.raw("email")),
        fleet_id=c.opt("fleet", lambda s: parse_fleet(s, tenant)),
        home_outlet_id=text_or_none(c.raw("home_outlet_id")),
        zone=text_or_none(c.raw("zone")),
        vehicle_plate=normalise_plate(c.raw("vehicle_plate")),
        vehicle_type=c.opt("vehicle_type", lambda s: parse_enum(s, VehicleType)),
        state=c.get("state", lambda s: parse_enum(s, RiderState), RiderState.ACTIVE),
    )
    if external_id is None:
        c.add("external_id", "is required: it is the key rows are matched by")
    try:
        validate_rider(rider_of(record))
    except InvalidArgument as exc:
        for v in exc.violations:
            c.add(v.field.removeprefix("rider."), v.description)
    errors = c.errors()
    return ParsedRow(row, external_id, None if errors else record, errors)


def rider_of(record: RiderRecord) -> Rider:
    """The rider a record describes, for the domain's rules (ids are resolved elsewhere)."""
    return Rider(
        id=_PLACEHOLDER,
        display_name=record.display_name,
        external_id=record.external_id,
        fleet_id=record.fleet_id,
        phone=record.phone,
        email=record.email,
        home_outlet_id=record.home_outlet_id,
        zone=record.zone,
        vehicle_type=record.vehicle_type,
        state=record.state,
    )


_VEHICLE_FIELDS = {
    "vehicle.plate": "plate",
    "vehicle.capacity.weight_kg": "capacity_weight_kg",
    "vehicle.capacity.volume_l": "capacity_volume_l",
    "vehicle.capacity.item_count": "capacity_items",
    "vehicle.max_stops": "max_stops",
    "vehicle.min_temperature_c": "min_temperature_c",
}


def parse_vehicle_row(
    row: int, cells: Sequence[str], at: Sequence[int]
) -> ParsedRow[VehicleRecord]:
    """Parses and validates one vehicle row; the plate is normalised (``normalise_plate``)."""
    if (wrong := width_error(row, cells, at)) is not None:
        return ParsedRow(row, None, None, (wrong,))
    c = RowCells(row, cells, VEHICLE_COLUMNS, at)
    plate = normalise_plate(c.raw("plate"))
    kind = c.opt("type", lambda s: parse_enum(s, VehicleType))
    if plate is None:
        c.add("plate", "is required: it is the key rows are matched by")
    if kind is None:
        c.add("type", "is required")
    record = VehicleRecord(
        plate=plate,
        type=kind or VehicleType.CAR,
        electric=c.get("electric", parse_bool, False),
        capacity_weight_kg=c.get("capacity_weight_kg", parse_float, 0.0),
        capacity_volume_l=c.get("capacity_volume_l", parse_float, 0.0),
        capacity_items=c.get("capacity_items", parse_int, 0),
        temperature_controlled=c.get("temperature_controlled", parse_bool, False),
        min_temperature_c=c.get("min_temperature_c", parse_float, 0.0),
        max_temperature_c=c.get("max_temperature_c", parse_float, 0.0),
        max_stops=c.get("max_stops", parse_int, 0),
        state=c.get("state", lambda s: parse_enum(s, VehicleState), VehicleState.ACTIVE),
    )
    if kind is not None:
        try:
            validate_vehicle(vehicle_of(record))
        except InvalidArgument as exc:
            for v in exc.violations:
                c.add(_VEHICLE_FIELDS.get(v.field, v.field), v.description)
    errors = c.errors()
    return ParsedRow(row, plate, None if errors else record, errors)


def vehicle_of(record: VehicleRecord) -> Vehicle:
    return Vehicle(
        id=_PLACEHOLDER,
        type=record.type,
        plate=record.plate,
        electric=record.electric,
        capacity=Capacity(
            record.capacity_weight_kg, record.capacity_volume_l, record.capacity_items
        ),
        temperature_controlled=record.temperature_controlled,
        min_temperature_c=record.min_temperature_c,
        max_temperature_c=record.max_temperature_c,
        max_stops=record.max_stops,
        state=record.state,
    )


def rider_cells(r: RiderRecord) -> list[str]:
    """The row of ``r`` in RIDER_COLUMNS order, as the import reads it back."""
    return [
        r.external_id or "",
        r.display_name,
        r.phone or "",
        r.email or "",
        str(r.fleet_id) if r.fleet_id else "",
        r.home_outlet_id or "",
        r.zone or "",
        r.vehicle_plate or "",
        r.vehicle_type.value if r.vehicle_type else "",
        r.state.value,
    ]


def vehicle_cells(v: VehicleRecord) -> list[str]:
    return [
        v.plate or "",
        v.type.value,
        format_bool(v.electric),
        format_float(v.capacity_weight_kg),
        format_float(v.capacity_volume_l),
        str(v.capacity_items),
        format_bool(v.temperature_controlled),
        format_float(v.min_temperature_c),
        format_float(v.max_temperature_c),
        str(v.max_stops),
        v.state.value,
    ]
