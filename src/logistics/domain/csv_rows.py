"""Rows of the fleet CSV import and export: headers, the stream of records, parsing and
validating one row with the API's rules, and formatting one row back. Pure: no I/O.

Rows are numbered from 1 after the header; blank records keep their number but are skipped.
An empty cell means unset (or the column's default).
"""

from __future__ import annotations

import codecs
import csv
import math
import re
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
from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.fleet import Rider, RiderState, VehicleType, validate_rider
from logistics.domain.ids import TenantSlug, parse_name
from logistics.domain.text import shown

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
MAX_RECORD_CHARS = 1 << 20
_INT32 = 2**31 - 1
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
_PLACEHOLDER = uuid.UUID(int=0)

T = TypeVar("T")
E = TypeVar("E", VehicleType, RiderState, VehicleState)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


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


# Cells


def parse_bool(text: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("must be true or false")


def parse_float(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    if not _NUMBER.fullmatch(value) or not math.isfinite(number := float(value)):
        raise ValueError("must be a number such as 12.5")
    return number


def parse_int(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not _INTEGER.fullmatch(value) or not -_INT32 - 1 <= (number := int(value)) <= _INT32:
        raise ValueError("must be a whole number of at most 10 digits")
    return number


def parse_enum(text: str, kind: type[E]) -> E | None:
    value = text.strip().lower()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"must be one of {', '.join(m.value for m in kind)}") from None


def parse_fleet(text: str, tenant: TenantSlug) -> uuid.UUID | None:
    """A fleet id, or its resource name ``tenants/{tenant}/fleets/{id}`` in this tenant."""
    value = text.strip()
    if not value:
        return None
    if "/" not in value:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError("must be a fleet id or tenants/{tenant}/fleets/{id}") from None
    try:
        name = parse_name(value, "fleets")
    except InvalidArgument:
        raise ValueError("must be a fleet id or tenants/{tenant}/fleets/{id}") from None
    if name.tenant != tenant:
        raise ValueError(f"names a fleet of tenant {shown(name.tenant)}, not {shown(tenant)}")
    return name.id


def format_float(value: float) -> str:
    """The shortest text that parses back to ``value``: 500, 2.5, 1e-05."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def _text(cell: str) -> str | None:
    return cell if cell != "" else None


# Headers


def check_header(cells: Sequence[str], columns: Sequence[str]) -> tuple[int, ...]:
    """The position of each of ``columns`` in a header that must hold exactly those columns,
    in any order. Raises InvalidArgument naming unknown, repeated and missing columns."""
    names = [c.strip().lower() for c in cells]
    out: list[FieldViolation] = []
    seen: set[str] = set()
    for name in names:
        if name not in columns:
            out.append(FieldViolation("header", f"unknown column {shown(name)}"))
        elif name in seen:
            out.append(FieldViolation("header", f"column {shown(name)} appears twice"))
        seen.add(name)
    out.extend(
        FieldViolation("header", f"missing column {shown(c)}") for c in columns if c not in seen
    )
    if out:
        raise InvalidArgument(out)
    return tuple(names.index(c) for c in columns)


# Rows


class _Cells:
    """A row's cells by column; parse errors are collected, not raised."""

    def __init__(
        self, row: int, cells: Sequence[str], columns: Sequence[str], at: Sequence[int]
    ) -> None:
        self.row = row
        self._columns = columns
        self._values = {c: cells[i] for c, i in zip(columns, at, strict=True)}
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
        order = {c: i for i, c in enumerate(self._columns)}
        return tuple(sorted(self._errors, key=lambda e: order.get(e.field, len(order))))


def _width_error(row: int, cells: Sequence[str], columns: Sequence[str]) -> RowError | None:
    if len(cells) == len(columns):
        return None
    return RowError(row, "row", f"has {len(cells)} cells; the header has {len(columns)}")


def parse_rider_row(
    row: int, cells: Sequence[str], at: Sequence[int], tenant: TenantSlug
) -> ParsedRow[RiderRecord]:
    """Parses and validates one rider row (``at``: the header's positions of RIDER_COLUMNS)."""
    if (wrong := _width_error(row, cells, RIDER_COLUMNS)) is not None:
        return ParsedRow(row, None, None, (wrong,))
    c = _Cells(row, cells, RIDER_COLUMNS, at)
    external_id = _text(c.raw("external_id"))
    record = RiderRecord(
        external_id=external_id,
        display_name=c.raw("display_name"),
        phone=_text(c.raw("phone")),
        email=_text(c.raw("email")),
        fleet_id=c.opt("fleet", lambda s: parse_fleet(s, tenant)),
        home_outlet_id=_text(c.raw("home_outlet_id")),
        zone=_text(c.raw("zone")),
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
    if (wrong := _width_error(row, cells, VEHICLE_COLUMNS)) is not None:
        return ParsedRow(row, None, None, (wrong,))
    c = _Cells(row, cells, VEHICLE_COLUMNS, at)
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


# The byte stream


def _broken(message: str) -> InvalidArgument:
    return InvalidArgument.field("body", message)


class CsvStream:
    """Turns UTF-8 bytes, fed in chunks of any size, into CSV records as they complete.

    Lines are handed to ``csv`` only in whole records: a newline ends a record exactly when
    the record so far holds an even number of quote characters. Memory is bounded by the
    longest record (MAX_RECORD_CHARS), not by the file. Errors are InvalidArgument on
    ``body``: the file is not UTF-8, not CSV, or has an unterminated quoted field.
    """

    def __init__(self, max_record_chars: int = MAX_RECORD_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._max = max_record_chars
        self._tail = ""
        self._pending: list[str] = []
        self._pending_chars = 0
        self._quotes = 0
        self._started = False
        self.line = 0  # physical lines handed to csv so far

    def feed(self, data: bytes) -> list[list[str]]:
        return self._lines(self._decode(data, final=False), final=False)

    def finish(self) -> list[list[str]]:
        records = self._lines(self._decode(b"", final=True), final=True)
        if self._pending:
            raise _broken(f"a quoted field opened at line {self.line + 1} is never closed")
        return records

    def _decode(self, data: bytes, *, final: bool) -> str:
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise _broken(f"is not UTF-8 text ({exc.reason})") from None
        if "\x00" in text:  # csv would take it, PostgreSQL text cannot hold it
            raise _broken(f"contains a NUL character near line {self.line + 1}: it is not text")
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        return text

    def _lines(self, text: str, *, final: bool) -> list[list[str]]:
        parts = (self._tail + text).split("\n")
        self._tail = parts.pop()
        if final and self._tail:
            parts.append(self._tail)
            self._tail = ""
        if len(self._tail) + self._pending_chars > self._max:
            raise _broken(f"a record near line {self.line + 1} exceeds {self._max} characters")
        complete: list[str] = []
        for part in parts:
            line = part + "\n"
            self._pending.append(line)
            self._pending_chars += len(line)
            self._quotes += line.count('"')
            if self._quotes % 2 == 0:
                complete.extend(self._pending)
                self._pending.clear()
                self._pending_chars = self._quotes = 0
            elif self._pending_chars > self._max:
                raise _broken(f"a quoted field opened near line {self.line + 1} never closes")
        return self._parse(complete)

    def _parse(self, lines: list[str]) -> list[list[str]]:
        if not lines:
            return []
        reader = csv.reader(lines, strict=True)
        try:
            records = list(reader)
        except csv.Error as exc:
            raise _broken(f"is not CSV: line {self.line + reader.line_num}: {exc}") from None
        self.line += len(lines)
        return records
