"""Route optimisation benchmark: our solve (``routing.runner.solve_in_process``, the code
OptimizeRoutes runs) against plain PyVRP under the same time limit, on Solomon VRPTW and
Li & Lim PDPTW instances.

Every instance file in the folders given (default ``../shared/data/solomon/``) is parsed; the
format is recognised from the file (Solomon: a ``VEHICLE`` header then rows of 7 numbers; Li &
Lim: a first line of 3 numbers then rows of 9). Distances follow the DIMACS convention of the
Solomon set's README: the Euclidean distance truncated to one decimal (``floor(10 d) / 10``),
travel time equal to distance; everything is scaled by 10 so the solvers see integers. The
depot's window is every vehicle's shift; the header's vehicle count bounds the fleet.

Per instance: vehicles, distance, gap to ``bks.csv`` (when the folder has one) and whether an
independent checker (``routing.check``) accepts the plan, for us and for PyVRP; per class (C1,
C2, R1, R2, RC1, RC2, or LC1 ... for Li & Lim) the mean gaps. An instance is unsolved when the
plan leaves a stop out. The last line printed is one JSON object.

    .venv/bin/python bench/vrp.py --limit 10
    .venv/bin/python bench/vrp.py --limit 60 --only 'C101|C201|R101|R201|RC101|RC201'
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyvrp
import pyvrp.stop

from logistics.routing import Problem, Solution, Stop, TimeWindow, Vehicle, violations
from logistics.routing.runner import solve_in_process
from logistics.routing.solve import ENGINES

SCALE = 10
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "solomon"


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int
    pickup: int = 0
    """Li & Lim: for a delivery, the node number of its pickup."""


@dataclass(frozen=True)
class Instance:
    name: str
    kind: str
    vehicles: int
    capacity: int
    nodes: tuple[Node, ...]
    """Node 0 is the depot."""

    @property
    def family(self) -> str:
        match = re.match(r"([A-Za-z]+?)(\d)", self.name)
        return (match.group(1) + match.group(2)).upper() if match else self.name

    def problem(self) -> Problem:
        return to_problem(self)


def dimacs(a: Node, b: Node) -> int:
    """Distance in tenths, truncated: ``floor(10 d)``, exact for integer coordinates."""
    dx, dy = a.x - b.x, a.y - b.y
    if float(dx).is_integer() and float(dy).is_integer():
        return math.isqrt(int(SCALE * SCALE * (dx * dx + dy * dy)))
    return math.floor(SCALE * math.hypot(dx, dy))


def _numbers(line: str) -> list[float]:
    return [float(v) for v in line.split()]


def _rows(lines: Sequence[str], width: int) -> list[list[float]]:
    rows = []
    for line in lines:
        values = line.split()
        if len(values) == width and all(re.fullmatch(r"-?[\d.]+", v) for v in values):
            rows.append([float(v) for v in values])
    return rows


def parse(path: Path) -> Instance:
    """A Solomon or Li & Lim instance; ValueError when the file is neither."""
    lines = path.read_text().splitlines()
    text = "\n".join(lines).upper()
    if "VEHICLE" in text and "CUSTOMER" in text:
        header = next(i for i, line in enumerate(lines) if "NUMBER" in line.upper())
        vehicles, capacity = (int(v) for v in _numbers(lines[header + 1])[:2])
        rows = _rows(lines[header + 2 :], 7)
        nodes = tuple(Node(r[1], r[2], int(r[3]), int(r[4]), int(r[5]), int(r[6])) for r in rows)
        kind = "solomon"
    else:
        first = lines[0].split() if lines else []
        rows = _rows(lines[1:], 9)
        if len(first) != 3 or not rows:
            raise ValueError(f"{path.name}: neither a Solomon nor a Li & Lim instance")
        vehicles, capacity = int(float(first[0])), int(float(first[1]))
        nodes = tuple(
            Node(r[1], r[2], int(r[3]), int(r[4]), int(r[5]), int(r[6]), int(r[7])) for r in rows
        )
        kind = "lilim"
    if not nodes or any(int(r[0]) != i for i, r in enumerate(rows)):
        raise ValueError(f"{path.name}: nodes must be numbered 0, 1, 2 ... from the depot")
    return Instance(
        path.stem.upper() if kind == "solomon" else path.stem, kind, vehicles, capacity, nodes
    )


def to_problem(instance: Instance) -> Problem:
    """Scaled by ``SCALE``: one unit is a tenth of a distance (and time) unit."""
    nodes = instance.nodes
    matrix = tuple(tuple(dimacs(a, b) for b in nodes) for a in nodes)
    depot = nodes[0]
    shift = TimeWindow(depot.ready * SCALE, depot.due * SCALE)
    stops = []
    for i, node in enumerate(nodes[1:], start=1):
        paired = instance.kind == "lilim" and node.pickup > 0
        stops.append(
            Stop(
                id=str(i),
                location=i,
                service=node.service * SCALE,
                window=TimeWindow(node.ready * SCALE, node.due * SCALE),
                demand=() if paired else (abs(node.demand),),
                pickup=str(node.pickup) if paired else None,
            )
        )
    vehicles = tuple(
        Vehicle(id=f"v{k}", start=0, end=0, capacity=(instance.capacity,), shift=shift)
        for k in range(instance.vehicles)
    )
    return Problem(tuple(stops), vehicles, matrix, matrix)


def pyvrp_solve(instance: Instance, limit: float) -> tuple[float | None, int]:
    """Plain PyVRP on a plain VRPTW instance: (distance or None when infeasible, vehicles)."""
    model = pyvrp.Model()
    locations = [model.add_location(x=n.x, y=n.y) for n in instance.nodes]
    model.add_depot(
        locations[0],
        tw_early=instance.nodes[0].ready * SCALE,
        tw_late=instance.nodes[0].due * SCALE,
    )
    model.add_vehicle_type(num_available=instance.vehicles, capacity=instance.capacity)
    for location, node in zip(locations[1:], instance.nodes[1:], strict=True):
        model.add_client(
            location,
            delivery=node.demand,
            service_duration=node.service * SCALE,
            tw_early=node.ready * SCALE,
            tw_late=node.due * SCALE,
        )
    for a, na in zip(locations, instance.nodes, strict=True):
        for b, nb in zip(locations, instance.nodes, strict=True):
            d = dimacs(na, nb)
            model.add_edge(a, b, distance=d, duration=d)
    result = model.solve(stop=pyvrp.stop.MaxRuntime(limit), display=False, collect_stats=False)
    if not result.is_feasible():
        return None, 0
    return result.best.distance() / SCALE, result.best.num_routes()


def load_bks(folder: Path) -> dict[str, float]:
    path = folder / "bks.csv"
    if not path.exists():
        return {}
    with path.open() as f:
        return {row["instance"].upper(): float(row["distance"]) for row in csv.DictReader(f)}


def gap(value: float | None, best: float | None) -> float | None:
    if value is None or best is None:
        return None
    return 100 * (value - best) / best


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(statistics.fmean(kept), 3) if kept else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


async def run_one(
    instance: Instance, bks: float | None, args: argparse.Namespace
) -> dict[str, Any]:
    problem = instance.problem()
    limit = args.limit
    started = time.monotonic()
    solution: Solution = await solve_in_process(problem, limit, engine=args.engine)
    ours_s = time.monotonic() - started
    broken = violations(problem, solution)
    solved = not solution.unassigned and not solution.cancelled
    ours = solution.distance / SCALE if solved else None
    row: dict[str, Any] = {
        "instance": instance.name,
        "family": instance.family,
        "stops": len(problem.stops),
        "bks": bks,
        "engine": solution.engine,
        "vehicles": len(solution.routes),
        "distance": ours,
        "gap": gap(ours, bks),
        "feasible": not broken,
        "violations": broken[:3],
        "unassigned": len(solution.unassigned),
        "seconds": round(ours_s, 2),
    }
    if not args.no_pyvrp and instance.kind == "solomon":
        theirs, vehicles = await asyncio.to_thread(pyvrp_solve, instance, limit)
        row.update(pyvrp_distance=theirs, pyvrp_vehicles=vehicles, pyvrp_gap=gap(theirs, bks))
    return row


def instances(folders: Sequence[Path], only: str | None) -> list[tuple[Instance, float | None]]:
    found = []
    for folder in folders:
        bks = load_bks(folder)
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".txt", ".vrp", "") or path.name.lower().startswith(
                "readme"
            ):
                continue
            if only and not re.search(only, path.stem, re.IGNORECASE):
                continue
            try:
                instance = parse(path)
            except (ValueError, IndexError, StopIteration):
                continue
            found.append((instance, bks.get(instance.name.upper())))
    return found


def _print_tables(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'instance':<10} {'engine':<7} {'veh':>4} {'distance':>10} {'gap%':>7} {'ok':>3}"
        f" | {'pyvrp veh':>9} {'distance':>10} {'gap%':>7} | {'bks':>9}"
    )
    for r in rows:
        print(
            f"{r['instance']:<10} {r['engine']:<7} {r['vehicles']:>4} {_fmt(r['distance']):>10}"
            f" {_fmt(r['gap']):>7} {'yes' if r['feasible'] else 'NO':>3}"
            f" | {r.get('pyvrp_vehicles', '-'):>9} {_fmt(r.get('pyvrp_distance')):>10}"
            f" {_fmt(r.get('pyvrp_gap')):>7} | {_fmt(r['bks'], 1):>9}"
        )
    print(f"\n{'class':<6} {'n':>3} {'mean gap%':>10} {'pyvrp mean gap%':>16}")
    for family in sorted({r["family"] for r in rows}):
        group = [r for r in rows if r["family"] == family]
        print(
            f"{family:<6} {len(group):>3} {_fmt(_mean([r['gap'] for r in group]), 3):>10}"
            f" {_fmt(_mean([r.get('pyvrp_gap') for r in group]), 3):>16}"
        )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    folders = [Path(f) for f in args.folders] or [DEFAULT_FOLDER]
    todo = instances(folders, args.only)
    rows = []
    for instance, bks in todo:
        row = await run_one(instance, bks, args)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    _print_tables(rows)
    families = sorted({r["family"] for r in rows})
    return {
        "limit_s": args.limit,
        "instances": len(rows),
        "unsolved": sum(r["distance"] is None for r in rows),
        "infeasible": sum(not r["feasible"] for r in rows),
        "mean_gap": _mean([r["gap"] for r in rows]),
        "pyvrp_mean_gap": _mean([r.get("pyvrp_gap") for r in rows]),
        "pyvrp_unsolved": sum(r.get("pyvrp_distance") is None for r in rows if "pyvrp_gap" in r),
        "class_gap": {f: _mean([r["gap"] for r in rows if r["family"] == f]) for f in families},
        "pyvrp_class_gap": {
            f: _mean([r.get("pyvrp_gap") for r in rows if r["family"] == f]) for f in families
        },
        "engines": sorted({r["engine"] for r in rows}),
    }


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="*", help="instance folders (default: the Solomon set)")
    p.add_argument("--limit", type=float, default=10.0, help="seconds per solve (default 10)")
    p.add_argument("--only", help="regular expression on the instance names")
    p.add_argument("--no-pyvrp", action="store_true", help="skip the PyVRP baseline")
    p.add_argument(
        "--engine", default="auto", choices=ENGINES, help="force our engine (default: auto)"
    )
    return p.parse_args()


if __name__ == "__main__":
    outcome = asyncio.run(main(_parse()))
    print(json.dumps(outcome))
