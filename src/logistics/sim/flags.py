"""The simulator's command-line flags, shared by ``logistics simulate`` and
``logistics dev --demo``, and the run configuration they make."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command's parser is built on every start: no gRPC imports here
    from logistics.sim.runner import SimConfig


def _number(kind: type[float] | type[int], least: float, strict: bool) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
        if value < least or (strict and value == least):
            bound = "above" if strict else "at least"
            raise argparse.ArgumentTypeError(f"must be {bound} {least:g}")
        return value

    return parse


def add_simulation_flags(parser: argparse.ArgumentParser, demo: bool = False) -> None:
    """``demo`` sets the defaults of ``logistics dev --demo``: lunch time, four times faster
    (about 3.5 orders a minute at the start, which 30 riders keep up with)."""
    parser.add_argument(
        "--riders", type=_number(int, 1, False), default=30, help="simulated riders (30)"
    )
    parser.add_argument(
        "--orders-per-hour",
        type=_number(float, 0, False),
        default=20.0,
        help="the city's mean order rate over a simulated day; the peaks are about 3x (20)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same riders and orders")
    parser.add_argument(
        "--time-scale",
        type=_number(float, 0, True),
        default=4.0 if demo else 1.0,
        help="simulated time (the day curve) runs this many times faster than real time",
    )
    parser.add_argument(
        "--start-hour",
        type=_number(float, 0, False),
        default=12.0 if demo else None,
        help="hour of the day the simulated clock starts at (default: now"
        + (", 12 with --demo)" if demo else ")"),
    )
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--ping-interval",
        type=_number(float, 0.1, False),
        default=1.0,
        help="seconds between a rider's GPS fixes (1)",
    )
    parser.add_argument(
        "--drops-per-hour",
        type=_number(float, 0, False),
        default=6.0,
        help="dropped connections per rider per hour; the app buffers and resends (6)",
    )
    parser.add_argument(
        "--osrm-url", help="OSRM for road paths (default LOGISTICS_OSRM_URL, else straight paths)"
    )


def simulation_config(args: argparse.Namespace, tenant: str, osrm_url: str | None) -> SimConfig:
    from logistics.sim.rider import RiderOptions
    from logistics.sim.runner import SimConfig

    return SimConfig(
        tenant=tenant,
        riders=args.riders,
        orders_per_hour=args.orders_per_hour,
        seed=args.seed,
        time_scale=args.time_scale,
        start_hour=args.start_hour,
        duration_s=args.duration,
        osrm_url=args.osrm_url or osrm_url,
        rider=RiderOptions(ping_interval_s=args.ping_interval, drops_per_hour=args.drops_per_hour),
    )
