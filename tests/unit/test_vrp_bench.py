"""The benchmark's instance parsers on the shipped Solomon files and a Li & Lim sample."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from logistics.routing import SolveOptions, solve, violations

BENCH = Path(__file__).resolve().parents[2] / "bench" / "vrp.py"


@pytest.fixture(scope="module")
def vrp() -> ModuleType:
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_vrp", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_shipped_solomon_file_parses_with_its_best_known_distance(vrp: ModuleType) -> None:
    folder = vrp.DEFAULT_FOLDER
    if not folder.exists():
        pytest.skip(f"no instances at {folder}")
    found = vrp.instances([folder], None)
    assert len(found) == 56
    for instance, bks in found:
        assert instance.kind == "solomon"
        assert len(instance.nodes) == 101, instance.name
        assert bks is not None, instance.name
        assert bks > 0, instance.name
    families = {i.family for i, _ in found}
    assert families == {"C1", "C2", "R1", "R2", "RC1", "RC2"}
    c101 = next(i for i, _ in found if i.name == "C101")
    assert (c101.vehicles, c101.capacity) == (25, 200)
    assert c101.nodes[0] == vrp.Node(40, 50, 0, 0, 1236, 0)
    assert c101.nodes[1] == vrp.Node(45, 68, 10, 912, 967, 90)


def test_distances_follow_the_dimacs_convention(vrp: ModuleType) -> None:
    a, b = vrp.Node(0, 0, 0, 0, 0, 0), vrp.Node(3, 4, 0, 0, 0, 0)
    c = vrp.Node(1, 1, 0, 0, 0, 0)
    assert vrp.dimacs(a, b) == 50  # 5.0 exactly, in tenths
    assert vrp.dimacs(a, c) == 14  # 1.414... truncated to 1.4


LI_LIM = """\
3\t50\t1
0\t40\t50\t0\t0\t1236\t0\t0\t0
1\t45\t68\t10\t0\t1127\t90\t0\t2
2\t45\t70\t-10\t0\t1125\t90\t1\t0
3\t42\t66\t20\t0\t1129\t90\t0\t4
4\t42\t68\t-20\t0\t1130\t90\t3\t0
"""


def test_a_li_lim_file_becomes_pickup_delivery_pairs(vrp: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "lc101.txt"
    path.write_text(LI_LIM)
    instance = vrp.parse(path)
    assert (instance.kind, instance.vehicles, instance.capacity) == ("lilim", 3, 50)
    assert instance.family == "LC1"
    problem = instance.problem()
    pairs = {s.id: s.pickup for s in problem.stops if s.pickup}
    assert pairs == {"2": "1", "4": "3"}
    solution = solve(problem, SolveOptions(time_limit=0.5))
    assert violations(problem, solution) == []
    assert not solution.unassigned


def test_a_file_of_neither_format_is_refused(vrp: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(ValueError, match="neither"):
        vrp.parse(path)
