"""Route optimisation: vehicle routing with capacities, time windows and pickup-delivery
pairs, as plain values in and out (``model``), solved by OR-Tools or, for plain VRPTW, PyVRP
(``solve``), checked independently (``check``)."""

from __future__ import annotations

from logistics.routing.check import violations
from logistics.routing.model import (
    Objective,
    Problem,
    Route,
    Solution,
    SolveOptions,
    Stop,
    TimeWindow,
    Unassigned,
    Vehicle,
    Visit,
)
from logistics.routing.solve import solve

__all__ = [
    "Objective",
    "Problem",
    "Route",
    "Solution",
    "SolveOptions",
    "Stop",
    "TimeWindow",
    "Unassigned",
    "Vehicle",
    "Visit",
    "solve",
    "violations",
]
