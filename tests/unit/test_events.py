"""Typed events: the registry, their data as the outbox stores it, what they are about, which
webhook patterns take them, and the docs' table of them."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain import events as ev
from logistics.domain.coldchain import Range, Reading
from logistics.domain.compliance import (
    CompliancePolicy,
    DocumentKind,
    ReasonCode,
    Shift,
    Vehicle,
    Verification,
    Window,
)
from logistics.domain.eta import Eta, EtaSource, Travel
from logistics.domain.fleet import Fleet, FleetKind, Rider, VehicleType
from logistics.domain.flows import Flow, FlowKind, FlowStep
from logistics.domain.geofence import Circle, FenceKind, Geofence
from logistics.domain.notifications import Channel, NotificationRule, Recipient, Trigger
from logistics.domain.outlets import OpeningHours, Outlet
from logistics.domain.presence import Fix, PresenceCheck, Source, Verdict
from logistics.domain.tasks import Item, ProofKind, Step, StepKind, Task, TaskKind, TaskState
from logistics.domain.transfers import Line, Transfer, TransferState
from logistics.events.catalog import table, with_table
from logistics.events.envelope import event_of
from logistics.events.jetstream import EVENT_FAMILIES
from logistics.store.outbox import OutboxRow
from logistics.store.snapshot import event_data

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
T = "tenants/acme"
NOW = datetime(2024, 5, 1, 12, 30, 15, 250000, UTC)
ID = uuid.UUID("0b6f7c1e-9d8a-4c3b-a2f1-5e4d3c2b1a09")

TASK = Task(
    ID,
    TaskKind.DELIVERY,
    (
        Step(
            "drop",
            StepKind.DROP_OFF,
            -1.28,
            36.82,
            required_proofs=frozenset({ProofKind.ONE_TIME_CODE}),
            code_hash="sha256$secret",
        ),
    ),
    state=TaskState.ASSIGNED,
    rider_id=ID,
    create_time=NOW,
)
FLEET = Fleet(ID, "North", FleetKind.OWN, create_time=NOW)
RIDER = Rider(ID, "Amina", vehicle_type=VehicleType.MOTORBIKE, create_time=NOW)
VEHICLE = Vehicle(ID, VehicleType.CAR, plate="KDA 001A")
OUTLET = Outlet(
    "kitchen-1",
    "Central kitchen",
    -1.2864,
    36.8172,
    time_zone="Africa/Nairobi",
    opening_hours=(OpeningHours(1, 480, 1320),),
    create_time=NOW,
)
GEOFENCE = Geofence(ID, "Hub", FenceKind.HUB, Circle(-1.28, 36.82, 100), timedelta(minutes=5))
RULE = NotificationRule(ID, Trigger.TASK_STARTED, Recipient.CUSTOMER, Channel.SMS, "started")
SHIFT = Shift(ID, ID, Window(NOW, NOW + timedelta(hours=8)))
WEBHOOK = ev.WebhookShown(ID, ("task.*",), False, timedelta(days=1), None, (ev.SecretShown(NOW),))


def _task_event(cls: type[ev.TaskEvent]) -> ev.TaskEvent:
    return cls(f"{T}/tasks/{ID}", TASK, TaskState.CREATED, "why", "drop", f"{T}/riders/{ID}")


def _fence_event(cls: type[ev.GeofenceTransition]) -> ev.GeofenceTransition:
    return cls(f"{T}/riders/r", f"{T}/geofences/g", FenceKind.HUB, NOW, -1.28, 36.82)


FLOW = Flow(
    id=uuid.UUID(int=7),
    kind=FlowKind.FAILED_DELIVERY,
    task_id=uuid.UUID(int=8),
    context={"reason": "customer_absent", "action": "reattempt"},
    steps=(FlowStep(1, "take_over", task_id=uuid.UUID(int=8), detail="taken", done_time=NOW),),
)

CARRIER = ev.CarrierAccountShown(
    id=uuid.uuid4(),
    display_name="Sandbox couriers",
    adapter="on_demand",
    mode="test",
    kind="on_demand",
    vehicle_types=("motorbike",),
    zones=(),
    priority=1,
    disabled=False,
)

TRANSFER = Transfer(
    ID,
    "wh-westlands",
    "wh-industrial",
    (-1.2676, 36.8108),
    (-1.3070, 36.8510),
    (Item(sku="rice-5kg", quantity=10),),
    NOW,
    NOW + timedelta(hours=6),
    state=TransferState.SHORT,
    task_id=ID,
    run_date=NOW.date(),
    received=(Line("rice-5kg", 8),),
    missing=(Line("rice-5kg", 2),),
)

SAMPLES: list[ev.Event] = [
    *(
        _task_event(cls)
        for cls in (
            ev.TaskCreated,
            ev.TaskAssigned,
            ev.TaskEnRoute,
            ev.TaskArrived,
            ev.TaskStepCompleted,
            ev.TaskCompleted,
            ev.TaskFailed,
            ev.TaskCancelled,
            ev.TaskSlaAtRisk,
            ev.TaskSlaBreached,
            ev.TaskManualDispatch,
            ev.TaskDispatchWidened,
            ev.TaskReady,
        )
    ),
    ev.TaskRiderArrived(
        f"{T}/tasks/{ID}",
        TASK,
        TaskState.ARRIVED,
        step_id="drop",
        curbside=ev.CurbsideArrival("outlet-9", -1.28, 36.82, "Bay 3, Sarit Centre", True),
    ),
    ev.TaskUpdated(
        f"{T}/tasks/{ID}", TASK, TaskState.ASSIGNED, changed=("priority", "steps[1].location")
    ),
    ev.TaskDelayed(
        f"{T}/tasks/{ID}",
        TASK,
        TaskState.EN_ROUTE,
        reason="delivery predicted 4 min late (road)",
        arrival=Eta.of(NOW, Travel(5400.0, 840.0, EtaSource.ROAD)),
        deadline=NOW + timedelta(minutes=10),
    ),
    ev.TaskCompletionFlagged(
        f"{T}/tasks/{ID}",
        TASK,
        TaskState.COMPLETED,
        reason="completed 2.1 km from the drop-off (allowed 100 m; request position)",
        step_id="drop",
        action="complete",
        check=PresenceCheck(
            Verdict.OUTSIDE, True, 100.0, Fix(-1.28, 36.8, 12.0, NOW, Source.REQUEST), 2100.0
        ),
    ),
    ev.TaskTemperatureExcursion(
        f"{T}/tasks/{ID}",
        TASK,
        TaskState.EN_ROUTE,
        reason="9.5 °C on probe p1, outside 2 to 8 °C",
        reading=Reading("p1", NOW, 9.5),
        range=Range(2.0, 8.0),
        since=NOW - timedelta(minutes=6),
    ),
    ev.TaskTemperatureRecovered(
        f"{T}/tasks/{ID}",
        TASK,
        TaskState.EN_ROUTE,
        reason="back in range at 7 °C (probe p1); peak 11 °C",
        reading=Reading("p1", NOW, 7.0),
        range=Range(2.0, 8.0),
        since=NOW - timedelta(minutes=16),
        peak_c=11.0,
    ),
    ev.RouteCompleted(f"{T}/routes/r1", str(ID), "van-1", 4, 12_500.5),
    ev.FleetCreated(f"{T}/fleets/f", FLEET),
    ev.FleetUpdated(f"{T}/fleets/f", FLEET),
    ev.OutletCreated(f"{T}/outlets/kitchen-1", OUTLET),
    ev.OutletUpdated(f"{T}/outlets/kitchen-1", OUTLET, ("location", "opening_hours")),
    ev.FleetDeleted(f"{T}/fleets/f"),
    ev.RiderCreated(f"{T}/riders/r", RIDER),
    ev.RiderUpdated(f"{T}/riders/r", RIDER),
    ev.RiderDeleted(f"{T}/riders/r"),
    ev.VehicleCreated(f"{T}/vehicles/v", VEHICLE),
    ev.VehicleUpdated(f"{T}/vehicles/v", VEHICLE),
    ev.VehicleDeleted(f"{T}/vehicles/v"),
    ev.RiderShiftCreated(f"{T}/riders/r/shifts/s", SHIFT),
    ev.RiderShiftUpdated(f"{T}/riders/r/shifts/s", SHIFT),
    ev.RiderShiftDeleted(f"{T}/riders/r/shifts/s"),
    ev.CompliancePolicyUpdated(f"{T}/compliancePolicy", CompliancePolicy(update_time=NOW)),
    ev.RiderComplianceChanged(
        f"{T}/riders/r",
        f"{T}/riders/r/documents/d",
        DocumentKind.LICENCE,
        Verification.VERIFIED,
        NOW,
        "document expired",
        False,
        (ReasonCode.DOCUMENT_EXPIRED,),
    ),
    ev.RiderOnline(f"{T}/riders/r", NOW),
    ev.RiderOffline(f"{T}/riders/r", None),
    ev.RiderSpoofingSuspected(f"{T}/riders/r", 7, NOW, -1.28, 36.82, "900 km/h"),
    *(
        kind(f"{T}/riders/r", f"{T}/routes/x", None, NOW, NOW, -1.28, 36.82, 120.0, 130.0)
        for kind in (ev.RiderOffRoute, ev.RiderBackOnRoute)
    ),
    _fence_event(ev.GeofenceEntered),
    _fence_event(ev.GeofenceExited),
    _fence_event(ev.GeofenceDwelled),
    ev.GeofenceCreated(f"{T}/geofences/g", GEOFENCE),
    ev.GeofenceUpdated(f"{T}/geofences/g", GEOFENCE),
    ev.GeofenceDeleted(f"{T}/geofences/g"),
    ev.WebhookCreated(f"{T}/webhooks/w", WEBHOOK),
    ev.WebhookUpdated(f"{T}/webhooks/w", WEBHOOK),
    ev.WebhookDeleted(f"{T}/webhooks/w"),
    ev.WebhookSecretRotated(f"{T}/webhooks/w", WEBHOOK),
    ev.WebhookDisabled(f"{T}/webhooks/w", True, "the receiver answered 410 Gone"),
    ev.CarrierAccountCreated(f"{T}/carrierAccounts/a", CARRIER),
    ev.CarrierAccountUpdated(f"{T}/carrierAccounts/a", CARRIER),
    ev.CarrierAccountDeleted(f"{T}/carrierAccounts/a"),
    ev.CarrierJobBooked(
        job=f"{T}/tasks/t/carrierJobs/j",
        task=f"{T}/tasks/t",
        account=f"{T}/carrierAccounts/a",
        carrier_ref="del_1",
        quoted_amount=25000,
        currency="KES",
    ),
    ev.CarrierJobUpdated(
        job=f"{T}/tasks/t/carrierJobs/j",
        task=f"{T}/tasks/t",
        status="at_pickup",
        carrier_status="at_pickup",
        courier_name="Achieng",
        latitude=-1.29,
        longitude=36.82,
    ),
    ev.CarrierFailure(
        task=f"{T}/tasks/t",
        account=f"{T}/carrierAccounts/a",
        reason="the carrier failed the job: recipient not home",
        carrier_job=f"{T}/tasks/t/carrierJobs/j",
    ),
    ev.NotificationRuleCreated(f"{T}/notificationRules/r", RULE),
    ev.NotificationRuleUpdated(f"{T}/notificationRules/r", RULE),
    ev.NotificationRuleDeleted(f"{T}/notificationRules/r"),
    ev.NotificationRequested(
        name=f"{T}/notifications/n",
        task=f"{T}/tasks/t",
        rule=f"{T}/notificationRules/r",
        trigger="task.started",
        recipient="customer",
        to="+254700000001",
        recipient_name="Achieng",
        channel="sms",
        template_id="started",
        tracking_link="https://track.example.com/track/#token=t",
        task_state="en_route",
    ),
    *(
        cls(name=f"{T}/flows/f", flow=FLOW, task=f"{T}/tasks/t")
        for cls in (
            ev.FlowStarted,
            ev.FlowCompleted,
            ev.FlowCompensating,
            ev.FlowCompensated,
            ev.FlowFailed,
        )
    ),
    ev.FlowStepCompleted(name=f"{T}/flows/f", flow=FLOW, task=f"{T}/tasks/t", step=FLOW.steps[0]),
    *(
        cls(
            name=f"{T}/transfers/{ID}",
            transfer=TRANSFER,
            from_state=TransferState.SCHEDULED,
            task=f"{T}/tasks/{ID}",
        )
        for cls in (
            ev.TransferCreated,
            ev.TransferRescheduled,
            ev.TransferPickedUp,
            ev.TransferDelivered,
            ev.TransferCancelled,
            ev.TransferReturning,
            ev.TransferReturned,
        )
    ),
    ev.TransferShort(
        name=f"{T}/transfers/{ID}",
        transfer=TRANSFER,
        from_state=TransferState.PICKED_UP,
        task=f"{T}/tasks/{ID}",
        missing=(Line("rice-5kg", 2),),
    ),
]


def stored(event: ev.Event) -> dict[str, Any]:
    """The event's data as it comes back from the outbox's jsonb column."""
    data: dict[str, Any] = json.loads(
        json.dumps(event_data(dataclasses.replace(event, tenant="acme")))
    )
    return data


def guessed_resource(data: Mapping[str, Any]) -> str:
    """How the envelope found the resource before events were typed: ``name``, else the
    first value naming a resource, keys taken shortest first as jsonb orders them."""
    name = data.get("name")
    if isinstance(name, str) and name:
        return name
    for key in sorted(data, key=lambda k: (len(k.encode()), k.encode())):
        value = data[key]
        if isinstance(value, str) and value.startswith("tenants/"):
            return value
    return ""


def test_every_event_class_is_registered_once_under_its_type() -> None:
    assert sorted(type(e).type for e in SAMPLES) == list(ev.EVENTS)
    assert all(ev.EVENTS[type(e).type] is type(e) for e in SAMPLES)


def test_families_are_the_first_tokens_of_the_types_and_the_stream_takes_each() -> None:
    assert set(ev.FAMILIES) == {t.split(".")[0] for t in ev.EVENTS}
    assert set(ev.FAMILIES) <= set(EVENT_FAMILIES)
    assert "live" not in EVENT_FAMILIES


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).type)
def test_event_data_is_the_tenant_and_the_class_fields_in_json(event: ev.Event) -> None:
    data = stored(event)

    own = {f.name for f in dataclasses.fields(event)} - {"id", "tenant"}
    assert set(data) == {"tenant"} | own
    assert data["tenant"] == "acme"


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).type)
def test_the_resource_is_the_declared_field_and_what_was_published_before(
    event: ev.Event,
) -> None:
    data = stored(event)
    row = OutboxRow(uuid.uuid4(), 1, type(event).type, data, NOW)

    assert event.resource.startswith("tenants/")
    assert event_of(row).resource == event.resource == guessed_resource(data)


def test_task_events_carry_the_task_without_its_codes_hash() -> None:
    data = stored(_task_event(ev.TaskAssigned))

    assert data["task"]["steps"][0]["required_proofs"] == ["one_time_code"]
    assert "code_hash" not in data["task"]["steps"][0]
    assert data["task"]["state"] == "assigned"
    assert data["task"]["create_time"] == "2024-05-01T12:30:15.250000+00:00"
    assert data["from_state"] == "created"
    assert data["rider"] == f"{T}/riders/{ID}"


def test_values_are_rendered_as_the_api_json_spells_them() -> None:
    webhook = stored(ev.WebhookCreated(f"{T}/webhooks/w", WEBHOOK))["webhook"]
    fence = stored(ev.GeofenceCreated(f"{T}/geofences/g", GEOFENCE))["geofence"]

    assert webhook == {
        "id": str(ID),
        "event_types": ["task.*"],
        "disabled": False,
        "retry_window": 86400.0,
        "description": None,
        "secrets": [{"expire_time": "2024-05-01T12:30:15.250000+00:00"}],
    }
    assert fence["dwell_threshold"] == 300.0
    assert fence["shape"] == {"latitude": -1.28, "longitude": 36.82, "radius_m": 100}


def test_the_unit_of_work_sets_the_tenant_and_the_id_is_made_with_the_event() -> None:
    a, b = ev.FleetDeleted("tenants/a/fleets/f"), ev.FleetDeleted("tenants/a/fleets/f")

    assert a.id != b.id
    assert a.tenant == ""
    assert dataclasses.replace(a, tenant="a").id == a.id
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "other"  # type: ignore[misc]


def events_under(*specs: tuple[str, str]) -> type[ev.Event]:
    """A base event class (one field, ``name``) with a subclass per (type, resource field)."""
    base = dataclasses.make_dataclass("Base", [("name", str)], bases=(ev.Event,), frozen=True)
    subclasses = [
        dataclasses.make_dataclass(
            "Sub",
            [],
            bases=(base,),
            frozen=True,
            namespace={"type": event_type, "resource_field": resource},
        )
        for event_type, resource in specs
    ]
    # __subclasses__() holds weak references: keep the subclasses alive as long as the base,
    # or a garbage collection between here and collect() drops one (and the duplicate).
    base._keep = subclasses  # type: ignore[attr-defined]
    return base


def test_a_registry_holds_the_concrete_classes_under_a_base() -> None:
    assert list(ev.collect(events_under(("thing.happened", "name")))) == ["thing.happened"]


@pytest.mark.parametrize(
    ("specs", "problem"),
    [
        ((("thing.happened", "name"), ("thing.happened", "name")), "share"),
        ((("Thing", "name"),), "dotted"),
        ((("thing.moved", "rider"),), "no field 'rider'"),
    ],
)
def test_a_registry_refuses_repeated_or_malformed_types_and_a_missing_resource(
    specs: tuple[tuple[str, str], ...], problem: str
) -> None:
    with pytest.raises(TypeError, match=problem):
        ev.collect(events_under(*specs))


# Patterns: "task.completed" or "task.*" (any deeper prefix too); none means every type.


@pytest.mark.parametrize(
    ("patterns", "event_type", "taken"),
    [
        ((), "rider.created", True),
        (("task.*",), "task.assigned", True),
        (("task.*",), "rider.created", False),
        (("task.completed",), "task.completed", True),
        (("task.completed",), "task.completed_late", False),
        (("task.*",), "taskforce.created", False),
        (("a.b.*",), "a.b.c", True),
        (("a.*",), "a.b.c", True),
        (("a.b.*",), "a.bc.d", False),
        (("rider.*", "task.completed"), "task.completed", True),
    ],
)
def test_a_webhook_takes_the_types_its_patterns_name(
    patterns: tuple[str, ...], event_type: str, taken: bool
) -> None:
    assert ev.takes(patterns, event_type) is taken


def sql_rule(pattern: str, event_type: str) -> bool:
    """The fan-out's SQL before it used patterns_taking: equal, or a '.*' prefix."""
    return pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))


TOKENS = st.sampled_from(["a", "b", "task", "tasks", "x_1"])
TYPES = st.lists(TOKENS, min_size=2, max_size=4).map(".".join)
PATTERNS = st.one_of(
    TYPES, st.lists(TOKENS, min_size=1, max_size=3).map(lambda t: ".".join(t) + ".*")
)


@given(PATTERNS, TYPES)
def test_matching_is_what_the_fan_out_did_in_sql(pattern: str, event_type: str) -> None:
    assert ev.is_pattern(pattern)
    assert ev.is_event_type(event_type)
    assert ev.takes([pattern], event_type) is sql_rule(pattern, event_type)


@pytest.mark.parametrize("bad", ["task", "*", "task.", ".x", "task.**", "Task.*", "task.>"])
def test_a_malformed_pattern_is_refused(bad: str) -> None:
    assert not ev.is_pattern(bad)


def test_the_docs_table_of_event_types_is_the_registry() -> None:
    doc = DOCS.read_text()

    assert table() in doc
    assert with_table(doc) == doc, "run: python -m logistics.events.catalog docs/events.md"
    for event_type in ev.EVENTS:
        assert f"| `{event_type}` |" in doc
