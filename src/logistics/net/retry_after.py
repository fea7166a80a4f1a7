"""The ``Retry-After`` header of an HTTP answer (RFC 9110, section 10.2.3): a number of seconds or
an HTTP date, turned into how long to wait from now."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["retry_after_s"]


def retry_after_s(value: str | None, now: datetime) -> float | None:
    """Seconds to wait: the header's delay in seconds, or the time from ``now`` until its date
    (0 if that date has passed); None if absent or neither form.

    ``now`` must be timezone-aware. A date with no zone (``-0000``) is read as GMT, which
    HTTP dates always are."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
