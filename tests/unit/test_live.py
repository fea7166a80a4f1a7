"""Live views without servers: frame buffers coalesce and stay bounded, a view shows exactly
the riders inside its area (and fleet and zones), events map to alerts and task changes, and
rider updates survive the wire."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.clock import SystemClock
from logistics.domain.eta import EtaSource
from logistics.domain.ids import TenantSlug
from logistics.domain.live import OFFLINE, ONLINE, FrameBuffer, RiderUpdate, TaskChange
from logistics.domain.shapes import CircleShape, PolygonShape, Shape, box
from logistics.events.live_bus import decode_riders, encode_riders
from logistics.geo.areas import ViewArea
from logistics.geo.distance import Point, StraightLine
from logistics.geo.fences import polygon_problem
from logistics.services.etas import Estimator
from logistics.services.live.events import alert_of, task_change
from logistics.services.live.ports import LiveSettings
from logistics.services.live.task_etas import TaskEtas
from logistics.services.live.view import View, ViewSpec

AREA = box(-1.30, 36.80, -1.28, 36.82)

riders = st.sampled_from([f"r{i}" for i in range(6)])
updates = st.builds(
    RiderUpdate,
    rider_id=riders,
    latitude=st.floats(-1.31, -1.27),
    longitude=st.floats(36.79, 36.83),
    heading_deg=st.floats(0, 359),
    speed_mps=st.floats(0, 30),
    status=st.sampled_from([ONLINE, OFFLINE]),
    task=st.none() | st.just("tenants/t/tasks/x"),
    record_ms=st.integers(0, 2**41),
    seen_ms=st.integers(0, 2**41),
    fleet=st.none() | st.sampled_from(["f1", "f2"]),
)


@given(st.lists(st.tuples(st.booleans(), updates), max_size=40))
def test_a_buffer_keeps_the_latest_state_of_each_rider_and_never_both_kinds(
    ops: list[tuple[bool, RiderUpdate]],
) -> None:
    buffer = FrameBuffer(max_riders=100)
    latest: dict[str, RiderUpdate | None] = {}
    for is_removal, update in ops:
        if is_removal:
            buffer.remove(update.rider_id)
            latest[update.rider_id] = None
        else:
            buffer.upsert(update)
            latest[update.rider_id] = update
    frame = buffer.take(7)
    assert frame.sequence == 7
    assert {u.rider_id: u for u in frame.upserts} == {k: v for k, v in latest.items() if v}
    assert set(frame.removals) == {k for k, v in latest.items() if v is None}
    assert len(buffer) == 0


def test_a_buffer_is_bounded_and_counts_what_it_dropped() -> None:
    buffer = FrameBuffer(max_riders=3, max_alerts=2)
    for i in range(10):
        buffer.upsert(RiderUpdate(f"r{i}", 0, 0, 0, 0, ONLINE, None, i, i))
    buffer.upsert(RiderUpdate("r0", 1, 1, 0, 0, ONLINE, None, 99, 99))  # known: replaced
    frame = buffer.take(1)
    assert [u.rider_id for u in frame.upserts] == ["r0", "r1", "r2"]
    assert frame.upserts[0].record_ms == 99
    assert buffer.dropped == 7


def view(fleet: str | None = None) -> View:
    spec = ViewSpec(ViewArea.of(AREA), fleet=fleet)
    return View("t", spec, LiveSettings(interval_s=0.01, stall_s=0.05))


@given(st.lists(updates, max_size=30))
def test_a_view_shows_exactly_the_online_riders_inside_its_area(batch: list[RiderUpdate]) -> None:
    v = view(fleet="f1")
    v.offer_riders(batch, [])
    last = {u.rider_id: u for u in batch}
    inside = {
        r
        for r, u in last.items()
        if u.status == ONLINE
        and u.fleet == "f1"
        and -1.30 <= u.latitude <= -1.28
        and 36.80 <= u.longitude <= 36.82
    }
    for rider in last:
        assert v.shows(rider) == (rider in inside)


def test_a_rider_leaving_the_area_or_going_offline_is_removed_once() -> None:
    v = view()
    here = RiderUpdate("a", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)
    v.offer_riders([here, RiderUpdate("b", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)], [])
    v.offer_riders([RiderUpdate("a", -1.20, 36.81, 0, 0, ONLINE, None, 2, 2)], ["b", "zz"])
    frame = v._buffer.take(1)
    assert frame.upserts == []
    assert frame.removals == ["a", "b"]
    v.offer_riders([RiderUpdate("a", -1.19, 36.81, 0, 0, ONLINE, None, 3, 3)], [])
    assert len(v._buffer) == 0  # not shown, nothing to say


def test_zone_limits_cut_the_area() -> None:
    limited = ViewArea.of(AREA, [CircleShape(-1.29, 36.81, 200.0)])
    assert limited.contains(-1.29, 36.81)
    assert not limited.contains(-1.285, 36.805)  # in the box, outside the zone
    assert limited.cells(9) < ViewArea.of(AREA).cells(9)


async def test_frames_come_snapshot_first_then_only_when_something_changed() -> None:
    v = view()
    v.reset(v.spec, [RiderUpdate("a", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)])
    frames = v.frames()
    first = await anext(frames)
    assert first.snapshot
    assert [u.rider_id for u in first.upserts] == ["a"]
    v.offer_riders([RiderUpdate("b", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)], [])
    second = await asyncio.wait_for(anext(frames), 1)
    assert not second.snapshot
    assert second.sequence == 2
    assert [u.rider_id for u in second.upserts] == ["b"]


async def test_a_failed_view_ends_its_frames_with_the_error_and_drops_its_buffer() -> None:
    v = view()
    v.reset(v.spec, [])
    frames = v.frames()
    await anext(frames)
    v.offer_riders([RiderUpdate("b", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)], [])
    assert v.stalled(10**9)
    v.fail(RuntimeError("too slow"))
    assert v.buffered() == 0
    with pytest.raises(RuntimeError, match="too slow"):
        await anext(frames)


def test_a_task_waiting_for_an_address_is_shown_at_its_pickup_and_says_so() -> None:
    pickup = {"latitude": -1.28, "longitude": 36.82, "address_state": "given"}
    waiting = {"latitude": 0.0, "longitude": 0.0, "address_state": "needs_address"}
    change = task_change(
        {"name": "tenants/t/tasks/2", "task": {"state": "created", "steps": [pickup, waiting]}}
    )
    assert change is not None
    assert change.needs_address
    assert (change.latitude, change.longitude) == (-1.28, 36.82)
    lone = task_change({"name": "tenants/t/tasks/3", "task": {"steps": [waiting]}})
    assert lone is not None
    assert (lone.latitude, lone.longitude, lone.needs_address) == (None, None, True)
    resolved = task_change(
        {"name": "tenants/t/tasks/4", "task": {"steps": [pickup, pickup | {"latitude": -1.3}]}}
    )
    assert resolved is not None
    assert not resolved.needs_address


def test_events_become_alerts_and_task_changes() -> None:
    data = {
        "name": "tenants/t/tasks/1",
        "rider": "tenants/t/riders/9",
        "task": {
            "state": "assigned",
            "current_step": 1,
            "steps": [{}, {"latitude": -1.2, "longitude": 36.9}],
        },
        "event_time_ms": 5,
    }
    change = task_change(data)
    assert change is not None
    assert (change.task, change.state, change.rider) == (
        "tenants/t/tasks/1",
        "assigned",
        data["rider"],
    )
    assert (change.latitude, change.longitude) == (-1.2, 36.9)
    assert alert_of("task.assigned", data) is None
    assert alert_of("task.delivery_breached", data) is None  # a timer's name, not an event's
    breached = alert_of("task.sla_breached", data)
    assert breached is not None
    assert (breached.task, breached.latitude, breached.time_ms) == ("tenants/t/tasks/1", -1.2, 5)
    offline = alert_of("rider.offline", {"rider": "tenants/t/riders/9"})
    assert offline is not None
    assert offline.rider == "tenants/t/riders/9"


@given(st.lists(updates, max_size=10, unique_by=lambda u: u.rider_id), st.lists(riders, max_size=3))
def test_rider_updates_survive_the_wire(batch: list[RiderUpdate], removals: list[str]) -> None:
    got, gone = decode_riders(encode_riders("t", batch, removals))
    assert gone == removals
    assert len(got) == len(batch)
    for a, b in zip(got, batch, strict=True):
        assert (a.rider_id, a.latitude, a.longitude, a.status, a.task, a.fleet) == (
            b.rider_id,
            b.latitude,
            b.longitude,
            b.status,
            b.task,
            b.fleet,
        )
        assert (a.record_ms, a.seen_ms) == (b.record_ms, b.seen_ms)
        assert a.heading_deg == pytest.approx(b.heading_deg, rel=1e-6)


def _slow_contains(area: ViewArea, latitude: float, longitude: float) -> bool:
    """The definition: inside the shape by its signed distance, and inside a zone if limited."""
    if area.shape.signed_distance_m(latitude, longitude) < 0:
        return False
    zones = area.allowed
    return zones is None or any(z.signed_distance_m(latitude, longitude) >= 0 for z in zones)


shapes = st.one_of(
    st.builds(
        lambda s, w, h, d: box(s, w, s + h, w + d),
        st.floats(-1.35, -1.25),
        st.floats(36.75, 36.85),
        st.floats(0.001, 0.05),
        st.floats(0.001, 0.05),
    ),
    st.builds(CircleShape, st.floats(-1.32, -1.28), st.floats(36.78, 36.82), st.floats(50, 3000)),
    st.lists(
        st.tuples(st.floats(-1.33, -1.27), st.floats(36.77, 36.83)), min_size=3, max_size=7
    ).map(lambda vs: PolygonShape(tuple(vs))),
)


@given(
    shapes,
    st.none() | st.lists(shapes, min_size=1, max_size=2),
    st.lists(st.tuples(st.floats(-1.36, -1.24), st.floats(36.74, 36.86)), max_size=30),
)
def test_the_fast_area_test_agrees_with_the_definition(
    shape: Shape, zones: list[Shape] | None, points: list[tuple[float, float]]
) -> None:
    if isinstance(shape, PolygonShape) and polygon_problem(shape.vertices):
        return
    if zones and any(isinstance(z, PolygonShape) and polygon_problem(z.vertices) for z in zones):
        return
    area = ViewArea.of(shape, zones)
    shapes_of_area = [area.shape, *(area.allowed or [])]
    for lat, lng in points:
        if any(abs(g.signed_distance_m(lat, lng)) < 1e-6 for g in shapes_of_area):
            continue  # on a boundary, where float rounding may go either way
        assert area.contains(lat, lng) == _slow_contains(area, lat, lng), (lat, lng)


def test_a_viewer_that_never_reads_holds_one_state_per_rider_however_much_arrives() -> None:
    v = view()
    v.reset(v.spec, [])
    for i in range(20_000):
        rider = f"r{i % 50}"
        v.offer_riders([RiderUpdate(rider, -1.29, 36.81, 0, 0, ONLINE, None, i, i)], [])
    assert v.buffered() == 50
    frame = v._buffer.take(2)
    assert sorted(u.record_ms for u in frame.upserts) == list(range(20_000 - 50, 20_000))


def test_vertices_and_edges_of_a_polygon_area_are_inside() -> None:
    triangle = ViewArea.of(PolygonShape(((-1.30, 36.80), (-1.30, 36.82), (-1.28, 36.81))))
    assert triangle.contains(-1.30, 36.80)
    assert triangle.contains(-1.30, 36.81)
    assert triangle.contains(-1.29, 36.81)
    assert not triangle.contains(-1.2799, 36.81)


class _Calibrated:
    """Tenant ``t``'s calibration: its legs take 1.2x (p50) to 1.5x (p90) the provider's time."""

    def spread(
        self, tenant: TenantSlug, raw_s: float, origin: Point, at: datetime
    ) -> tuple[float, float] | None:
        return (raw_s * 1.2, raw_s * 1.5) if tenant == "t" else None


async def test_a_task_change_of_a_shown_rider_carries_the_eta_to_its_next_step() -> None:
    v = view()
    etas = TaskEtas(Estimator(StraightLine(), SystemClock(), spread=_Calibrated()))
    v.offer_riders([RiderUpdate("9", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)], [])
    far = TaskChange("tenants/t/tasks/1", "assigned", "tenants/t/riders/9", None, -1.0, 36.9)
    etas.offer("t", far, [v], v.offer_task)  # its step is outside the area, its rider inside
    # Neither its rider nor its step is shown here.
    etas.offer(
        "t", TaskChange("tenants/t/tasks/2", "created", None, None, -1.0, 36.9), [v], v.offer_task
    )
    assert [t.eta for t in v._buffer.take(1).tasks] == [None]  # shown at once, then with its ETA
    await asyncio.sleep(0.05)
    [change] = v._buffer.take(2).tasks
    line = StraightLine().travel(-1.29, 36.81, -1.0, 36.9, None)[1]
    assert change.task == "tenants/t/tasks/1"
    assert change.eta is not None
    assert (change.eta.travel_s, change.eta.source) == (line, EtaSource.STRAIGHT_LINE)
    # Asked with the view's tenant: its calibrated p50 and p90.
    assert change.eta.p50 == change.eta.computed + timedelta(seconds=line * 1.2)
    assert change.eta.p90 == change.eta.computed + timedelta(seconds=line * 1.5)


async def test_a_newer_change_of_a_task_is_not_overwritten_by_an_older_one_with_its_eta() -> None:
    v = view()
    etas = TaskEtas(Estimator(StraightLine(), SystemClock()))
    v.offer_riders([RiderUpdate("9", -1.29, 36.81, 0, 0, ONLINE, None, 1, 1)], [])
    rider = "tenants/t/riders/9"
    etas.offer(
        "t", TaskChange("tenants/t/tasks/1", "assigned", rider, None, -1.0, 36.9), [v], v.offer_task
    )
    etas.offer(
        "t",
        TaskChange("tenants/t/tasks/1", "cancelled", rider, None, -1.0, 36.9),
        [v],
        v.offer_task,
    )
    await asyncio.sleep(0.05)
    assert [(t.state, t.eta) for t in v._buffer.take(1).tasks] == [("cancelled", None)]
