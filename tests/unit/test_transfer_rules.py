"""Transfers' pure rules: which shuttle runs fit a transfer (route, times, room), counting
in at a drop-off (what is short, shared among the transfers dropped there), validation."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.compliance import Capacity, Window
from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.routes import PlanRequest, RouteTemplate, StopSpec, VehicleSpec
from logistics.domain.tasks import Item
from logistics.domain.transfers import (
    Line,
    Load,
    Transfer,
    TransferState,
    count_in,
    earliest,
    fits,
    require_withdrawable,
    runs_for,
    validate,
)

# Thursday 3 December 2026; the templates' windows are written for that day.
DAY = date(2026, 12, 3)
NOON = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
WESTLANDS, INDUSTRIAL, MOMBASA_RD = (-1.2676, 36.8108), (-1.3070, 36.8510), (-1.3300, 36.8900)


def at(hours: float, days: int = 0) -> datetime:
    return NOON + timedelta(hours=hours, days=days)


def stop(id_: str, point: tuple[float, float], start_h: float, end_h: float) -> StopSpec:
    return StopSpec(id_, point, window=Window(at(start_h), at(end_h)))


HUNDRED_ITEMS = Capacity(item_count=100)


def template(
    *stops: StopSpec,
    weekdays: frozenset[int] = frozenset(range(1, 8)),
    capacity: Capacity = HUNDRED_ITEMS,
    name: str = "loop",
) -> RouteTemplate:
    vehicle = VehicleSpec("van", WESTLANDS, WESTLANDS, capacity=capacity)
    return RouteTemplate(uuid.uuid4(), name, PlanRequest(stops, (vehicle,)), weekdays, time(5))


def transfer(
    ready: datetime = NOON, deadline: datetime | None = None, **changes: object
) -> Transfer:
    t = Transfer(
        uuid.uuid4(),
        "wh-westlands",
        "wh-industrial",
        WESTLANDS,
        INDUSTRIAL,
        (Item(sku="rice-5kg", quantity=10, weight_kg=5.0),),
        ready,
        deadline or ready + timedelta(hours=8),
    )
    return dataclasses.replace(t, **changes)  # type: ignore[arg-type]


LOOP = (
    stop("wh-westlands", WESTLANDS, 2, 2.5),
    stop("hub", MOMBASA_RD, 3, 3.5),
    stop("wh-industrial", INDUSTRIAL, 4, 4.5),
)


def test_a_run_fits_when_it_calls_at_the_source_then_the_destination_in_time() -> None:
    (run,) = runs_for(template(*LOOP), DAY, transfer(deadline=at(5)), now=NOON)
    assert (run.run_date, run.pickup_stop, run.drop_stop) == (DAY, 0, 2)
    assert run.pickup_window == Window(at(2), at(2.5))


def test_stops_match_warehouses_by_id_or_within_150_m() -> None:
    near = (WESTLANDS[0] + 0.001, WESTLANDS[1])  # about 111 m north
    far = (WESTLANDS[0] + 0.002, WESTLANDS[1])  # about 222 m
    by_place = template(stop("a", near, 2, 2.5), stop("b", INDUSTRIAL, 4, 4.5))
    too_far = template(stop("a", far, 2, 2.5), stop("b", INDUSTRIAL, 4, 4.5))
    by_id = template(stop("wh-westlands", far, 2, 2.5), stop("b", INDUSTRIAL, 4, 4.5))
    t = transfer(deadline=at(5))
    assert runs_for(by_place, DAY, t, NOON)
    assert not runs_for(too_far, DAY, t, NOON)
    assert runs_for(by_id, DAY, t, NOON)


def test_a_run_going_the_other_way_does_not_fit() -> None:
    backwards = template(LOOP[2], LOOP[1], LOOP[0])
    assert runs_for(backwards, DAY, transfer(deadline=at(24)), NOON) == []


def test_the_goods_must_be_ready_before_the_shuttle_calls() -> None:
    # Ready at 14:30: today's call at 14:00 is too early, so tomorrow's run is the one.
    (run,) = runs_for(template(*LOOP), DAY, transfer(at(2.5), deadline=at(5, days=1)), NOON)
    assert run.run_date == DAY + timedelta(days=1)
    assert run.pickup_window.start == at(2, days=1)


def test_the_drop_off_window_must_close_by_the_deadline() -> None:
    assert runs_for(template(*LOOP), DAY, transfer(deadline=at(4.4)), NOON) == []
    assert runs_for(template(*LOOP), DAY, transfer(deadline=at(4.5)), NOON)


def test_a_run_whose_source_call_has_begun_is_not_offered() -> None:
    assert runs_for(template(*LOOP), DAY, transfer(deadline=at(5)), now=at(2)) == []


def test_runs_on_the_template_weekdays_only_within_the_deadline() -> None:
    fridays = template(*LOOP, weekdays=frozenset({5}))  # DAY is a Thursday
    runs = runs_for(fridays, DAY, transfer(deadline=at(5, days=9)), NOON)
    assert [r.run_date for r in runs] == [DAY + timedelta(days=1), DAY + timedelta(days=8)]


def test_stops_without_a_window_or_a_template_without_vehicles_never_fit() -> None:
    bare = template(StopSpec("wh-westlands", WESTLANDS), LOOP[2])
    assert runs_for(bare, DAY, transfer(deadline=at(5)), NOON) == []
    no_van = dataclasses.replace(template(*LOOP), request=PlanRequest(LOOP, ()))
    assert runs_for(no_van, DAY, transfer(deadline=at(5)), NOON) == []


def test_room_counts_what_the_run_already_carries() -> None:
    (run,) = runs_for(
        template(*LOOP, capacity=Capacity(weight_kg=100, item_count=25)),
        DAY,
        transfer(deadline=at(5)),
        NOON,
    )
    ten_sacks = (Item(sku="rice-5kg", quantity=10, weight_kg=5.0),)  # 50 kg, 10 items
    assert fits(run, Load(), ten_sacks)
    assert fits(run, Load.of(ten_sacks), ten_sacks)  # 100 kg: exactly full
    assert not fits(run, Load.of(ten_sacks) + Load(weight_kg=1), ten_sacks)
    assert not fits(run, Load(item_count=16), ten_sacks)
    unlimited = dataclasses.replace(run, capacity=Capacity())
    assert fits(unlimited, Load(weight_kg=1e6, item_count=10**6), ten_sacks)


def test_earliest_drop_off_first_then_the_template_name() -> None:
    t = transfer(deadline=at(5, days=1))
    late = template(
        stop("wh-westlands", WESTLANDS, 2, 2.5), stop("x", INDUSTRIAL, 4.5, 4.9), name="a"
    )
    early = template(*LOOP, name="b")
    same = template(*LOOP, name="a-same")
    runs = [r for tpl in (late, early, same) for r in runs_for(tpl, DAY, t, NOON)]
    order = [(r.template_name, r.run_date) for r in earliest(runs)]
    assert order[:3] == [("a-same", DAY), ("b", DAY), ("a", DAY)]


# Counting in


SENT = (Item(sku="rice-5kg", quantity=10), Item(sku="oil-1l", quantity=6))


def test_nothing_counted_means_everything_arrived() -> None:
    ((got, missing),) = count_in([SENT], None)
    assert got == (Line("rice-5kg", 10), Line("oil-1l", 6))
    assert missing == ()


def test_fewer_than_sent_is_short_by_the_difference() -> None:
    ((got, missing),) = count_in([SENT], [Line("rice-5kg", 8), Line("oil-1l", 6)])
    assert got == (Line("rice-5kg", 8), Line("oil-1l", 6))
    assert missing == (Line("rice-5kg", 2),)


def test_a_line_not_counted_arrived_not_at_all() -> None:
    ((_, missing),) = count_in([SENT], [Line("rice-5kg", 10)])
    assert missing == (Line("oil-1l", 6),)


def test_counts_are_shared_among_transfers_in_their_order() -> None:
    first = (Item(sku="rice-5kg", quantity=10),)
    second = (Item(sku="rice-5kg", quantity=4), Item(sku="oil-1l", quantity=2))
    (a_got, a_missing), (b_got, b_missing) = count_in(
        [first, second], [Line("rice-5kg", 12), Line("oil-1l", 2)]
    )
    assert (a_got, a_missing) == ((Line("rice-5kg", 10),), ())
    assert b_missing == (Line("rice-5kg", 2),)
    assert b_got == (Line("rice-5kg", 2), Line("oil-1l", 2))


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([Line("sugar", 1)], "received_items[0].sku"),
        ([Line("rice-5kg", 1), Line("rice-5kg", 2)], "received_items[1].sku"),
        ([Line("oil-1l", -1)], "received_items[0].quantity"),
        ([Line("oil-1l", 7)], "received_items[0].quantity"),
    ],
)
def test_bad_counts_name_the_line(lines: list[Line], field: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        count_in([SENT], lines)
    assert [v.field for v in err.value.violations] == [field]


@given(st.lists(st.integers(1, 20), min_size=1, max_size=4), st.integers(0, 80))
def test_received_plus_missing_is_what_was_sent(quantities: list[int], counted: int) -> None:
    sent = [(Item(sku="sku", quantity=q),) for q in quantities]
    counted = min(counted, sum(quantities))
    out = count_in(sent, [Line("sku", counted)])
    assert sum(g[0].quantity for g, _ in out) == counted
    for (got, missing), q in zip(out, quantities, strict=True):
        assert got[0].quantity + sum(m.quantity for m in missing) == q


# Validation and withdrawal


def test_a_transfer_names_two_warehouses_lines_and_a_deadline_after_ready() -> None:
    bad = transfer(
        destination_outlet_id="wh-westlands",
        items=(Item(sku="a", quantity=0), Item(sku="a"), Item(sku=None)),
        deadline=NOON,
    )
    with pytest.raises(InvalidArgument) as err:
        validate(bad, has_source=True, has_destination=True)
    assert [v.field for v in err.value.violations] == [
        "transfer.destination_outlet_id",
        "transfer.items[0].quantity",
        "transfer.items[1].sku",
        "transfer.items[2].sku",
        "transfer.deadline",
    ]


def test_a_warehouse_with_no_location_is_named() -> None:
    unplaced = transfer(source=(math.nan, math.nan))
    with pytest.raises(InvalidArgument) as err:
        validate(unplaced, has_source=False, has_destination=True)
    assert [v.field for v in err.value.violations] == ["transfer.source_outlet_id"]


@pytest.mark.parametrize("state", list(TransferState))
def test_only_a_transfer_under_way_can_be_withdrawn(state: TransferState) -> None:
    t = transfer(state=state)
    open_ = state in (TransferState.REQUESTED, TransferState.SCHEDULED, TransferState.PICKED_UP)
    if open_:
        require_withdrawable(t)
    else:
        with pytest.raises(FailedPrecondition):
            require_withdrawable(t)
