"""Distance and travel time between points: straight-line distance times a detour factor over
a per-vehicle speed (the default provider)."""

from __future__ import annotations

from typing import Protocol

from logistics.domain.fleet import VehicleType
from logistics.domain.telemetry import haversine_m

# Typical urban speeds, m/s.
SPEED_MPS: dict[VehicleType | None, float] = {
    VehicleType.ON_FOOT: 1.3,
    VehicleType.BICYCLE: 4.5,
    VehicleType.MOTORBIKE: 8.5,
    VehicleType.CAR: 7.0,
    VehicleType.VAN: 6.5,
    VehicleType.TRUCK: 5.5,
    None: 7.0,
}


class DistanceProvider(Protocol):
    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        """(metres, seconds) from the first point to the second."""
        ...


class StraightLine:
    def __init__(self, detour_factor: float = 1.35) -> None:
        self.detour_factor = detour_factor

    def travel(
        self, lat1: float, lng1: float, lat2: float, lng2: float, vehicle: VehicleType | None
    ) -> tuple[float, float]:
        metres = haversine_m(lat1, lng1, lat2, lng2) * self.detour_factor
        return metres, metres / SPEED_MPS.get(vehicle, SPEED_MPS[None])
