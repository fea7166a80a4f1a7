"""Outlets as known here: their id in the platform service that owns them, where they are,
their weekly opening hours in a time zone, and what a rider picking up there must know."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logistics.domain.addresses import AddressState
from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.ids import TenantSlug, parse_tenant_slug
from logistics.domain.tasks import Task, unplaced
from logistics.domain.text import shown

DAY_MINUTES = 24 * 60
OUTLET_UPDATABLE = frozenset(
    {"display_name", "location", "address", "pickup_instructions", "time_zone", "opening_hours"}
)


@dataclass(frozen=True)
class OutletName:
    tenant: TenantSlug
    id: str


def outlet_name(tenant: TenantSlug, outlet_id: str) -> str:
    return f"tenants/{tenant}/outlets/{outlet_id}"


def check_outlet_id(value: str, field: str) -> str:
    if not 0 < len(value) <= 128 or "/" in value or not value.isprintable():
        raise InvalidArgument.field(
            field, f"{shown(value)} is not an outlet id (1 to 128 printable characters, no '/')"
        )
    return value


def parse_outlet_name(value: str, field: str = "name") -> OutletName:
    """Parses ``tenants/{tenant}/outlets/{outlet}``; the outlet id is the platform's text id."""
    parts = value.split("/", 3)
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "outlets":
        raise InvalidArgument.field(
            field, f"{shown(value)} is not of the form tenants/{{tenant}}/outlets/{{outlet}}"
        )
    return OutletName(parse_tenant_slug(parts[1], field), check_outlet_id(parts[3], field))


@dataclass(frozen=True, order=True)
class OpeningHours:
    """Open from ``open_minute`` to ``close_minute`` after midnight on ISO ``weekday``."""

    weekday: int
    open_minute: int
    close_minute: int


@dataclass(frozen=True)
class Outlet:
    id: str
    display_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    pickup_instructions: str = ""
    time_zone: str = ""
    opening_hours: tuple[OpeningHours, ...] = ()
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 1

    def is_open(self, at: datetime) -> bool | None:
        """Whether the outlet is open at ``at``; ``None`` when its hours are unknown."""
        if not self.opening_hours:
            return None
        local = at.astimezone(ZoneInfo(self.time_zone))
        minute = local.hour * 60 + local.minute
        return any(
            h.weekday == local.isoweekday() and h.open_minute <= minute < h.close_minute
            for h in self.opening_hours
        )


def hours_violations(
    time_zone: str, hours: tuple[OpeningHours, ...], prefix: str
) -> list[FieldViolation]:
    """Each period on a weekday, inside the day, not overlapping another; a real zone."""
    bad = []
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            bad.append(
                FieldViolation(f"{prefix}.time_zone", f"{shown(time_zone)} is not an IANA zone")
            )
    elif hours:
        bad.append(FieldViolation(f"{prefix}.time_zone", "is required with opening_hours"))
    for i, h in enumerate(hours):
        field = f"{prefix}.opening_hours[{i}]"
        if not 1 <= h.weekday <= 7:
            bad.append(FieldViolation(f"{field}.weekday", "give an ISO weekday, 1 (Monday) to 7"))
        if not 0 <= h.open_minute < DAY_MINUTES:
            bad.append(FieldViolation(f"{field}.open_minute", "must be 0 to 1439"))
        if not h.open_minute < h.close_minute <= DAY_MINUTES:
            bad.append(
                FieldViolation(f"{field}.close_minute", "must be after open_minute, at most 1440")
            )
    if not bad:
        ordered = sorted(enumerate(hours), key=lambda p: p[1])
        for (_, a), (j, b) in itertools.pairwise(ordered):
            if a.weekday == b.weekday and b.open_minute < a.close_minute:
                bad.append(
                    FieldViolation(f"{prefix}.opening_hours[{j}]", "overlaps another period")
                )
    return bad


def check_outlet(outlet: Outlet, prefix: str = "outlet") -> None:
    """The outlet's details valid, or INVALID_ARGUMENT naming each bad field."""
    bad = []
    if len(outlet.display_name) > 200:
        bad.append(FieldViolation(f"{prefix}.display_name", "at most 200 characters"))
    if len(outlet.address) > 500:
        bad.append(FieldViolation(f"{prefix}.address", "at most 500 characters"))
    if len(outlet.pickup_instructions) > 1000:
        bad.append(FieldViolation(f"{prefix}.pickup_instructions", "at most 1000 characters"))
    bad.extend(hours_violations(outlet.time_zone, outlet.opening_hours, prefix))
    if bad:
        raise InvalidArgument(bad)


def changed(outlet: Outlet, changes: dict[str, object]) -> Outlet:
    """The outlet with ``changes`` (fields named as in ``OUTLET_UPDATABLE``) applied."""
    values = dict(changes)
    if "location" in values:
        point = values.pop("location")
        lat, lng = point if isinstance(point, tuple) else (None, None)
        values["latitude"], values["longitude"] = lat, lng
    return dataclasses.replace(outlet, **values)  # type: ignore[arg-type]


def changed_fields(before: Outlet, after: Outlet) -> tuple[str, ...]:
    """The ``OUTLET_UPDATABLE`` fields whose values differ, in a fixed order."""

    def values(o: Outlet) -> dict[str, object]:
        return {
            "display_name": o.display_name,
            "location": (o.latitude, o.longitude),
            "address": o.address,
            "pickup_instructions": o.pickup_instructions,
            "time_zone": o.time_zone,
            "opening_hours": o.opening_hours,
        }

    old, new = values(before), values(after)
    return tuple(f for f in new if old[f] != new[f])


def normalised(outlet: Outlet) -> Outlet:
    """Its hours in weekday and time order, once checked (violations name the given order)."""
    return dataclasses.replace(outlet, opening_hours=tuple(sorted(outlet.opening_hours)))


def place_at_outlets(task: Task, outlets: Mapping[str, Outlet]) -> Task:
    """The task with each pickup step that names an outlet and gives no point placed there:
    the outlet's location, and its address and pickup instructions where the step has none.
    An outlet not in ``outlets`` (the registry), or without a location, leaves a step with an
    address to the geocoder, and is INVALID_ARGUMENT naming the ``outlet_id`` of one without."""
    steps, bad = [], []
    for i, step in enumerate(task.steps):
        if not unplaced(step) or step.outlet_id is None:
            steps.append(step)
            continue
        outlet = outlets.get(step.outlet_id)
        if outlet is None or outlet.latitude is None or outlet.longitude is None:
            if (step.address or "").strip():  # the geocoder places it instead
                steps.append(dataclasses.replace(step, latitude=0.0, longitude=0.0))
                continue
            why = "is not in the outlet registry" if outlet is None else "has no location"
            bad.append(
                FieldViolation(
                    f"task.steps[{i}].outlet_id",
                    f"outlet {shown(step.outlet_id)} {why}; give the step a location",
                )
            )
            continue
        steps.append(
            dataclasses.replace(
                step,
                latitude=outlet.latitude,
                longitude=outlet.longitude,
                address=step.address or outlet.address or None,
                address_state=AddressState.GIVEN,
                instructions=step.instructions or outlet.pickup_instructions or None,
            )
        )
    if bad:
        raise InvalidArgument(bad)
    return dataclasses.replace(task, steps=tuple(steps))
