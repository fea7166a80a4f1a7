"""Rows of the task import and export (CSV or XLSX): the columns, parsing and validating one row
into a task with CreateTask's rules, and formatting a task back into a row. Pure: no I/O.

A row is one task of two steps, a pickup then a drop-off (the shape upstream order exports
have); its ``request_id`` is CreateTask's idempotency key. Rows are numbered from 1 after the
header; an empty cell means unset (or the column's default). A pickup that names an outlet
and gives neither a point nor an address is left unplaced here: the import places it at the
outlet's registered location (``outlets.place_at_outlets``), as CreateTask does.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from logistics.domain.addresses import WAITING, AddressState
from logistics.domain.compliance import Window
from logistics.domain.csv_cells import (
    format_bool,
    format_float,
    format_time,
    parse_bool,
    parse_enum,
    parse_float,
    parse_int,
    parse_time,
)
from logistics.domain.csv_rows import ParsedRow, RowCells, text_or_none, width_error
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import TASKS
from logistics.domain.returns import TaskPurpose
from logistics.domain.tasks import (
    UNPLACED,
    ProofKind,
    Step,
    StepKind,
    Task,
    TaskKind,
    unplaced,
    validate_task,
)

_STEP_COLUMNS = (
    "latitude",
    "longitude",
    "address",
    "outlet_id",
    "contact_name",
    "contact_phone",
    "window_start",
    "window_end",
    "service_seconds",
    "proofs",
)
# The step columns' prefixes, in the order of the task's steps.
STEP_PREFIXES = ("pickup", "dropoff")
TASK_COLUMNS = (
    "request_id",
    "order_id",
    "kind",
    "priority",
    "outlet_id",
    *(f"pickup_{c}" for c in _STEP_COLUMNS),
    "pickup_curbside",
    *(f"dropoff_{c}" for c in _STEP_COLUMNS),
    "pickup_deadline",
    "delivery_deadline",
    "ready_time",
    "notes",
    "origin_task",
    "purpose",
)
# Columns added after files were first exported: a header may leave them out (read as empty),
# so those files still import.
OPTIONAL_TASK_COLUMNS = frozenset({"pickup_curbside", "ready_time", "origin_task", "purpose"})
MAX_REQUEST_ID = 128


@dataclass(frozen=True)
class TaskRow:
    """One row's task (CREATED, no codes) and the idempotency key it is created under."""

    task: Task
    request_id: str | None


@functools.lru_cache(maxsize=256)  # a file repeats a few combinations on every row
def _proofs(text: str) -> frozenset[ProofKind] | None:
    """Proof kinds separated by ``;`` (``signature;photo``)."""
    names = [n for n in text.replace(",", ";").split(";") if n.strip()]
    if not names:
        return None
    kinds = set()
    for name in names:
        kind = parse_enum(name, ProofKind)
        if kind is ProofKind.ONE_TIME_CODE:
            raise ValueError(
                "one_time_code cannot be imported: CreateTask and BatchCreateTasks issue "
                "the codes and return them, an import has nowhere to"
            )
        if kind is not None:
            kinds.add(kind)
    return frozenset(kinds)


def _window(c: RowCells, prefix: str) -> Window | None:
    start = c.opt(f"{prefix}_window_start", parse_time)
    end = c.opt(f"{prefix}_window_end", parse_time)
    if (start is None) != (end is None):
        missing = "start" if start is None else "end"
        c.add(f"{prefix}_window_{missing}", "is required when the window's other end is given")
        return None
    return Window(start, end) if start and end else None


def _step(c: RowCells, index: int, kind: StepKind) -> Step:
    p = STEP_PREFIXES[index]
    latitude = c.opt(f"{p}_latitude", parse_float)
    longitude = c.opt(f"{p}_longitude", parse_float)
    address = text_or_none(c.raw(f"{p}_address"))
    outlet_id = text_or_none(c.raw(f"{p}_outlet_id"))
    no_point = not (c.raw(f"{p}_latitude").strip() or c.raw(f"{p}_longitude").strip())
    # An address with no point at all is geocoded later (``domain.addresses``); a pickup naming
    # only an outlet is placed at it by the import.
    address_only = address is not None and no_point
    at_outlet = kind is StepKind.PICKUP and outlet_id is not None and no_point and not address
    for column, value in ((f"{p}_latitude", latitude), (f"{p}_longitude", longitude)):
        if value is None and not (address_only or at_outlet):
            c.add(column, "is required")
    if at_outlet:
        latitude, longitude = UNPLACED
    return Step(
        id=str(index),
        kind=kind,
        latitude=latitude if latitude is not None else 0.0,
        longitude=longitude if longitude is not None else 0.0,
        address=address,
        address_state=AddressState.PENDING if address_only else AddressState.GIVEN,
        outlet_id=outlet_id,
        window=_window(c, p),
        contact_name=text_or_none(c.raw(f"{p}_contact_name")),
        contact_phone=text_or_none(c.raw(f"{p}_contact_phone")),
        required_proofs=c.get(f"{p}_proofs", _proofs, frozenset()),
        service_seconds=c.get(f"{p}_service_seconds", parse_int, 0),
        curbside=kind is StepKind.PICKUP and c.get("pickup_curbside", parse_bool, False),
    )


def column_of(field: str) -> str:
    """The column of one of validate_task's fields (``task.steps[1].window``)."""
    name = field.removeprefix("task.")
    if name.startswith("steps["):
        index, _, rest = name.removeprefix("steps[").partition("].")
        if index.isdigit() and int(index) < len(STEP_PREFIXES):
            p = STEP_PREFIXES[int(index)]
            return {
                "location": f"{p}_latitude",
                "window": f"{p}_window_end",
                "required_proofs": f"{p}_proofs",
            }.get(rest, f"{p}_{rest}")
    return name


def _origin(c: RowCells, tenant: TenantSlug | None) -> uuid.UUID | None:
    """The forward task a row names (``tenants/{tenant}/tasks/{id}``), of ``tenant``."""
    text = c.raw("origin_task").strip()
    if not text:
        return None
    try:
        name = TASKS.parse(text, "origin_task")
    except InvalidArgument:
        c.add("origin_task", "is not a task's name (tenants/{tenant}/tasks/{id})")
        return None
    if tenant is not None and name.tenant != tenant:
        c.add("origin_task", f"names a task of another tenant than {tenant}")
        return None
    return name.id


def parse_task_row(
    row: int,
    cells: Sequence[str],
    at: Sequence[int],
    new_id: Callable[[], uuid.UUID],
    tenant: TenantSlug | None = None,
) -> ParsedRow[TaskRow]:
    """Parses and validates one row (``at``: the header's positions of TASK_COLUMNS); the
    task gets the id ``new_id`` makes. The row's key is its request_id. ``tenant``: the one
    importing, whose task a row's ``origin_task`` must name."""
    if (wrong := width_error(row, cells, at)) is not None:
        return ParsedRow(row, None, None, (wrong,))
    c = RowCells(row, cells, TASK_COLUMNS, at)
    request_id = text_or_none(c.raw("request_id").strip())
    if request_id is not None and len(request_id) > MAX_REQUEST_ID:
        c.add("request_id", f"must be 1 to {MAX_REQUEST_ID} characters")
    deadlines: list[datetime | None] = [
        c.opt("pickup_deadline", parse_time),
        c.opt("delivery_deadline", parse_time),
        c.opt("ready_time", parse_time),
    ]
    task = Task(
        id=new_id(),
        kind=c.get("kind", lambda s: parse_enum(s, TaskKind), TaskKind.DELIVERY),
        steps=(_step(c, 0, StepKind.PICKUP), _step(c, 1, StepKind.DROP_OFF)),
        order_id=text_or_none(c.raw("order_id")),
        outlet_id=text_or_none(c.raw("outlet_id")),
        priority=c.get("priority", parse_int, 0),
        pickup_deadline=deadlines[0],
        delivery_deadline=deadlines[1],
        ready_time=deadlines[2],
        notes=text_or_none(c.raw("notes")),
        origin_task_id=_origin(c, tenant),
        purpose=c.get("purpose", lambda s: parse_enum(s, TaskPurpose), TaskPurpose.UNSPECIFIED),
    )
    try:
        validate_task(task)
    except InvalidArgument as exc:
        for v in exc.violations:
            if not (v.field == "task.steps[0].location" and unplaced(task.steps[0])):
                c.add(column_of(v.field), v.description)  # an unplaced pickup: placed later
    errors = c.errors()
    return ParsedRow(row, request_id, None if errors else TaskRow(task, request_id), errors)


def exportable(task: Task) -> bool:
    """Whether a row can carry ``task``: a pickup, then a drop-off."""
    return tuple(s.kind for s in task.steps) == (StepKind.PICKUP, StepKind.DROP_OFF)


def _step_cells(s: Step) -> list[str]:
    """A step's cells in ``_STEP_COLUMNS`` order."""
    located = s.address_state not in WAITING  # a waiting step's point is a placeholder
    return [
        format_float(s.latitude) if located else "",
        format_float(s.longitude) if located else "",
        s.address or "",
        s.outlet_id or "",
        s.contact_name or "",
        s.contact_phone or "",
        format_time(s.window.start if s.window else None),
        format_time(s.window.end if s.window else None),
        str(s.service_seconds),
        # one_time_code too: the import refuses such a row rather than lose the requirement.
        ";".join(sorted(p.value for p in s.required_proofs)),
    ]


def task_cells(task: Task, tenant: TenantSlug) -> list[str]:
    """The row of an ``exportable`` task of ``tenant`` in TASK_COLUMNS order, as the import
    reads it back (request_id empty: the key a task was created under is not kept with it)."""
    return [
        "",
        task.order_id or "",
        task.kind.value,
        str(task.priority),
        task.outlet_id or "",
        *_step_cells(task.steps[0]),
        format_bool(task.steps[0].curbside),
        *_step_cells(task.steps[1]),
        format_time(task.pickup_deadline),
        format_time(task.delivery_deadline),
        format_time(task.ready_time),
        task.notes or "",
        TASKS.name(tenant, task.origin_task_id) if task.origin_task_id else "",
        task.purpose.value if task.purpose is not TaskPurpose.UNSPECIFIED else "",
    ]
