"""What dispatch reads and writes in the live index, as dispatch uses it (implemented by
``geo.live_index.LiveIndex`` and ``geo.matcher.Matcher``); a Redis failure is ``Unavailable``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from logistics.geo.live_values import AreaSurvey, Candidate, DispatchProfile, Need


class ProfileIndex(Protocol):
    """Where a rider's dispatch profile (what matching filters on) is kept."""

    async def set_profile(
        self, tenant: str, rider_id: str, profile: DispatchProfile, now: datetime | None = None
    ) -> None: ...


class NearbyRiders(Protocol):
    """The nearest available riders to a point that the need admits, nearest first; and, to
    explain an answer, what the rules hold against every rider near the point."""

    async def nearest(
        self,
        tenant: str,
        latitude: float,
        longitude: float,
        *,
        count: int,
        radius_m: float,
        need: Need,
        now: datetime,
    ) -> list[Candidate]: ...

    async def survey(
        self,
        tenant: str,
        latitude: float,
        longitude: float,
        *,
        radius_m: float,
        need: Need,
        now: datetime,
    ) -> AreaSurvey:
        """Every rider within ``radius_m``, judged by the rules ``nearest`` applies."""
        ...
