"""Why FindNearestRiders left riders out (its ``explain`` flag): the live index's survey of the
area says which riders are stale, unavailable or unfit; the records of those the index holds
not eligible say why (the domain's eligibility rules); the rest were ranked past the count.

A second pass after the match, only when asked: riders move and change between the two, so
the counts describe the moment of the survey."""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from logistics.domain.compliance import ReasonCode, evaluate
from logistics.domain.errors import NotFound
from logistics.domain.ids import TenantSlug
from logistics.geo.live_values import AreaSurvey
from logistics.services.compliance import rider_facts
from logistics.store.unit_of_work import Store, UnitOfWork

# The riders whose records are read (the nearest not-eligible ones); the rest of them count as
# NOT_ELIGIBLE. Each costs a few queries.
MAX_RECORDS_READ = 100


class LeftOut(enum.StrEnum):
    STALE_POSITION = "stale_position"
    OUTSIDE_RADIUS = "outside_radius"
    NOT_ACTIVE = "not_active"
    OFF_SHIFT = "off_shift"
    NO_VEHICLE = "no_vehicle"
    DOCUMENT_MISSING = "document_missing"
    DOCUMENT_EXPIRED = "document_expired"
    DOCUMENT_REJECTED = "document_rejected"
    DOCUMENT_UNVERIFIED = "document_unverified"
    PROFILE_OUTDATED = "profile_outdated"
    NOT_ELIGIBLE = "not_eligible"
    AT_CAPACITY = "at_capacity"
    OFFER_OPEN = "offer_open"
    VEHICLE_TYPE = "vehicle_type"
    CAPACITY = "capacity"
    FLEET = "fleet"
    ZONE = "zone"
    BEYOND_MAX_RIDERS = "beyond_max_riders"


# What the live index's scripts say (geo.scripts._UNAVAILABLE and _MISFIT), and what the
# eligibility rules say, as reasons.
_FROM_INDEX = {
    "busy": LeftOut.AT_CAPACITY,
    "holds an open offer": LeftOut.OFFER_OPEN,
    "vehicle type": LeftOut.VEHICLE_TYPE,
    "capacity": LeftOut.CAPACITY,
    "fleet": LeftOut.FLEET,
    "zone": LeftOut.ZONE,
}
_NOT_ELIGIBLE = "not eligible"
_FROM_RULES = {
    ReasonCode.NOT_ACTIVE: LeftOut.NOT_ACTIVE,
    ReasonCode.OFF_SHIFT: LeftOut.OFF_SHIFT,
    ReasonCode.NO_VEHICLE: LeftOut.NO_VEHICLE,
    ReasonCode.CAPACITY: LeftOut.CAPACITY,
    ReasonCode.DOCUMENT_MISSING: LeftOut.DOCUMENT_MISSING,
    ReasonCode.DOCUMENT_EXPIRED: LeftOut.DOCUMENT_EXPIRED,
    ReasonCode.DOCUMENT_REJECTED: LeftOut.DOCUMENT_REJECTED,
    ReasonCode.DOCUMENT_UNVERIFIED: LeftOut.DOCUMENT_UNVERIFIED,
}


@dataclass(frozen=True)
class Explanation:
    """How many riders the survey examined and, per reason, how many it left out (a rider
    with several reasons counts under each)."""

    examined: int
    left_out: dict[LeftOut, int]


async def explain(
    store: Store, tenant: TenantSlug, survey: AreaSurvey, returned: set[str], now: datetime
) -> Explanation:
    counts: Counter[LeftOut] = Counter(
        {LeftOut.STALE_POSITION: survey.stale, LeftOut.OUTSIDE_RADIUS: survey.outside}
    )
    ineligible: list[str] = []
    for rider in survey.riders:
        if rider.unavailable == _NOT_ELIGIBLE:
            ineligible.append(rider.rider_id)
        elif rider.unavailable is not None:
            counts[_FROM_INDEX.get(rider.unavailable, LeftOut.NOT_ELIGIBLE)] += 1
        if rider.misfit is not None:
            counts[_FROM_INDEX.get(rider.misfit, LeftOut.NOT_ELIGIBLE)] += 1
        if rider.unavailable is None and rider.misfit is None and rider.rider_id not in returned:
            counts[LeftOut.BEYOND_MAX_RIDERS] += 1
    counts[LeftOut.NOT_ELIGIBLE] += max(0, len(ineligible) - MAX_RECORDS_READ)
    if ineligible:
        async with store.read(tenant) as uow:
            for rider_id in ineligible[:MAX_RECORDS_READ]:
                counts.update(await _eligibility_reasons(uow, rider_id, now))
    return Explanation(survey.examined, {k: v for k, v in counts.items() if v > 0})


async def _eligibility_reasons(uow: UnitOfWork, rider_id: str, now: datetime) -> set[LeftOut]:
    """Why the rules hold the rider not eligible now; PROFILE_OUTDATED when they do not (the
    index has not caught up), NOT_ACTIVE for a rider no longer on record."""
    try:
        facts = await rider_facts(uow, uuid.UUID(rider_id), now)
    except (NotFound, ValueError):
        return {LeftOut.NOT_ACTIVE}
    reasons = {_FROM_RULES[r.code] for r in evaluate(facts, now).reasons}
    return reasons or {LeftOut.PROFILE_OUTDATED}
