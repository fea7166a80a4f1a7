"""Verified completion in a rider action's transaction: the rider's position judged against the
step's location under the tenant's completion policy (``domain.presence``), a refusal where
the policy says so, the flag kept on the step and announced (``task.completion_flagged``); and
the policy itself.

What it proves: that the rider's device reported a position near the step (the one sent with
the action, else a live fix recorded close to the action's time). Both are the device's
claims, forged as easily as each other (docs/threat-model.md): this closes the plain fraud of
tapping "delivered" from elsewhere with a working GPS, not a mock-location app.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from logistics.domain.caller import Caller
from logistics.domain.errors import FailedPrecondition, Unavailable
from logistics.domain.events import TaskCompletionFlagged
from logistics.domain.ids import TenantSlug
from logistics.domain.names import COMPLETION_POLICY
from logistics.domain.presence import (
    CompletionPolicy,
    Enforcement,
    Fix,
    PresenceCheck,
    Source,
    Verdict,
    check_presence,
    choose_fix,
    validate_completion_policy,
)
from logistics.domain.tasks import Step, Task
from logistics.geo.live_values import LivePosition
from logistics.outages import OutageLog
from logistics.services import crud
from logistics.services.tasks.trail import Location, record
from logistics.store.unit_of_work import Store, UnitOfWork

logger = logging.getLogger(__name__)

__all__ = [
    "PresenceChecker",
    "RiderPositions",
    "SentPosition",
    "get_policy",
    "record_flag",
    "update_policy",
]


class RiderPositions(Protocol):
    """A rider's live position as the live index has it (``geo.live_index.LiveIndex``)."""

    async def rider(self, tenant: str, rider_id: str) -> LivePosition | None: ...


@dataclass(frozen=True)
class SentPosition:
    """The position a rider action carried: where (None: none), how accurate (0: not said)."""

    location: Location | None = None
    accuracy_m: float = 0.0

    def hashed(self) -> tuple[float, ...]:
        """The accuracy for the request's fingerprint, only when given: an action sent before
        accuracy existed keeps its fingerprint."""
        return (self.accuracy_m,) if self.accuracy_m else ()


class PresenceChecker:
    """``positions``: the live index (None: only the position sent with an action counts)."""

    def __init__(self, positions: RiderPositions | None) -> None:
        self._positions = positions
        self._outages = OutageLog()

    async def check(
        self,
        uow: UnitOfWork,
        caller: Caller,
        task: Task,
        sent: SentPosition,
        when: datetime,
        action: str,
    ) -> PresenceCheck | None:
        """Judges the rider's position at the task's current step (None: the policy is off).
        Outside under a refusing policy, a rider's own action is FAILED_PRECONDITION
        (``OUTSIDE_STEP_AREA``, the distance and the allowance in the details); a dispatcher
        acting for the rider is never refused, only flagged. ``action``: `arrive` or
        `complete`; ``task``: as loaded, its current step the one acted on; ``when``: the action's
        time (the device's, for an offline action)."""
        policy = await uow.completion_policy.get()
        if policy.enforcement is Enforcement.OFF:
            return None
        step = task.step
        given = None
        if sent.location is not None:
            lat, lng = sent.location
            given = Fix(lat, lng, sent.accuracy_m, when, Source.REQUEST)
        live = None
        # Read inside the transaction: whose fix to read is known once the task is locked.
        # One Redis read, bounded by the client's timeouts, only when no usable position came.
        if (given is None or given.accuracy_m > policy.max_accuracy_m) and task.rider_id:
            live = await self._live(uow.tenant, task.rider_id)
        found = check_presence(
            choose_fix(given, live, when, policy), step.latitude, step.longitude, policy
        )
        refused = policy.enforcement is Enforcement.REFUSE and caller.rider_id is not None
        if found.verdict is Verdict.OUTSIDE and refused:
            raise FailedPrecondition(
                found.describe(_did(action), step.kind.value),
                reason="OUTSIDE_STEP_AREA",
                details=_details(found, step),
            )
        return found

    async def _live(self, tenant: TenantSlug, rider_id: uuid.UUID) -> Fix | None:
        """The rider's last fix; none while the live index is down (logged once per outage):
        the check then goes by what it has, so an outage never blocks a delivery."""
        if self._positions is None:
            return None
        try:
            position = await self._positions.rider(tenant, str(rider_id))
        except Unavailable as exc:
            self._outages.failed(logger, "completions are checked without live positions", exc)
            return None
        if position is None:
            return None
        return Fix(
            position.latitude,
            position.longitude,
            position.accuracy_m,
            position.record_time,
            Source.LIVE,
        )


async def record_flag(
    caller: Caller,
    uow: UnitOfWork,
    task: Task,
    step_id: str,
    action: str,
) -> None:
    """After the arrival or completion is recorded: the step's check, when flagged, on the
    trail and as ``task.completion_flagged`` (the task as saved), in the same transaction."""
    step = next(s for s in task.steps if s.id == step_id)
    check = step.arrival_check if action == "arrive" else step.completion_check
    if check is None or not check.flagged:
        return
    fix = check.fix
    await record(
        caller,
        uow,
        task,
        task,
        TaskCompletionFlagged,
        reason=check.describe(_did(action), step.kind.value),
        location=(fix.latitude, fix.longitude) if fix is not None else None,
        step_id=step_id,
        extra={"action": action, "check": check},
    )


def _did(action: str) -> str:
    return "arrived" if action == "arrive" else "completed"


def _details(check: PresenceCheck, step: Step) -> dict[str, str]:
    """The refusal's ErrorInfo metadata (an outside verdict always has a fix)."""
    fix = check.fix
    return {
        "step_id": step.id,
        "distance_m": f"{check.distance_m or 0:.0f}",
        "radius_m": f"{check.radius_m:.0f}",
        "accuracy_m": f"{fix.accuracy_m if fix else 0:.0f}",
        "source": fix.source.value if fix else "",
    }


_POLICY: crud.Policy[CompletionPolicy, CompletionPolicy] = crud.Policy(
    COMPLETION_POLICY, "completion_policy", lambda uow: uow.completion_policy
)


async def get_policy(store: Store, caller: Caller, tenant: TenantSlug) -> CompletionPolicy:
    return await _POLICY.get(store, caller, tenant)


async def update_policy(
    store: Store, caller: Caller, tenant: TenantSlug, policy: CompletionPolicy, etag: str | None
) -> CompletionPolicy:
    return await _POLICY.replace(
        store, caller, tenant, policy, etag, validate=validate_completion_policy
    )
