"""Retry waits: exponential backoff with jitter, computed by tenacity's wait strategies.

``full_jitter`` draws uniformly from ``[0, min(cap, base * 2**(n - 1))]`` before retry ``n``
(webhook deliveries, discovery: many callers retrying one receiver spread out); ``equal_jitter``
keeps at least half of that ceiling (the outbox relay: one caller, which should not hammer a
recovering NATS or PostgreSQL but need not wait long either).

Discovery retries through tenacity itself. The relay and the webhook deliveries keep their own
schedule and only ask for the wait: the relay's loop runs until stopped, purging and polling
between batches, and a webhook delivery's next attempt is a time stored with the delivery (so
it survives restarts and any worker may make it), not a sleep in the process that failed.
"""

from __future__ import annotations

from tenacity import RetryCallState, Retrying, wait_exponential, wait_random_exponential
from tenacity.wait import wait_base

__all__ = ["delay_before_retry", "equal_jitter", "full_jitter"]


def full_jitter(base_s: float, cap_s: float) -> wait_base:
    """Uniform in ``[0, min(cap_s, base_s * 2**(n - 1))]`` before retry ``n``."""
    return wait_random_exponential(multiplier=base_s, max=cap_s)


def equal_jitter(base_s: float, cap_s: float) -> wait_base:
    """Uniform in ``[c / 2, c]``, ``c = min(cap_s, base_s * 2**(n - 1))``, before retry ``n``."""
    return wait_exponential(multiplier=base_s / 2, max=cap_s / 2) + full_jitter(
        base_s / 2, cap_s / 2
    )


def delay_before_retry(wait: wait_base, failed_attempts: int) -> float:
    """Seconds ``wait`` asks for after ``failed_attempts`` (1, 2, ...) failures in a row, for
    code that keeps its own schedule rather than retrying a call through tenacity."""
    if failed_attempts < 1:
        raise ValueError("the wait before a retry follows at least one failed attempt")
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = failed_attempts
    return wait(state)
