"""Outlet rules: names with the platform's text ids, weekly hours in a time zone (each bad
period named by its place in the request), whether an outlet is open at a moment, and a
pickup placed at the outlet it names."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from logistics.domain.addresses import AddressState
from logistics.domain.errors import InvalidArgument
from logistics.domain.outlets import (
    OpeningHours,
    Outlet,
    check_outlet,
    normalised,
    outlet_name,
    parse_outlet_name,
    place_at_outlets,
)
from logistics.domain.tasks import UNPLACED, Step, StepKind, Task, TaskKind, validate_task


def violations(outlet: Outlet) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as caught:
        check_outlet(outlet)
    return {v.field: v.description for v in caught.value.violations}


def test_an_outlet_name_round_trips_with_a_text_id() -> None:
    name = parse_outlet_name("tenants/acme/outlets/store-42:main")
    assert (name.tenant, name.id) == ("acme", "store-42:main")
    assert outlet_name(name.tenant, name.id) == "tenants/acme/outlets/store-42:main"


@pytest.mark.parametrize(
    "value",
    ["tenants/acme/outlets/", "tenants/acme/outlets/a/b", "tenants/acme/fleets/x", "x" * 10],
)
def test_a_malformed_outlet_name_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_outlet_name(value, "outlet.name")
    assert [v.field for v in caught.value.violations] == ["outlet.name"]


def test_hours_need_a_real_time_zone() -> None:
    hours = (OpeningHours(1, 480, 1200),)
    assert set(violations(Outlet("o", opening_hours=hours))) == {"outlet.time_zone"}
    assert set(violations(Outlet("o", time_zone="Mars/Olympus", opening_hours=hours))) == {
        "outlet.time_zone"
    }
    check_outlet(Outlet("o", time_zone="Africa/Nairobi", opening_hours=hours))


def test_each_bad_period_is_named_by_its_place_in_the_request() -> None:
    hours = (
        OpeningHours(1, 480, 1200),
        OpeningHours(8, 480, 1200),
        OpeningHours(2, 1440, 1441),
        OpeningHours(3, 600, 600),
    )
    assert set(violations(Outlet("o", time_zone="UTC", opening_hours=hours))) == {
        "outlet.opening_hours[1].weekday",
        "outlet.opening_hours[2].open_minute",
        "outlet.opening_hours[2].close_minute",
        "outlet.opening_hours[3].close_minute",
    }


def test_overlapping_periods_on_one_day_are_refused_but_adjacent_ones_are_not() -> None:
    overlapping = (OpeningHours(5, 900, 1440), OpeningHours(5, 480, 901))
    assert set(violations(Outlet("o", time_zone="UTC", opening_hours=overlapping))) == {
        "outlet.opening_hours[0]"
    }
    adjacent = (OpeningHours(5, 900, 1440), OpeningHours(5, 480, 900), OpeningHours(6, 0, 120))
    check_outlet(Outlet("o", time_zone="UTC", opening_hours=adjacent))


def test_long_texts_are_refused() -> None:
    assert set(violations(Outlet("o", display_name="x" * 201, pickup_instructions="y" * 1001))) == {
        "outlet.display_name",
        "outlet.pickup_instructions",
    }


def test_open_is_read_in_the_outlets_time_zone() -> None:
    # Monday 08:00 to 22:00 in Nairobi (UTC+3), and Saturday past midnight as two periods.
    outlet = normalised(
        Outlet(
            "o",
            time_zone="Africa/Nairobi",
            opening_hours=(
                OpeningHours(6, 0, 120),
                OpeningHours(1, 480, 1320),
                OpeningHours(5, 1200, 1440),
            ),
        )
    )
    assert [h.weekday for h in outlet.opening_hours] == [1, 5, 6]
    monday = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    assert outlet.is_open(monday.replace(hour=5)) is True  # 08:00 local
    assert outlet.is_open(monday.replace(hour=4, minute=59)) is False
    assert outlet.is_open(monday.replace(hour=19)) is False  # 22:00 local: closed
    saturday_1am = datetime(2026, 1, 9, 22, 0, tzinfo=UTC)  # Saturday 01:00 local
    assert outlet.is_open(saturday_1am) is True
    assert Outlet("o").is_open(monday) is None


def _task(*steps: Step) -> Task:
    return Task(uuid.uuid4(), TaskKind.DELIVERY, steps)


DROP = Step("1", StepKind.DROP_OFF, -1.3, 36.78)


def test_a_pickup_naming_an_outlet_takes_its_place_address_and_instructions() -> None:
    shop = Outlet(
        "shop", latitude=-1.28, longitude=36.81, address="Moi Ave", pickup_instructions="Bell"
    )
    at_shop = Step("0", StepKind.PICKUP, *UNPLACED, outlet_id="shop")
    placed = place_at_outlets(_task(at_shop, DROP), {"shop": shop})
    step = placed.steps[0]
    assert (step.latitude, step.longitude, step.address, step.instructions) == (
        -1.28,
        36.81,
        "Moi Ave",
        "Bell",
    )
    assert placed.steps[1] == DROP
    validate_task(placed)
    given = Step("0", StepKind.PICKUP, *UNPLACED, outlet_id="shop", address="Gate B")
    assert place_at_outlets(_task(given, DROP), {"shop": shop}).steps[0].address == "Gate B"


def test_an_unknown_or_unplaced_outlet_is_refused_naming_each_step() -> None:
    steps = (
        Step("0", StepKind.PICKUP, *UNPLACED, outlet_id="gone"),
        Step("1", StepKind.PICKUP, *UNPLACED, outlet_id="no-pin"),
    )
    with pytest.raises(InvalidArgument) as caught:
        place_at_outlets(_task(*steps), {"no-pin": Outlet("no-pin")})
    assert [v.field for v in caught.value.violations] == [
        "task.steps[0].outlet_id",
        "task.steps[1].outlet_id",
    ]


def test_a_pickup_with_an_address_at_an_unknown_outlet_is_left_to_the_geocoder() -> None:
    pending = Step(
        "0",
        StepKind.PICKUP,
        *UNPLACED,
        outlet_id="gone",
        address="Moi Ave 12",
        address_state=AddressState.PENDING,
    )
    step = place_at_outlets(_task(pending, DROP), {}).steps[0]
    assert (step.latitude, step.longitude, step.address_state) == (0.0, 0.0, AddressState.PENDING)
    validate_task(_task(step, DROP))


def test_a_step_left_without_a_point_never_validates() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_task(_task(Step("0", StepKind.PICKUP, *UNPLACED), DROP))
    assert [v.field for v in caught.value.violations] == ["task.steps[0].location"]
