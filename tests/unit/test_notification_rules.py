"""The notification rules' domain: validation, quiet hours (spanning midnight, DST), which
events set off which triggers, the step a recipient's ETA is measured to, and addressees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.errors import InvalidArgument
from logistics.domain.notifications import (
    Channel,
    NotificationRule,
    QuietHours,
    QuietMode,
    Recipient,
    Trigger,
    quiet_until,
    recipient_of,
    target_of,
    triggers_of,
    validate_rule,
)

NIGHT = QuietHours(22 * 60, 7 * 60)


def rule(**fields: Any) -> NotificationRule:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "trigger": Trigger.TASK_STARTED,
        "recipient": Recipient.CUSTOMER,
        "channel": Channel.SMS,
        "template_id": "started",
    }
    return NotificationRule(**{**values, **fields})


def bad_fields(candidate: NotificationRule) -> set[str]:
    with pytest.raises(InvalidArgument) as caught:
        validate_rule(candidate)
    return {v.field.removeprefix("notification_rule.") for v in caught.value.violations}


def test_a_complete_rule_is_valid() -> None:
    validate_rule(rule(trigger=Trigger.ETA, eta_threshold=timedelta(minutes=10)))
    validate_rule(rule(trigger=Trigger.ARRIVING, within_m=150))
    validate_rule(rule(quiet_hours=NIGHT, time_zone="Africa/Nairobi"))


def test_every_problem_is_named_at_once() -> None:
    assert bad_fields(
        rule(
            template_id="",
            within_m=150,
            quiet_hours=QuietHours(60, 60),
            time_zone="Nowhere/Atlantis",
        )
    ) == {"template_id", "within_m", "quiet_hours.end_minute", "time_zone"}


def test_the_threshold_and_the_distance_belong_to_their_triggers() -> None:
    assert bad_fields(rule(trigger=Trigger.ETA)) == {"eta_threshold"}
    assert bad_fields(rule(trigger=Trigger.ETA, eta_threshold=timedelta(hours=4))) == {
        "eta_threshold"
    }
    assert bad_fields(rule(trigger=Trigger.ARRIVING, within_m=5)) == {"within_m"}
    assert bad_fields(rule(eta_threshold=timedelta(minutes=5))) == {"eta_threshold"}
    assert bad_fields(rule(quiet_hours=NIGHT)) == {"time_zone"}


NAIROBI = "Africa/Nairobi"  # UTC+3, no DST


@pytest.mark.parametrize(
    ("utc", "until"),
    [
        (datetime(2026, 1, 5, 18, 59, tzinfo=UTC), None),  # 21:59 local
        (datetime(2026, 1, 5, 19, 0, tzinfo=UTC), datetime(2026, 1, 6, 4, 0, tzinfo=UTC)),
        (datetime(2026, 1, 5, 23, 0, tzinfo=UTC), datetime(2026, 1, 6, 4, 0, tzinfo=UTC)),
        (datetime(2026, 1, 6, 3, 59, tzinfo=UTC), datetime(2026, 1, 6, 4, 0, tzinfo=UTC)),
        (datetime(2026, 1, 6, 4, 0, tzinfo=UTC), None),  # 07:00: over
    ],
)
def test_quiet_hours_spanning_midnight_end_at_the_next_morning(
    utc: datetime, until: datetime | None
) -> None:
    assert quiet_until(NIGHT, NAIROBI, utc) == until


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = QuietHours(12 * 60, 14 * 60, QuietMode.SUPPRESS)
    assert quiet_until(lunch, NAIROBI, datetime(2026, 1, 5, 10, 0, tzinfo=UTC)) == datetime(
        2026, 1, 5, 11, 0, tzinfo=UTC
    )
    assert quiet_until(lunch, NAIROBI, datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) is None
    assert quiet_until(None, NAIROBI, datetime(2026, 1, 5, 10, 0, tzinfo=UTC)) is None


def test_quiet_hours_end_at_local_seven_across_a_dst_change() -> None:
    # Europe/Berlin moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
    until = quiet_until(NIGHT, "Europe/Berlin", datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert until == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST


@given(
    st.integers(0, 1439),
    st.integers(0, 1439),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_a_deferred_request_is_released_outside_the_quiet_hours(
    start: int, end: int, now: datetime
) -> None:
    if start == end:
        return
    quiet = QuietHours(start, end)
    until = quiet_until(quiet, NAIROBI, now)
    if until is not None:
        assert now < until <= now + timedelta(days=1)
        assert quiet_until(quiet, NAIROBI, until) is None


TASK: dict[str, Any] = {
    "id": "7d3f0c1e-0000-4000-8000-000000000001",
    "state": "en_route",
    "rider_id": "7d3f0c1e-0000-4000-8000-000000000002",
    "outlet_id": "java-house",
    "steps": [
        {"id": "0", "kind": "pickup", "latitude": 1.0, "longitude": 2.0, "state": "pending"},
        {
            "id": "1",
            "kind": "drop_off",
            "latitude": 3.0,
            "longitude": 4.0,
            "state": "pending",
            "contact_phone": "+254700000001",
            "contact_name": "Achieng",
        },
    ],
}


def with_steps(*states: str) -> dict[str, Any]:
    steps = [{**s, "state": st_} for s, st_ in zip(TASK["steps"], states, strict=True)]
    return {**TASK, "steps": steps}


def test_task_events_set_off_their_triggers() -> None:
    assert triggers_of("task.en_route", {"from_state": "assigned", "task": TASK}) == {
        Trigger.TASK_STARTED
    }
    assert triggers_of("task.step_completed", {"step_id": "0", "task": TASK}) == {
        Trigger.TASK_PICKED_UP
    }
    assert triggers_of("task.step_completed", {"step_id": "1", "task": TASK}) == set()
    assert triggers_of("task.completed", {"step_id": "1", "task": TASK}) == {Trigger.TASK_COMPLETED}
    assert triggers_of("task.failed", {"task": TASK}) == {Trigger.TASK_FAILED}
    assert triggers_of("task.delayed", {"task": TASK}) == {Trigger.TASK_DELAYED}
    assert triggers_of("task.updated", {"task": TASK}) == set()
    assert triggers_of("task.eta", {"task": TASK}) == set()  # not an event


def test_the_customer_is_measured_to_the_drop_off_once_the_pickup_is_done() -> None:
    assert target_of(with_steps("pending", "pending"), Recipient.OUTLET) is not None
    assert target_of(with_steps("pending", "pending"), Recipient.CUSTOMER) is None
    after_pickup = with_steps("completed", "pending")
    target = target_of(after_pickup, Recipient.CUSTOMER)
    assert target is not None
    assert (target.step_id, target.latitude, target.longitude) == ("1", 3.0, 4.0)
    assert target_of(after_pickup, Recipient.OUTLET) is None
    assert target_of(with_steps("completed", "arrived"), Recipient.CUSTOMER) is None


def test_addressees_and_the_keys_their_limit_counts() -> None:
    customer = recipient_of("acme", TASK, Recipient.CUSTOMER)
    assert (customer.key, customer.to, customer.display_name) == (
        "customer:+254700000001",
        "+254700000001",
        "Achieng",
    )
    rider = recipient_of("acme", TASK, Recipient.RIDER)
    assert rider.to == f"tenants/acme/riders/{TASK['rider_id']}"
    assert recipient_of("acme", TASK, Recipient.OUTLET).to == "tenants/acme/outlets/java-house"
    assert recipient_of("acme", TASK, Recipient.DISPATCHER).key == f"dispatcher:task:{TASK['id']}"
