"""A step's presence checks (``domain.presence.PresenceCheck``) as the steps' JSON keeps them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logistics.domain.presence import Fix, PresenceCheck, Source, Verdict


def check_json(c: PresenceCheck | None) -> dict[str, Any] | None:
    if c is None:
        return None
    fix = c.fix
    return {
        "verdict": c.verdict.value,
        "flagged": c.flagged,
        "radius_m": c.radius_m,
        "distance_m": c.distance_m,
        "fix": None
        if fix is None
        else [fix.latitude, fix.longitude, fix.accuracy_m, fix.time.isoformat(), fix.source.value],
    }


def check_from_json(d: dict[str, Any] | None) -> PresenceCheck | None:
    if d is None:
        return None
    fix = d.get("fix")
    return PresenceCheck(
        verdict=Verdict(d["verdict"]),
        flagged=d["flagged"],
        radius_m=d["radius_m"],
        fix=None
        if fix is None
        else Fix(fix[0], fix[1], fix[2], datetime.fromisoformat(fix[3]), Source(fix[4])),
        distance_m=d.get("distance_m"),
    )
