"""Route adherence, pure: a planned path as a corridor a rider's positions are measured against,
the off-route hysteresis (the ping's accuracy widens the band, a time tolerance before an
alert), and the adherence score of a track replayed through the same rules."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from logistics.domain.telemetry import EARTH_RADIUS_M

LatLng = tuple[float, float]

# Segments searched behind and ahead of the last matched one on each ping: riders move along
# the path, so the nearest segment is almost always close to the last one.
NEAR_AHEAD = 16
BEHIND = 8
AHEAD = 240

# Without a road geometry the path is the straight line between stops: roads stray from it,
# so its corridor is this many times wider (and never under STRAIGHT_MIN_M).
STRAIGHT_FACTOR = 4.0
STRAIGHT_MIN_M = 250.0
# How far a deviation's recorded maximum distance may fall short of the true one: 20 m and
# 10 % (so a rider far off needs an exact distance only now and then).
SLACK_M = 20.0
SLACK = 0.1


def straight_corridor_m(corridor_m: float) -> float:
    return max(corridor_m * STRAIGHT_FACTOR, STRAIGHT_MIN_M)


@dataclass(frozen=True)
class PathRef:
    """What a rider is to follow: its open route (``route:<id>``, through the route's stops),
    or else the road to the next step of the task it is on its way with
    (``step:<task>:<step>``, from where the rider was when it set off to ``target``)."""

    key: str
    route_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    target: LatLng | None = None


ROAD = "osrm"
STRAIGHT_LINE = "straight_line"


@dataclass(frozen=True)
class RoutePath:
    """A path to follow: at least two points (lat, lng) and their source, ``ROAD`` (OSRM's
    road geometry) or ``STRAIGHT_LINE``; stored once for every replica and the score."""

    points: tuple[LatLng, ...]
    source: str
    create_time: datetime | None = None


class Corridor:
    """A path (at least two points) projected to metres around its first point
    (equirectangular: exact enough at city scale), with the distance of a point to it found
    near a hint segment first and over the whole path only when that finds nothing close."""

    def __init__(self, points: Sequence[LatLng]) -> None:
        if len(points) < 2:
            raise ValueError("a path needs at least two points")
        lat0, lng0 = points[0]
        self.ky = math.radians(1) * EARTH_RADIUS_M
        self.kx = self.ky * math.cos(math.radians(lat0))
        self.lat0, self.lng0 = lat0, lng0
        xy = [self.xy(lat, lng) for lat, lng in points]
        self._x = [p[0] for p in xy]
        self._y = [p[1] for p in xy]
        self._dx = [self._x[i + 1] - self._x[i] for i in range(len(xy) - 1)]
        self._dy = [self._y[i + 1] - self._y[i] for i in range(len(xy) - 1)]
        self._len2 = [dx * dx + dy * dy for dx, dy in zip(self._dx, self._dy, strict=True)]
        self.segments = len(self._dx)

    def xy(self, latitude: float, longitude: float) -> tuple[float, float]:
        return (longitude - self.lng0) * self.kx, (latitude - self.lat0) * self.ky

    def _nearest(self, x: float, y: float, segments: Iterable[int]) -> tuple[float, int]:
        best, best_i = math.inf, 0
        xs, ys, dxs, dys, l2s = self._x, self._y, self._dx, self._dy, self._len2
        for i in segments:
            px, py = x - xs[i], y - ys[i]
            l2 = l2s[i]
            if l2 > 0:
                t = (px * dxs[i] + py * dys[i]) / l2
                if t > 1.0:
                    px, py = px - dxs[i], py - dys[i]
                elif t > 0.0:
                    px, py = px - t * dxs[i], py - t * dys[i]
            d2 = px * px + py * py
            if d2 < best:
                best, best_i = d2, i
        return math.sqrt(best), best_i

    def distance(
        self, x: float, y: float, hint: int, sure_m: float, near_m: float
    ) -> tuple[float, int]:
        """Metres from (x, y) to the path and the nearest segment. Searched just ahead of
        ``hint`` (where a rider on the path almost always is), accepted if within ``sure_m``;
        then around it (``BEHIND``, ``AHEAD``), accepted if within ``near_m``; then over the
        whole path. An early answer may not be the nearest segment, only one near enough."""
        for behind, ahead, enough in ((2, NEAR_AHEAD, sure_m), (BEHIND, AHEAD, near_m)):
            lo, hi = max(0, hint - behind), min(self.segments, hint + ahead)
            d, i = self._nearest(x, y, range(lo, hi))
            if d <= enough or (lo == 0 and hi == self.segments):
                return d, i
        return self._nearest(x, y, range(self.segments))


class Side:
    INSIDE = 1
    OUTSIDE = -1
    UNSURE = 0


def side(distance_m: float, corridor_m: float, accuracy_m: float) -> int:
    """Inside, outside or unsure (within the ping's accuracy of the corridor's edge: the
    previous state stands), as for geofences."""
    margin = corridor_m - distance_m
    if margin > accuracy_m:
        return Side.INSIDE
    if margin < -accuracy_m:
        return Side.OUTSIDE
    if accuracy_m > 0:
        return Side.UNSURE
    return Side.INSIDE if margin >= 0 else Side.OUTSIDE


@dataclass(frozen=True)
class OffState:
    """A rider's standing against its path: off the corridor since when (epoch ms, None when
    on it), whether that was reported, the farthest it went, and the segment last matched."""

    off_since_ms: int | None = None
    reported: bool = False
    max_off_m: float = 0.0
    segment: int = 0


@dataclass(frozen=True)
class Change:
    """``off`` (the rider has been off the corridor for the tolerance) or ``back``."""

    kind: str
    at_ms: int
    off_since_ms: int
    distance_m: float
    max_off_m: float


def step(
    state: OffState, at_ms: int, distance_m: float, segment: int, band: int, tolerance_ms: int
) -> tuple[OffState, Change | None]:
    """One position (its ``band`` from ``side``) applied to the state."""
    if band == Side.OUTSIDE:
        if state.off_since_ms is None:
            return OffState(at_ms, False, distance_m, state.segment), None
        new = replace(state, max_off_m=max(state.max_off_m, distance_m))
        if not state.reported and at_ms - state.off_since_ms >= tolerance_ms:
            new = replace(new, reported=True)
            return new, Change("off", at_ms, state.off_since_ms, distance_m, new.max_off_m)
        return new, None
    if band == Side.INSIDE:
        if state.off_since_ms is not None and state.reported:
            change = Change("back", at_ms, state.off_since_ms, distance_m, state.max_off_m)
            return OffState(segment=segment), change
        if state.off_since_ms is not None or state.segment != segment:
            return OffState(segment=segment), None
    return state, None


@dataclass(frozen=True)
class Fix:
    """A position to check: epoch ms, where, how accurate."""

    at_ms: int
    latitude: float
    longitude: float
    accuracy_m: float


class Follower:
    """Checks one rider's positions against one corridor, keeping the state between pings.

    Most pings need no search: the distance to a path changes by at most the metres moved
    since the last search. From a distance found there (to some segment: an upper bound) a
    rider is known to be still surely inside while it has not moved the margin it had; from
    an exact distance far off (a whole-path search), still off and, within ``SLACK`` and
    ``SLACK_M``, no farther than its recorded maximum."""

    def __init__(
        self, corridor: Corridor, corridor_m: float, tolerance_ms: int, state: OffState
    ) -> None:
        self.corridor = corridor
        self.corridor_m = corridor_m
        self.tolerance_ms = tolerance_ms
        self.state = state
        # Where the last search was (x, y), the distance it found, and whether that was an
        # exact one far off (else an upper bound, the rider near the path).
        self._anchor: tuple[float, float, float, bool] | None = None

    def check(self, fix: Fix) -> tuple[float, Change | None]:
        """The distance (metres; a bound when no search was needed) and the change the fix
        makes."""
        x, y = self.corridor.xy(fix.latitude, fix.longitude)
        accuracy = fix.accuracy_m
        edge = self.corridor_m + accuracy
        sure = self.corridor_m - accuracy
        segment = self.state.segment
        anchor = self._anchor
        d = -1.0
        if anchor is not None:
            ax, ay, found, far = anchor
            moved = math.hypot(x - ax, y - ay)
            if not far and found + moved < sure:
                d = found + moved  # still surely inside
            elif (
                far
                and found - moved > edge
                and found + moved <= self.state.max_off_m * (1 + SLACK) + SLACK_M
            ):
                d = found - moved  # still off, and not much farther than recorded
        if d < 0:
            d, segment = self.corridor.distance(x, y, segment, sure, edge)
            far = d > edge
            self._anchor = (x, y, d, far)
            if far:
                segment = self.state.segment  # far off: keep the last place matched
        band = side(d, self.corridor_m, accuracy)
        self.state, change = step(self.state, fix.at_ms, d, segment, band, self.tolerance_ms)
        return d, change


@dataclass(frozen=True)
class Deviation:
    """A stretch off the corridor long enough to be reported; ``end_ms`` None if not over."""

    start_ms: int
    end_ms: int | None
    max_distance_m: float
    latitude: float  # where the alert was raised
    longitude: float


@dataclass(frozen=True)
class Adherence:
    """How closely a track kept to its path: the share of tracked time on the corridor
    (reported deviations count as off from when the rider left to when it returned)."""

    score: float
    tracked_ms: int
    off_route_ms: int
    deviations: tuple[Deviation, ...]
    points: int


def score(follower: Follower, fixes: Sequence[Fix]) -> Adherence:
    """Replays ``fixes`` (in time order) through ``follower`` as the live check does."""
    deviations: list[Deviation] = []
    open_: Deviation | None = None
    for fix in fixes:
        _, change = follower.check(fix)
        if change is None:
            continue
        if change.kind == "off":
            open_ = Deviation(
                change.off_since_ms, None, change.max_off_m, fix.latitude, fix.longitude
            )
        elif open_ is not None:
            deviations.append(replace(open_, end_ms=change.at_ms, max_distance_m=change.max_off_m))
            open_ = None
    last_ms = fixes[-1].at_ms if fixes else 0
    if open_ is not None:
        deviations.append(replace(open_, max_distance_m=follower.state.max_off_m))
    tracked = last_ms - fixes[0].at_ms if fixes else 0
    off = sum((d.end_ms if d.end_ms is not None else last_ms) - d.start_ms for d in deviations)
    value = 1.0 if tracked <= 0 else max(0.0, 1.0 - off / tracked)
    return Adherence(value, tracked, off, tuple(deviations), len(fixes))
