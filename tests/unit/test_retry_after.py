"""``Retry-After`` as HTTP sends it: delay seconds or an HTTP date (in each of its three forms)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from logistics.net.retry_after import retry_after_s

NOW = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), ("0", 0.0), (" 7 ", 7.0)])
def test_delay_seconds_are_taken_as_given(value: str, seconds: float) -> None:
    assert retry_after_s(value, NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "Thu, 03 Dec 2026 12:01:30 GMT",  # IMF-fixdate, the form servers must send
        "Thursday, 03-Dec-26 12:01:30 GMT",  # obsolete RFC 850 form
        "Thu Dec  3 12:01:30 2026",  # obsolete asctime form, which has no zone: GMT
    ],
)
def test_http_date_is_the_time_from_now_until_then(value: str) -> None:
    assert retry_after_s(value, NOW) == 90.0


def test_http_date_in_another_now_counts_from_that_now() -> None:
    later = NOW + timedelta(seconds=60)

    assert retry_after_s("Thu, 03 Dec 2026 12:01:30 GMT", later) == 30.0


def test_http_date_already_past_means_no_wait() -> None:
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "१२", "Thu, 99 Dec 2026"])
def test_anything_else_counts_as_absent(value: str | None) -> None:
    assert retry_after_s(value, NOW) is None
