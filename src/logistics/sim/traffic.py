"""The city's hidden speed field: how much faster or slower than its usual pace a rider moves
at a place and an hour (congested centres, rush hours, worse rush hours where it is already
congested, calmer weekends), and the service time at a pickup or a drop-off. The service
never sees it: it has to learn it from arrivals (``bench/eta.py`` measures how well). Pure.
"""

from __future__ import annotations

import math
from datetime import datetime

from logistics.sim.motion import Point, distance_m

# (centre, radius in metres, depth): speed at the centre is (1 - depth) of the open road's.
CONGESTION = (
    (Point(-1.2864, 36.8200), 1600.0, 0.55),  # CBD
    (Point(-1.2660, 36.8080), 1200.0, 0.40),  # Westlands
    (Point(-1.2740, 36.8480), 1300.0, 0.35),  # Eastleigh
    (Point(-1.2990, 36.8150), 900.0, 0.25),  # Upper Hill
    (Point(-1.3100, 36.8350), 1000.0, 0.20),  # South B
)
OPEN_ROAD = 1.1  # away from every centre riders beat the provider's typical speed a little
# (hour of day, width in hours, depth) of each weekday rush; weekends a third as deep.
RUSHES = ((7.6, 1.0, 0.45), (13.0, 0.8, 0.15), (17.9, 1.2, 0.5))
NIGHT = (22.0, 5.5)  # faster than by day between these hours
KITCHEN_PEAKS = ((12.75, 1.1, 1.0), (19.5, 1.4, 1.2))


def congestion(at: Point) -> float:
    """0 on the open road to near 1 at the heart of the worst centre."""
    free = 1.0
    for centre, radius, depth in CONGESTION:
        d = distance_m(at, centre)
        free *= 1.0 - depth * math.exp(-0.5 * (d / radius) ** 2)
    return 1.0 - free


def hour_factor(local: datetime) -> float:
    """Speed relative to a plain daytime hour, at the local time ``local``."""
    hour = local.hour + local.minute / 60.0
    weekend = local.weekday() >= 5
    slow = 0.0
    for centre, width, depth in RUSHES:
        slow += depth * (0.35 if weekend else 1.0) * math.exp(-0.5 * ((hour - centre) / width) ** 2)
    night = hour >= NIGHT[0] or hour < NIGHT[1]
    return (1.25 if night else 1.0) * max(0.25, 1.0 - slow)


def speed_factor(at: Point, local: datetime) -> float:
    """Multiplies a rider's usual speed at ``at`` and ``local`` time: a congested area is
    slower and its rush hours deeper."""
    c = congestion(at)
    rush: float = hour_factor(local) ** (1.0 + 1.5 * c)
    return OPEN_ROAD * (1.0 - c) * rush


def service_factor(kind: str, at: Point, local: datetime) -> float:
    """Multiplies a stop's usual service time: kitchens are slow at meal peaks, congested
    areas (towers, gates, parking) slow at drop-off."""
    hour = local.hour + local.minute / 60.0
    if kind == "pickup":
        busy = sum(h * math.exp(-0.5 * ((hour - c) / w) ** 2) for c, w, h in KITCHEN_PEAKS)
        return 1.0 + busy
    return 1.0 + 1.2 * congestion(at)
