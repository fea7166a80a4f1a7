"""The rules of offline rider actions: the action id, the device time's bounds, and the
request fingerprint that tells a replay from another action under a reused id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.domain.errors import InvalidArgument
from logistics.domain.rider_actions import (
    MAX_DEVICE_SKEW,
    ActionStamp,
    device_time,
    parse_action_id,
)
from logistics.services.tasks.offline import fingerprint

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CREATED = NOW - timedelta(hours=2)


def test_an_action_id_is_a_uuid_or_nothing() -> None:
    made = uuid.uuid4()
    assert parse_action_id(str(made)) == made
    assert parse_action_id("") is None
    with pytest.raises(InvalidArgument) as caught:
        parse_action_id("tap-1")
    assert [v.field for v in caught.value.violations] == ["action_id"]


def test_no_device_time_means_now() -> None:
    assert device_time(ActionStamp(uuid.uuid4()), NOW, CREATED) == NOW


@given(st.timedeltas(min_value=-(NOW - CREATED) - MAX_DEVICE_SKEW, max_value=MAX_DEVICE_SKEW))
def test_a_device_time_within_bounds_is_kept_as_given(offset: timedelta) -> None:
    occurred = NOW + offset
    assert device_time(ActionStamp(occurred=occurred), NOW, CREATED) == occurred


@pytest.mark.parametrize(
    "occurred",
    [
        NOW + MAX_DEVICE_SKEW + timedelta(microseconds=1),
        NOW + timedelta(days=1),
        CREATED - MAX_DEVICE_SKEW - timedelta(microseconds=1),
        datetime(1970, 1, 1, tzinfo=UTC),
    ],
)
def test_a_device_time_out_of_bounds_is_invalid(occurred: datetime) -> None:
    with pytest.raises(InvalidArgument) as caught:
        device_time(ActionStamp(occurred=occurred), NOW, CREATED)
    assert [v.field for v in caught.value.violations] == ["occurred_time"]


def test_the_fingerprint_tells_actions_apart_and_hashes_content() -> None:
    name = "tenants/acme/tasks/1"
    assert fingerprint("StartTask", name, None) == fingerprint("StartTask", name, None)
    assert fingerprint("StartTask", name, None) != fingerprint("FailTask", name, None)
    assert fingerprint("ArriveAtStep", name, "0") != fingerprint("ArriveAtStep", name, "1")
    photo = [("photo", None, b"\x89PNG" * 100, (), None)]
    other = [("photo", None, b"\x89PNG" * 101, (), None)]
    assert fingerprint("CompleteStep", name, photo) != fingerprint("CompleteStep", name, other)
