"""Inventory transfers between two warehouses: the transfer itself, its states, and the
rules that need no I/O: validation, counting in at the drop-off (what is short), and whether
a run of a recurring shuttle route fits a transfer. Pure.

    REQUESTED -> SCHEDULED -> PICKED_UP -> DELIVERED | SHORT
                     |            |
                     v            v
                 CANCELLED    RETURNING -> RETURNED
"""

from __future__ import annotations

import dataclasses
import enum
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from logistics.domain.routes import RouteTemplate, StopSpec
from logistics.domain.tasks import Item
from logistics.domain.telemetry import haversine_m
from logistics.domain.text import shown

Point = tuple[float, float]

# A template's stop is at a warehouse when its id is the outlet's id or its point lies within
# this many metres of the outlet's location.
FIT_RADIUS_M = 150.0
# How many days ahead of the ready time the runs of a template are looked at.
MAX_DAYS_AHEAD = 14
MAX_LINES = 500


class TransferState(enum.StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    SHORT = "short"
    CANCELLED = "cancelled"
    RETURNING = "returning"
    RETURNED = "returned"


ENDED = frozenset(
    {TransferState.DELIVERED, TransferState.SHORT, TransferState.CANCELLED, TransferState.RETURNED}
)


@dataclass(frozen=True)
class Line:
    """A quantity of one sku (received or missing at a drop-off)."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class TransferFilter:
    """ListTransfers' filters; None: any."""

    state: TransferState | None = None
    source_outlet_id: str | None = None
    destination_outlet_id: str | None = None
    task_id: uuid.UUID | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Transfer:
    id: uuid.UUID
    source_outlet_id: str
    destination_outlet_id: str
    source: Point
    destination: Point
    items: tuple[Item, ...]
    ready_time: datetime
    deadline: datetime
    reference: str | None = None
    notes: str | None = None
    state: TransferState = TransferState.REQUESTED
    task_id: uuid.UUID | None = None
    pickup_step_id: str | None = None
    drop_off_step_id: str | None = None
    template_id: uuid.UUID | None = None
    run_date: date | None = None
    received: tuple[Line, ...] | None = None
    missing: tuple[Line, ...] | None = None
    return_task_id: uuid.UUID | None = None
    flow_id: uuid.UUID | None = None
    reason: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0

    @property
    def picked_up(self) -> bool:
        """The goods have left the source (and not come back)."""
        return self.state in (TransferState.PICKED_UP, TransferState.RETURNING)


def validate(t: Transfer, *, has_source: bool, has_destination: bool) -> None:
    """INVALID_ARGUMENT naming every bad field; ``has_*``: whether a location is known for
    the warehouse (from the registry or the request)."""
    out: list[FieldViolation] = []
    for path, outlet, known in (
        ("transfer.source_outlet_id", t.source_outlet_id, has_source),
        ("transfer.destination_outlet_id", t.destination_outlet_id, has_destination),
    ):
        if not outlet.strip():
            out.append(FieldViolation(path, "is required"))
        elif not known:
            out.append(
                FieldViolation(path, "has no location in the outlet registry; give its location")
            )
    if t.source_outlet_id and t.source_outlet_id == t.destination_outlet_id:
        out.append(FieldViolation("transfer.destination_outlet_id", "is the source"))
    for path, (lat, lng) in (
        ("transfer.source_location", t.source),
        ("transfer.destination_location", t.destination),
    ):
        if not (math.isnan(lat) or math.isnan(lng)) and not (
            -90 <= lat <= 90 and -180 <= lng <= 180
        ):
            out.append(FieldViolation(path, "is out of range"))
    if not 1 <= len(t.items) <= MAX_LINES:
        out.append(FieldViolation("transfer.items", f"must have 1 to {MAX_LINES} lines"))
    seen: set[str] = set()
    for i, item in enumerate(t.items):
        if not (item.sku or "").strip():
            out.append(FieldViolation(f"transfer.items[{i}].sku", "is required"))
        elif item.sku in seen:
            out.append(FieldViolation(f"transfer.items[{i}].sku", "is listed twice"))
        seen.add(item.sku or "")
        if item.quantity < 1:
            out.append(FieldViolation(f"transfer.items[{i}].quantity", "must be at least 1"))
        if item.weight_kg < 0 or item.volume_l < 0:
            out.append(
                FieldViolation(f"transfer.items[{i}]", "weight and volume must not be negative")
            )
    if t.deadline <= t.ready_time:
        out.append(FieldViolation("transfer.deadline", "must be after ready_time"))
    if t.reference is not None and len(t.reference) > 128:
        out.append(FieldViolation("transfer.reference", "is longer than 128 characters"))
    if t.notes is not None and len(t.notes) > 1000:
        out.append(FieldViolation("transfer.notes", "is longer than 1000 characters"))
    if out:
        raise InvalidArgument(out)


def require_withdrawable(t: Transfer) -> None:
    """A transfer that ended, or is already on its way back, cannot be withdrawn."""
    if t.state in ENDED or t.state is TransferState.RETURNING:
        raise FailedPrecondition(
            f"cannot cancel a transfer that is {t.state.value}", reason="ILLEGAL_TRANSITION"
        )


# Counting in


def count_in(
    sent: Sequence[Sequence[Item]], received: Sequence[Line] | None
) -> list[tuple[tuple[Line, ...], tuple[Line, ...]]]:
    """What each of the transfers dropped off at one step received and misses, given the
    lines counted in there (``received_items``). None or empty: everything sent arrived.
    A sku counted in is shared out among the transfers in their order, each filled before
    the next. Per transfer: (received, missing), each in the order of its lines, missing
    listing only lines short. A sku not sent, a sku counted twice, a negative count or more
    than was sent is INVALID_ARGUMENT naming ``received_items[i]``."""
    if not received:
        full = [tuple(Line(i.sku or "", i.quantity) for i in items) for items in sent]
        return [(lines, ()) for lines in full]
    totals: dict[str, int] = {}
    for items in sent:
        for item in items:
            totals[item.sku or ""] = totals.get(item.sku or "", 0) + item.quantity
    counted: dict[str, int] = {}
    bad: list[FieldViolation] = []
    for i, line in enumerate(received):
        path = f"received_items[{i}]"
        if line.sku not in totals:
            bad.append(FieldViolation(f"{path}.sku", f"{shown(line.sku)} is not dropped off here"))
        elif line.sku in counted:
            bad.append(FieldViolation(f"{path}.sku", f"{shown(line.sku)} is counted twice"))
        elif line.quantity < 0:
            bad.append(FieldViolation(f"{path}.quantity", "must not be negative"))
        elif line.quantity > totals[line.sku]:
            bad.append(
                FieldViolation(f"{path}.quantity", f"is more than was sent ({totals[line.sku]})")
            )
        else:
            counted[line.sku] = line.quantity
    if bad:
        raise InvalidArgument(bad)
    out = []
    for items in sent:
        got, short = [], []
        for item in items:
            sku = item.sku or ""
            share = min(item.quantity, counted.get(sku, 0))
            counted[sku] = counted.get(sku, 0) - share
            got.append(Line(sku, share))
            if share < item.quantity:
                short.append(Line(sku, item.quantity - share))
        out.append((tuple(got), tuple(short)))
    return out


# Shuttles


@dataclass(frozen=True)
class Load:
    """What a set of lines weighs, fills and counts."""

    weight_kg: float = 0.0
    volume_l: float = 0.0
    item_count: int = 0

    @classmethod
    def of(cls, items: Sequence[Item]) -> Load:
        return cls(
            sum(i.weight_kg * i.quantity for i in items),
            sum(i.volume_l * i.quantity for i in items),
            sum(i.quantity for i in items),
        )

    def __add__(self, other: Load) -> Load:
        return Load(
            self.weight_kg + other.weight_kg,
            self.volume_l + other.volume_l,
            self.item_count + other.item_count,
        )

    def within(self, capacity: Capacity) -> bool:
        """Zero in a dimension of ``capacity`` is no limit in it."""
        return (
            (not capacity.weight_kg or self.weight_kg <= capacity.weight_kg + 1e-9)
            and (not capacity.volume_l or self.volume_l <= capacity.volume_l + 1e-9)
            and (not capacity.item_count or self.item_count <= capacity.item_count)
        )


@dataclass(frozen=True)
class ShuttleRun:
    """One day's run of a template that could carry a transfer: the stops (by index in the
    template) where it would load and unload, their windows that day, the shuttle's room."""

    template_id: uuid.UUID
    template_name: str
    run_date: date
    pickup_stop: int
    drop_stop: int
    pickup_window: Window
    drop_window: Window
    capacity: Capacity


def at_warehouse(stop: StopSpec, outlet_id: str, point: Point) -> bool:
    return stop.id == outlet_id or haversine_m(*stop.point, *point) <= FIT_RADIUS_M


def runs_for(
    template: RouteTemplate, reference: date, transfer: Transfer, now: datetime
) -> list[ShuttleRun]:
    """The template's runs that fit the transfer by route and time, earliest first: on a day
    the template runs, a stop at the source comes before a stop at the destination, both have
    a window, the source's opens no earlier than the ready time and later than ``now`` (the
    shuttle has not called yet), and the destination's closes by the deadline. ``reference``:
    the day the template's windows are written for (they move by whole days). Whether the
    shuttle has room is ``fits``'s question."""
    stops = template.request.stops
    vehicles = template.request.vehicles
    if not vehicles:
        return []
    pairs = [
        (i, j)
        for i, s in enumerate(stops)
        if s.window is not None and at_warehouse(s, transfer.source_outlet_id, transfer.source)
        for j in range(i + 1, len(stops))
        if stops[j].window is not None
        and at_warehouse(stops[j], transfer.destination_outlet_id, transfer.destination)
    ]
    if not pairs:
        return []
    found = []
    first = max(transfer.ready_time, now).astimezone(UTC).date()
    last = min(transfer.deadline.astimezone(UTC).date(), first + timedelta(days=MAX_DAYS_AHEAD))
    day = first
    while day <= last:
        if day.isoweekday() in template.weekdays:
            shift = timedelta(days=(day - reference).days)
            for i, j in pairs:
                pw, dw = _moved(stops[i].window, shift), _moved(stops[j].window, shift)
                if (
                    pw.start >= transfer.ready_time
                    and pw.start > now
                    and dw.end <= transfer.deadline
                ):
                    found.append(
                        ShuttleRun(
                            template.id,
                            template.name,
                            day,
                            i,
                            j,
                            pw,
                            dw,
                            vehicles[0].capacity,
                        )
                    )
                    break  # the earliest pair of the day
        day += timedelta(days=1)
    return found


def _moved(window: Window | None, shift: timedelta) -> Window:
    assert window is not None
    return Window(window.start + shift, window.end + shift)


def fits(run: ShuttleRun, on_board: Load, items: Sequence[Item]) -> bool:
    """The run has room for ``items`` beside what its transfers already load (the
    template's first vehicle's capacity, the whole run's load counted at once)."""
    return (on_board + Load.of(items)).within(run.capacity)


def earliest(runs: Sequence[ShuttleRun]) -> list[ShuttleRun]:
    """Runs in the order they are tried: the earliest drop-off, then the template's name."""
    return sorted(runs, key=lambda r: (r.drop_window.end, r.template_name, r.pickup_stop))


def with_state(t: Transfer, state: TransferState, **changes: object) -> Transfer:
    return dataclasses.replace(t, state=state, **changes)  # type: ignore[arg-type]
