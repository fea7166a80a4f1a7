"""The dispatch eligibility rule (``logistics.domain.compliance.evaluate``) and the validation of
vehicles, documents, shifts and reviews: pure functions, fed every fact and the time."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.compliance import (
    Capacity,
    CompliancePolicy,
    Document,
    DocumentKind,
    Reason,
    ReasonCode,
    Requirement,
    ReviewOutcome,
    RiderFacts,
    Shift,
    Vehicle,
    VehicleState,
    Verification,
    Window,
    evaluate,
    normalise_plate,
    validate_document,
    validate_review,
    validate_shift,
    validate_vehicle,
)
from logistics.domain.errors import InvalidArgument
from logistics.domain.fleet import Rider, RiderState, VehicleType

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
RIDER_ID = uuid.uuid4()

LICENCE, INSURANCE, NATIONAL_ID = (
    DocumentKind.LICENCE,
    DocumentKind.INSURANCE,
    DocumentKind.NATIONAL_ID,
)


def rider(**changes: object) -> Rider:
    base = Rider(id=RIDER_ID, display_name="Achieng", vehicle_type=VehicleType.MOTORBIKE)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def vehicle(**changes: object) -> Vehicle:
    base = Vehicle(
        id=uuid.uuid4(),
        type=VehicleType.MOTORBIKE,
        plate="KMEA 123B",
        capacity=Capacity(weight_kg=20.0, volume_l=60.0, item_count=5),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def shift(
    start: datetime = NOON - 4 * HOUR, end: datetime = NOON + 4 * HOUR, *breaks: Window
) -> Shift:
    return Shift(id=uuid.uuid4(), rider_id=RIDER_ID, planned=Window(start, end), breaks=breaks)


def doc(
    kind: DocumentKind = LICENCE,
    verification: Verification = Verification.VERIFIED,
    expire_time: datetime | None = None,
    issue_time: datetime | None = None,
) -> Document:
    return Document(
        id=uuid.uuid4(),
        rider_id=RIDER_ID,
        kind=kind,
        verification=verification,
        expire_time=expire_time,
        issue_time=issue_time,
    )


def policy(*requirements: tuple[VehicleType | None, set[DocumentKind]]) -> CompliancePolicy:
    return CompliancePolicy(tuple(Requirement(t, frozenset(k)) for t, k in requirements))


LICENCE_FOR_ALL = policy((None, {LICENCE}))


def facts(**changes: object) -> RiderFacts:
    """An eligible rider at NOON: active, on shift, an active motorbike, a verified licence."""
    base = RiderFacts(
        rider=rider(),
        vehicle=vehicle(),
        shifts=(shift(),),
        documents=(doc(LICENCE, expire_time=NOON + 365 * 24 * HOUR),),
        policy=LICENCE_FOR_ALL,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def codes(result_reasons: tuple[Reason, ...]) -> list[tuple[ReasonCode, DocumentKind | None]]:
    return [(r.code, r.document_kind) for r in result_reasons]


# --- the eligible baseline ------------------------------------------------------------------------


def test_an_active_rider_on_shift_with_a_vehicle_and_valid_documents_is_eligible() -> None:
    result = evaluate(facts(), NOON)
    assert result.eligible
    assert result.reasons == ()
    assert result.evaluate_time == NOON


# --- the rider's state ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [RiderState.SUSPENDED, RiderState.OFFBOARDED])
def test_a_suspended_or_offboarded_rider_is_not_active(state: RiderState) -> None:
    result = evaluate(facts(rider=rider(state=state)), NOON)
    assert not result.eligible
    assert codes(result.reasons) == [(ReasonCode.NOT_ACTIVE, None)]
    assert state.value in result.reasons[0].message


# --- shifts ---------------------------------------------------------------------------------------


def test_a_rider_with_no_shift_is_off_shift() -> None:
    result = evaluate(facts(shifts=()), NOON)
    assert codes(result.reasons) == [(ReasonCode.OFF_SHIFT, None)]


def test_a_shift_that_ended_or_has_not_started_does_not_count() -> None:
    earlier = shift(NOON - 8 * HOUR, NOON - HOUR)
    later = shift(NOON + HOUR, NOON + 8 * HOUR)
    result = evaluate(facts(shifts=(earlier, later)), NOON)
    assert codes(result.reasons) == [(ReasonCode.OFF_SHIFT, None)]


def test_a_shift_covers_its_start_but_not_its_end() -> None:
    one = shift(NOON, NOON + 2 * HOUR)
    assert evaluate(facts(shifts=(one,)), NOON).eligible
    assert evaluate(facts(shifts=(one,)), NOON + 2 * HOUR - timedelta(microseconds=1)).eligible
    at_end = evaluate(facts(shifts=(one,)), NOON + 2 * HOUR)
    assert codes(at_end.reasons) == [(ReasonCode.OFF_SHIFT, None)]


def test_a_rider_on_a_break_is_off_shift_and_back_on_duty_when_it_ends() -> None:
    lunch = Window(NOON - timedelta(minutes=15), NOON + timedelta(minutes=15))
    with_break = facts(shifts=(shift(NOON - 4 * HOUR, NOON + 4 * HOUR, lunch),))
    assert codes(evaluate(with_break, NOON).reasons) == [(ReasonCode.OFF_SHIFT, None)]
    assert evaluate(with_break, lunch.start - timedelta(seconds=1)).eligible
    assert evaluate(with_break, lunch.end).eligible


def test_a_break_in_one_shift_is_covered_by_another_overlapping_shift() -> None:
    lunch = Window(NOON - HOUR, NOON + HOUR)
    first = shift(NOON - 4 * HOUR, NOON + 4 * HOUR, lunch)
    second = shift(NOON - HOUR, NOON + 2 * HOUR)
    assert evaluate(facts(shifts=(first, second)), NOON).eligible


# --- the vehicle ----------------------------------------------------------------------------------


def test_a_rider_without_a_vehicle_has_no_vehicle() -> None:
    result = evaluate(facts(vehicle=None), NOON)
    assert codes(result.reasons) == [(ReasonCode.NO_VEHICLE, None)]


def test_a_vehicle_out_of_service_counts_as_no_vehicle() -> None:
    broken = vehicle(state=VehicleState.OUT_OF_SERVICE)
    result = evaluate(facts(vehicle=broken), NOON)
    assert codes(result.reasons) == [(ReasonCode.NO_VEHICLE, None)]
    assert "out of service" in result.reasons[0].message


def test_a_rider_on_foot_needs_no_vehicle_unless_something_must_be_carried() -> None:
    walker = facts(rider=rider(vehicle_type=VehicleType.ON_FOOT), vehicle=None)
    assert evaluate(walker, NOON).eligible
    assert evaluate(walker, NOON, Capacity()).eligible  # all zero: nothing in particular
    carrying = evaluate(walker, NOON, Capacity(weight_kg=2.0))
    assert codes(carrying.reasons) == [(ReasonCode.NO_VEHICLE, None)]


def test_a_rider_of_another_or_no_vehicle_type_without_a_vehicle_is_not_on_foot() -> None:
    for kind in (None, VehicleType.BICYCLE):
        result = evaluate(facts(rider=rider(vehicle_type=kind), vehicle=None), NOON)
        assert codes(result.reasons) == [(ReasonCode.NO_VEHICLE, None)]


@pytest.mark.parametrize(
    ("needed", "short"),
    [
        (Capacity(weight_kg=20.5), "weight"),
        (Capacity(volume_l=61.0), "volume"),
        (Capacity(item_count=6), "items"),
    ],
)
def test_a_need_over_the_vehicle_capacity_in_any_dimension_is_refused(
    needed: Capacity, short: str
) -> None:
    result = evaluate(facts(), NOON, needed)
    assert codes(result.reasons) == [(ReasonCode.CAPACITY, None)]
    assert short in result.reasons[0].message


def test_a_need_exactly_at_the_vehicle_capacity_fits() -> None:
    assert evaluate(facts(), NOON, Capacity(20.0, 60.0, 5)).eligible


def test_every_dimension_too_small_is_named_in_one_capacity_reason() -> None:
    result = evaluate(facts(), NOON, Capacity(21.0, 61.0, 6))
    assert codes(result.reasons) == [(ReasonCode.CAPACITY, None)]
    for word in ("weight", "volume", "items"):
        assert word in result.reasons[0].message


@pytest.mark.parametrize(
    ("limit", "needed"),
    [
        (Capacity(0.0, 60.0, 5), Capacity(weight_kg=10_000.0)),
        (Capacity(20.0, 0.0, 5), Capacity(volume_l=10_000.0)),
        (Capacity(20.0, 60.0, 0), Capacity(item_count=10_000)),
    ],
)
def test_zero_capacity_in_a_dimension_means_no_limit_in_it(
    limit: Capacity, needed: Capacity
) -> None:
    assert evaluate(facts(vehicle=vehicle(capacity=limit)), NOON, needed).eligible


# --- documents ------------------------------------------------------------------------------------


def test_a_required_document_that_is_missing_is_reported_with_its_kind() -> None:
    result = evaluate(facts(documents=()), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_MISSING, LICENCE)]


def test_a_pending_document_is_unverified() -> None:
    result = evaluate(facts(documents=(doc(verification=Verification.PENDING),)), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_UNVERIFIED, LICENCE)]


def test_a_rejected_document_is_rejected() -> None:
    result = evaluate(facts(documents=(doc(verification=Verification.REJECTED),)), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_REJECTED, LICENCE)]


def test_a_verified_document_past_its_expiry_is_expired() -> None:
    result = evaluate(facts(documents=(doc(expire_time=NOON - HOUR),)), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_EXPIRED, LICENCE)]


def test_a_document_is_expired_from_the_instant_of_its_expiry() -> None:
    documents = (doc(expire_time=NOON),)
    assert evaluate(facts(documents=documents), NOON - timedelta(microseconds=1)).eligible
    at = evaluate(facts(documents=documents), NOON)
    assert codes(at.reasons) == [(ReasonCode.DOCUMENT_EXPIRED, LICENCE)]


def test_a_document_without_expiry_never_expires() -> None:
    far = datetime(9998, 1, 1, tzinfo=UTC)
    later = facts(documents=(doc(expire_time=None),), shifts=(shift(far - HOUR, far + HOUR),))
    assert evaluate(later, far).eligible


def test_a_valid_document_beside_an_expired_or_rejected_one_of_its_kind_is_enough() -> None:
    documents = (
        doc(expire_time=NOON - 30 * 24 * HOUR),
        doc(verification=Verification.REJECTED),
        doc(expire_time=NOON + 30 * 24 * HOUR),
    )
    assert evaluate(facts(documents=documents), NOON).eligible


def test_a_pending_renewal_beside_an_expired_document_is_unverified() -> None:
    # The rider has done their part: the reason points at the review, not at the rider.
    documents = (doc(expire_time=NOON - HOUR), doc(verification=Verification.PENDING))
    result = evaluate(facts(documents=documents), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_UNVERIFIED, LICENCE)]


def test_a_document_of_another_kind_does_not_satisfy_a_requirement() -> None:
    result = evaluate(facts(documents=(doc(INSURANCE),)), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_MISSING, LICENCE)]


def test_documents_not_required_by_the_policy_do_not_matter() -> None:
    documents = (doc(LICENCE), doc(INSURANCE, Verification.REJECTED), doc(NATIONAL_ID))
    documents += (doc(DocumentKind.BACKGROUND_CHECK, expire_time=NOON - HOUR),)
    assert evaluate(facts(documents=documents), NOON).eligible


def test_without_a_policy_no_document_is_required() -> None:
    assert evaluate(facts(documents=(), policy=CompliancePolicy()), NOON).eligible


# --- the policy per vehicle type ------------------------------------------------------------------

CAR_POLICY = policy(
    (None, {NATIONAL_ID}),
    (VehicleType.CAR, {LICENCE, INSURANCE}),
    (VehicleType.BICYCLE, set()),
)


def test_the_policy_requires_its_all_types_kinds_plus_the_vehicle_types_kinds() -> None:
    car = vehicle(type=VehicleType.CAR, plate="KDA 001A")
    result = evaluate(facts(vehicle=car, documents=(), policy=CAR_POLICY), NOON)
    assert sorted(codes(result.reasons)) == sorted(
        [
            (ReasonCode.DOCUMENT_MISSING, NATIONAL_ID),
            (ReasonCode.DOCUMENT_MISSING, LICENCE),
            (ReasonCode.DOCUMENT_MISSING, INSURANCE),
        ]
    )
    complete = (doc(NATIONAL_ID), doc(LICENCE), doc(INSURANCE))
    assert evaluate(facts(vehicle=car, documents=complete, policy=CAR_POLICY), NOON).eligible


def test_another_vehicle_type_needs_only_the_all_types_kinds() -> None:
    bike = vehicle(type=VehicleType.BICYCLE, plate=None)
    only_id = (doc(NATIONAL_ID),)
    assert evaluate(facts(vehicle=bike, documents=only_id, policy=CAR_POLICY), NOON).eligible
    result = evaluate(facts(vehicle=bike, documents=(), policy=CAR_POLICY), NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_MISSING, NATIONAL_ID)]


def test_the_vehicle_type_comes_from_the_vehicle_used_not_the_riders_declared_type() -> None:
    car = vehicle(type=VehicleType.CAR, plate="KDA 001A")
    declared_bike = rider(vehicle_type=VehicleType.BICYCLE)
    result = evaluate(
        facts(rider=declared_bike, vehicle=car, documents=(doc(NATIONAL_ID),), policy=CAR_POLICY),
        NOON,
    )
    assert {kind for _, kind in codes(result.reasons)} == {LICENCE, INSURANCE}


def test_a_rider_on_foot_is_held_to_the_on_foot_requirements() -> None:
    on_foot_policy = policy((VehicleType.ON_FOOT, {NATIONAL_ID}), (VehicleType.CAR, {LICENCE}))
    walker = facts(
        rider=rider(vehicle_type=VehicleType.ON_FOOT),
        vehicle=None,
        documents=(),
        policy=on_foot_policy,
    )
    result = evaluate(walker, NOON)
    assert codes(result.reasons) == [(ReasonCode.DOCUMENT_MISSING, NATIONAL_ID)]


# --- everything at once ---------------------------------------------------------------------------


def test_every_failing_rule_is_reported_at_once() -> None:
    everything_wrong = facts(
        rider=rider(state=RiderState.SUSPENDED),
        vehicle=vehicle(state=VehicleState.OUT_OF_SERVICE),
        shifts=(),
        documents=(
            doc(LICENCE, expire_time=NOON - HOUR),
            doc(INSURANCE, Verification.REJECTED),
            doc(DocumentKind.BACKGROUND_CHECK, Verification.PENDING),
        ),
        policy=policy(
            (
                None,
                {LICENCE, INSURANCE, DocumentKind.BACKGROUND_CHECK, NATIONAL_ID},
            )
        ),
    )
    result = evaluate(everything_wrong, NOON, Capacity(weight_kg=500))
    assert not result.eligible
    assert sorted(codes(result.reasons)) == sorted(
        [
            (ReasonCode.NOT_ACTIVE, None),
            (ReasonCode.OFF_SHIFT, None),
            (ReasonCode.NO_VEHICLE, None),
            (ReasonCode.DOCUMENT_EXPIRED, LICENCE),
            (ReasonCode.DOCUMENT_REJECTED, INSURANCE),
            (ReasonCode.DOCUMENT_UNVERIFIED, DocumentKind.BACKGROUND_CHECK),
            (ReasonCode.DOCUMENT_MISSING, NATIONAL_ID),
        ]
    )
    assert all(r.message for r in result.reasons)


def test_a_capacity_shortfall_is_reported_beside_the_other_reasons() -> None:
    result = evaluate(facts(shifts=(), documents=()), NOON, Capacity(item_count=99))
    assert sorted(codes(result.reasons)) == sorted(
        [
            (ReasonCode.OFF_SHIFT, None),
            (ReasonCode.CAPACITY, None),
            (ReasonCode.DOCUMENT_MISSING, LICENCE),
        ]
    )


# --- properties -----------------------------------------------------------------------------------

KINDS = list(DocumentKind)
VEHICLE_TYPES = list(VehicleType)
times = st.integers(min_value=-48 * 3600, max_value=48 * 3600).map(
    lambda s: NOON + timedelta(seconds=s)
)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(times)
    return Window(start, start + timedelta(seconds=draw(st.integers(1, 24 * 3600))))


@st.composite
def any_shift(draw: st.DrawFn) -> Shift:
    planned = draw(windows())
    breaks = tuple(
        Window(b.start, b.end)
        for b in draw(st.lists(windows(), max_size=2))
        if planned.start <= b.start and b.end <= planned.end
    )
    return Shift(id=uuid.uuid4(), rider_id=RIDER_ID, planned=planned, breaks=breaks)


capacities = st.builds(
    Capacity,
    weight_kg=st.sampled_from([0.0, 5.0, 20.0, 100.0]),
    volume_l=st.sampled_from([0.0, 10.0, 60.0]),
    item_count=st.sampled_from([0, 1, 5, 50]),
)


@st.composite
def any_document(draw: st.DrawFn, kinds: list[DocumentKind] = KINDS) -> Document:
    return doc(
        draw(st.sampled_from(kinds)),
        draw(st.sampled_from(list(Verification))),
        draw(st.none() | times),
    )


@st.composite
def any_policy(draw: st.DrawFn) -> CompliancePolicy:
    types = draw(st.lists(st.none() | st.sampled_from(VEHICLE_TYPES), unique=True, max_size=4))
    return CompliancePolicy(
        tuple(
            Requirement(t, frozenset(draw(st.lists(st.sampled_from(KINDS), max_size=3))))
            for t in types
        )
    )


@st.composite
def any_facts(draw: st.DrawFn, document_kinds: list[DocumentKind] = KINDS) -> RiderFacts:
    the_vehicle = draw(
        st.none()
        | st.builds(
            vehicle,
            type=st.sampled_from(VEHICLE_TYPES),
            capacity=capacities,
            state=st.sampled_from(list(VehicleState)),
        )
    )
    return RiderFacts(
        rider=rider(
            state=draw(st.sampled_from(list(RiderState))),
            vehicle_type=draw(st.none() | st.sampled_from(VEHICLE_TYPES)),
        ),
        vehicle=the_vehicle,
        shifts=tuple(draw(st.lists(any_shift(), max_size=3))),
        documents=tuple(draw(st.lists(any_document(document_kinds), max_size=5))),
        policy=draw(any_policy()),
    )


@settings(max_examples=300, deadline=None)
@given(any_facts(), times, st.none() | capacities)
def test_a_rider_is_eligible_exactly_when_no_rule_fails(
    rider_facts: RiderFacts, at: datetime, needed: Capacity | None
) -> None:
    result = evaluate(rider_facts, at, needed)
    assert result.eligible == (result.reasons == ())
    assert result.evaluate_time == at
    required = rider_facts.policy.required_kinds(
        rider_facts.vehicle.type if rider_facts.vehicle else rider_facts.rider.vehicle_type
    )
    document_reasons = [r for r in result.reasons if r.document_kind is not None]
    # One reason per failing required kind, and only for required kinds.
    assert len({r.document_kind for r in document_reasons}) == len(document_reasons)
    assert {r.document_kind for r in document_reasons} <= required
    # A rule other than documents fails at most once.
    other = [r.code for r in result.reasons if r.document_kind is None]
    assert len(other) == len(set(other))


@settings(max_examples=300, deadline=None)
@given(any_facts(), times, st.none() | capacities)
def test_adding_a_valid_document_of_every_required_kind_clears_only_document_reasons(
    rider_facts: RiderFacts, at: datetime, needed: Capacity | None
) -> None:
    before = evaluate(rider_facts, at, needed)
    valid = tuple(doc(kind, expire_time=None) for kind in KINDS)
    after = evaluate(
        dataclasses.replace(rider_facts, documents=(*rider_facts.documents, *valid)), at, needed
    )
    assert all(r.document_kind is None for r in after.reasons)
    assert after.reasons == tuple(r for r in before.reasons if r.document_kind is None)


@settings(max_examples=300, deadline=None)
@given(
    any_facts(document_kinds=[k for k in KINDS if k is not LICENCE]),
    times,
    st.none() | capacities,
    st.integers(min_value=1, max_value=10**6),
)
def test_crossing_a_licence_expiry_flips_exactly_the_expired_reason(
    rider_facts: RiderFacts, expiry: datetime, needed: Capacity | None, micros: int
) -> None:
    # Shift and other documents must not change in the same instant, so the time moves by at
    # most a second around the expiry and nothing else has an edge there.
    shifts_far = tuple(
        s
        for s in rider_facts.shifts
        if all(
            abs((edge - expiry).total_seconds()) > 2
            for w in (s.planned, *s.breaks)
            for edge in (w.start, w.end)
        )
    )
    others_far = tuple(
        d
        for d in rider_facts.documents
        if d.expire_time is None or abs((d.expire_time - expiry).total_seconds()) > 2
    )
    with_licence = dataclasses.replace(
        rider_facts,
        shifts=shifts_far,
        documents=(*others_far, doc(LICENCE, expire_time=expiry)),
        policy=dataclasses.replace(
            rider_facts.policy,
            requirements=(
                *rider_facts.policy.requirements,
                Requirement(None, frozenset({LICENCE})),
            ),
        ),
    )
    just_before = evaluate(with_licence, expiry - timedelta(microseconds=micros), needed)
    just_after = evaluate(with_licence, expiry + timedelta(microseconds=micros - 1), needed)
    expired = Reason(ReasonCode.DOCUMENT_EXPIRED, "the licence has expired", LICENCE)
    assert expired not in just_before.reasons
    assert set(just_after.reasons) - set(just_before.reasons) == {expired}
    assert set(just_before.reasons) <= set(just_after.reasons)
    assert just_before.eligible == (just_before.reasons == ())
    assert not just_after.eligible


# --- validation -----------------------------------------------------------------------------------


def violations(caught: pytest.ExceptionInfo[InvalidArgument]) -> set[str]:
    return {v.field for v in caught.value.violations}


def test_a_shift_must_end_after_it_starts() -> None:
    for end in (NOON, NOON - HOUR):
        with pytest.raises(InvalidArgument) as caught:
            validate_shift(shift(NOON, end))
        assert violations(caught) == {"shift.planned"}


def test_a_shift_may_last_24_hours_but_not_a_second_more() -> None:
    validate_shift(shift(NOON, NOON + 24 * HOUR))
    with pytest.raises(InvalidArgument) as caught:
        validate_shift(shift(NOON, NOON + 24 * HOUR + timedelta(seconds=1)))
    assert violations(caught) == {"shift.planned"}
    assert "24 hours" in caught.value.message


@pytest.mark.parametrize(
    "pause",
    [
        Window(NOON - HOUR, NOON + HOUR),  # starts before the shift
        Window(NOON + 7 * HOUR, NOON + 9 * HOUR),  # ends after it
        Window(NOON + 10 * HOUR, NOON + 11 * HOUR),  # entirely outside
        Window(NOON + 2 * HOUR, NOON + 2 * HOUR),  # empty
        Window(NOON + 3 * HOUR, NOON + 2 * HOUR),  # backwards
    ],
)
def test_a_break_must_be_a_window_inside_the_shift(pause: Window) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_shift(shift(NOON, NOON + 8 * HOUR, pause))
    assert violations(caught) == {"shift.breaks[0]"}


def test_breaks_at_the_very_edges_of_the_shift_are_fine() -> None:
    validate_shift(
        shift(
            NOON,
            NOON + 8 * HOUR,
            Window(NOON, NOON + HOUR),
            Window(NOON + HOUR, NOON + 2 * HOUR),  # touching the first is not overlapping
            Window(NOON + 7 * HOUR, NOON + 8 * HOUR),
        )
    )


def test_breaks_must_not_overlap_whatever_their_order() -> None:
    late = Window(NOON + 2 * HOUR, NOON + 4 * HOUR)
    early = Window(NOON + HOUR, NOON + 3 * HOUR)
    with pytest.raises(InvalidArgument) as caught:
        validate_shift(shift(NOON, NOON + 8 * HOUR, late, early))
    assert violations(caught) == {"shift.breaks"}


def test_a_shift_zone_is_at_most_128_characters() -> None:
    validate_shift(dataclasses.replace(shift(), zone="z" * 128))
    with pytest.raises(InvalidArgument) as caught:
        validate_shift(dataclasses.replace(shift(), zone="z" * 129))
    assert violations(caught) == {"shift.zone"}


def test_every_bad_shift_field_is_named_at_once() -> None:
    bad = Shift(
        id=uuid.uuid4(),
        rider_id=RIDER_ID,
        planned=Window(NOON, NOON + 30 * HOUR),
        breaks=(Window(NOON - HOUR, NOON),),
        zone="z" * 200,
    )
    with pytest.raises(InvalidArgument) as caught:
        validate_shift(bad, prefix="s")
    assert violations(caught) == {"s.planned", "s.breaks[0]", "s.zone"}


@pytest.mark.parametrize("kind", [VehicleType.CAR, VehicleType.MOTORBIKE, VehicleType.VAN])
def test_a_plate_is_required_for_motor_vehicles(kind: VehicleType) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_vehicle(vehicle(type=kind, plate=None))
    assert violations(caught) == {"vehicle.plate"}
    assert kind.value in caught.value.message


@pytest.mark.parametrize("kind", [VehicleType.BICYCLE, VehicleType.ON_FOOT])
def test_bicycles_and_riders_on_foot_need_no_plate(kind: VehicleType) -> None:
    validate_vehicle(vehicle(type=kind, plate=None))


@pytest.mark.parametrize("plate", ["KDA 123A", "KMEA-123B", "AB", "A" * 16, "12 34"])
def test_well_formed_plates_are_accepted(plate: str) -> None:
    validate_vehicle(vehicle(plate=plate))


@pytest.mark.parametrize(
    "plate", ["A", "A" * 17, "kda 123a", "KDA_123", " KDA", "KDA-", "KDA/123", "KDA 1\n"]
)
def test_malformed_plates_are_refused(plate: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_vehicle(vehicle(plate=plate))
    assert violations(caught) == {"vehicle.plate"}


@pytest.mark.parametrize(
    ("capacity", "field"),
    [
        (Capacity(weight_kg=-1.0), "vehicle.capacity.weight_kg"),
        (Capacity(volume_l=-0.5), "vehicle.capacity.volume_l"),
        (Capacity(item_count=-1), "vehicle.capacity.item_count"),
        (Capacity(weight_kg=math.nan), "vehicle.capacity.weight_kg"),
        (Capacity(volume_l=math.inf), "vehicle.capacity.volume_l"),
        (Capacity(weight_kg=1e6 + 1), "vehicle.capacity.weight_kg"),
    ],
)
def test_capacity_must_be_between_zero_and_a_million(capacity: Capacity, field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_vehicle(vehicle(capacity=capacity))
    assert violations(caught) == {field}


def test_capacity_at_its_limits_is_fine() -> None:
    validate_vehicle(vehicle(capacity=Capacity(0.0, 0.0, 0)))
    validate_vehicle(vehicle(capacity=Capacity(1e6, 1e6, 1_000_000)))


def test_max_stops_must_not_be_negative() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_vehicle(vehicle(max_stops=-1))
    assert violations(caught) == {"vehicle.max_stops"}


def test_a_temperature_range_applies_only_to_temperature_controlled_vehicles() -> None:
    validate_vehicle(vehicle(min_temperature_c=50.0, max_temperature_c=-50.0))
    validate_vehicle(
        vehicle(temperature_controlled=True, min_temperature_c=-18.0, max_temperature_c=4.0)
    )
    for low, high in ((5.0, 2.0), (-61.0, 0.0), (0.0, 101.0)):
        with pytest.raises(InvalidArgument) as caught:
            validate_vehicle(
                vehicle(temperature_controlled=True, min_temperature_c=low, max_temperature_c=high)
            )
        assert violations(caught) == {"vehicle.min_temperature_c"}


def test_every_bad_vehicle_field_is_named_at_once() -> None:
    bad = vehicle(type=VehicleType.TRUCK, plate=None, capacity=Capacity(-1, -1, -1), max_stops=-3)
    with pytest.raises(InvalidArgument) as caught:
        validate_vehicle(bad, prefix="v")
    assert violations(caught) == {
        "v.plate",
        "v.capacity.weight_kg",
        "v.capacity.volume_l",
        "v.capacity.item_count",
        "v.max_stops",
    }


@pytest.mark.parametrize(
    ("given_plate", "normal"),
    [
        ("kda 123a", "KDA 123A"),
        ("KDA  123A", "KDA 123A"),
        ("  kda\t123a \n", "KDA 123A"),
        ("kmea-123b", "KMEA-123B"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_plates_compare_upper_case_with_single_spaces(
    given_plate: str | None, normal: str | None
) -> None:
    assert normalise_plate(given_plate) == normal


def test_a_normalised_plate_passes_validation() -> None:
    plate = normalise_plate(" kda   123a ")
    validate_vehicle(vehicle(plate=plate))


def test_a_document_must_expire_after_it_was_issued() -> None:
    validate_document(doc(issue_time=NOON, expire_time=NOON + timedelta(seconds=1)))
    validate_document(doc(issue_time=NOON, expire_time=None))
    validate_document(doc(issue_time=None, expire_time=NOON))
    for expire in (NOON, NOON - HOUR):
        with pytest.raises(InvalidArgument) as caught:
            validate_document(doc(issue_time=NOON, expire_time=expire))
        assert violations(caught) == {"document.expire_time"}


def test_a_document_number_is_at_most_64_characters() -> None:
    validate_document(dataclasses.replace(doc(), number="N" * 64))
    with pytest.raises(InvalidArgument) as caught:
        validate_document(dataclasses.replace(doc(), number="N" * 65))
    assert violations(caught) == {"document.number"}


def test_a_review_verifies_or_rejects_never_back_to_pending() -> None:
    validate_review(ReviewOutcome(Verification.VERIFIED))
    validate_review(ReviewOutcome(Verification.REJECTED, "blurred photo"))
    with pytest.raises(InvalidArgument) as caught:
        validate_review(ReviewOutcome(Verification.PENDING))
    assert violations(caught) == {"verification_state"}


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_a_rejection_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_review(ReviewOutcome(Verification.REJECTED, reason))
    assert violations(caught) == {"reason"}


def test_a_review_reason_is_at_most_500_characters() -> None:
    validate_review(ReviewOutcome(Verification.REJECTED, "r" * 500))
    with pytest.raises(InvalidArgument) as caught:
        validate_review(ReviewOutcome(Verification.VERIFIED, "r" * 501))
    assert violations(caught) == {"reason"}
