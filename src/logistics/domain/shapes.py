"""Shapes on the map as plain values: a polygon of (latitude, longitude) vertices or a circle.
The geometry on them (point tests, H3 covers, validity) is ``geo.fences``'; these are what the
transport, the use cases and the adapters pass between them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolygonShape:
    vertices: tuple[tuple[float, float], ...]  # (latitude, longitude)


@dataclass(frozen=True)
class CircleShape:
    latitude: float
    longitude: float
    radius_m: float


Shape = PolygonShape | CircleShape


def box(south: float, west: float, north: float, east: float) -> PolygonShape:
    """The axis-aligned box between two corners."""
    return PolygonShape(((south, west), (south, east), (north, east), (north, west)))
