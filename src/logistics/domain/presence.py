"""Verified completion: was the rider at the step when arriving and completing? The tenant's
completion policy, which position to judge by, and the rule, with the fix's accuracy as slack.

The rule is one-sided on purpose: a position is *outside* only when even the nearest point of
its accuracy circle lies beyond the threshold (``distance - accuracy > radius``). A fix
accurate to 80 m and 120 m away is not proof of being elsewhere; a fix accurate to 10 m and
2 km away is. Pure: the live fix and the clock come in as values.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.errors import FieldViolation, InvalidArgument
from logistics.domain.telemetry import haversine_m


class Enforcement(enum.StrEnum):
    OFF = "off"  # no check at all
    FLAG = "flag"  # outside: the step completes and is flagged
    REFUSE = "refuse"  # outside: a rider's own action is FAILED_PRECONDITION


class Source(enum.StrEnum):
    REQUEST = "request"  # the location sent with the action
    LIVE = "live"  # the rider's last fix in the live index


class Verdict(enum.StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    NO_POSITION = "no_position"  # nothing usable to judge by


@dataclass(frozen=True)
class CompletionPolicy:
    """The tenant's rules (``tenants/{tenant}/completionPolicy``); the defaults apply until an
    admin sets it."""

    enforcement: Enforcement = Enforcement.FLAG
    radius_m: float = 100.0
    # A live fix counts when recorded within this of the action's time (either side).
    max_fix_age: timedelta = timedelta(seconds=60)
    # A fix less accurate than this proves nothing either way: it is not used.
    max_accuracy_m: float = 150.0
    # No usable position at all: flag the step (True) or let it pass (False).
    flag_without_position: bool = False
    update_time: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class Fix:
    """A claimed position: where, how accurate (metres, 0: not said), when, from where."""

    latitude: float
    longitude: float
    accuracy_m: float
    time: datetime
    source: Source


@dataclass(frozen=True)
class PresenceCheck:
    """What one check found, kept on the step and carried by ``task.completion_flagged``.
    ``fix``: the position judged (None: no usable one); ``distance_m`` from the step's location."""

    verdict: Verdict
    flagged: bool
    radius_m: float
    fix: Fix | None = None
    distance_m: float | None = None

    def describe(self, action: str, step_kind: str) -> str:
        """In words, for the trail and the refusal: "completed 2.1 km from the drop_off ..."."""
        place = step_kind.replace("_", "-")
        if self.fix is None or self.distance_m is None:
            return f"{action} with no usable position to check against the {place}"
        slack = f" + accuracy {_metres(self.fix.accuracy_m)}" if self.fix.accuracy_m else ""
        return (
            f"{action} {_metres(self.distance_m)} from the {place} "
            f"(allowed {_metres(self.radius_m)}{slack}; {self.fix.source.value} position)"
        )


def _metres(value: float) -> str:
    return f"{value / 1000:.1f} km" if value >= 1000 else f"{value:.0f} m"


def outside(distance_m: float, accuracy_m: float, radius_m: float) -> bool:
    """The rule: beyond the threshold even at the near edge of the accuracy circle."""
    return distance_m - accuracy_m > radius_m


def choose_fix(
    sent: Fix | None, live: Fix | None, at: datetime, policy: CompletionPolicy
) -> Fix | None:
    """The position to judge by: the one sent with the action (it is as of the action's time,
    so the freshest), else the live fix when recorded within ``max_fix_age`` of the action's
    time (an offline action replayed later is not judged by where the rider is now). A fix
    less accurate than ``max_accuracy_m`` is passed over."""
    if sent is not None and sent.accuracy_m <= policy.max_accuracy_m:
        return sent
    if (
        live is not None
        and live.accuracy_m <= policy.max_accuracy_m
        and abs(live.time - at) <= policy.max_fix_age
    ):
        return live
    return None


def check_presence(
    fix: Fix | None, latitude: float, longitude: float, policy: CompletionPolicy
) -> PresenceCheck:
    """Judges ``fix`` against the step's location; ``flagged`` when outside, or with no
    position when the policy says so. A step without a location (never the case once
    assigned) cannot be judged: no position."""
    if fix is None or math.isnan(latitude) or math.isnan(longitude):
        return PresenceCheck(
            Verdict.NO_POSITION, policy.flag_without_position, policy.radius_m, fix
        )
    distance = haversine_m(fix.latitude, fix.longitude, latitude, longitude)
    out = outside(distance, fix.accuracy_m, policy.radius_m)
    verdict = Verdict.OUTSIDE if out else Verdict.INSIDE
    return PresenceCheck(verdict, out, policy.radius_m, fix, distance)


def validate_completion_policy(policy: CompletionPolicy) -> None:
    """Raises InvalidArgument naming every bad field of a policy being set."""
    out: list[FieldViolation] = []
    if not 10 <= policy.radius_m <= 5000:
        out.append(FieldViolation("policy.radius_m", "must be 10 to 5000 metres"))
    if not timedelta(0) <= policy.max_fix_age <= timedelta(minutes=10):
        out.append(FieldViolation("policy.max_fix_age", "must be between 0 and 10 minutes"))
    if not 1 <= policy.max_accuracy_m <= 1000:
        out.append(FieldViolation("policy.max_accuracy_m", "must be 1 to 1000 metres"))
    if out:
        raise InvalidArgument(out)
