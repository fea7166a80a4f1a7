"""Imports point inward: the domain imports no infrastructure, services no transport."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# google.rpc holds protobuf messages too; rule 2 keeps every protobuf type in api/.
DOMAIN_FORBIDDEN = (
    "google.protobuf",
    "google.rpc",
    "grpc",
    "connectrpc",
    "asyncpg",
    "redis",
    "nats",
    "h3",
    "ortools",
    "shapely",
    "httpx",
    "bengobox",
    "logistics.api",
    "logistics.services",
    "logistics.store",
)
SERVICES_FORBIDDEN = (
    "google.protobuf",
    "google.rpc",
    "grpc",
    "connectrpc",
    "bengobox",
    "logistics.api",
    # Services get outbound HTTP as Protocols and settings as plain values.
    "httpx",
    "httpcore",
    "logistics.net.outbound",
)


def imported_modules(source: str, module: str = "") -> set[str]:
    """Every module an import statement anywhere in ``source`` may load.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); relative
    imports are resolved against ``module``, the dotted name of the file being scanned.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, node.module] if node.module else package)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def violations(source: str, forbidden: tuple[str, ...], module: str = "") -> list[str]:
    return sorted(
        name
        for name in imported_modules(source, module)
        if any(name == bad or name.startswith(f"{bad}.") for bad in forbidden)
    )


def modules_under(package: str) -> list[tuple[str, Path]]:
    root = SRC / package.replace(".", "/")
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = [*parts[:-1], "__init__"]  # relative imports resolve against the package
        found.append((".".join(parts), path))
    return found


DOMAIN_MODULES = modules_under("logistics.domain")
SERVICE_MODULES = modules_under("logistics.services")


def test_both_layers_have_modules_to_scan() -> None:
    assert {"logistics.domain.fleet", "logistics.domain.ids"} <= {m for m, _ in DOMAIN_MODULES}
    assert "logistics.services.fleet" in {m for m, _ in SERVICE_MODULES}


@pytest.mark.parametrize(("module", "path"), DOMAIN_MODULES, ids=[m for m, _ in DOMAIN_MODULES])
def test_domain_module_imports_no_infrastructure_or_outer_layer(module: str, path: Path) -> None:
    assert violations(path.read_text(), DOMAIN_FORBIDDEN, module) == []


@pytest.mark.parametrize(("module", "path"), SERVICE_MODULES, ids=[m for m, _ in SERVICE_MODULES])
def test_service_module_imports_no_transport(module: str, path: Path) -> None:
    assert violations(path.read_text(), SERVICES_FORBIDDEN, module) == []


@pytest.mark.parametrize(
    ("snippet", "caught"),
    [
        ("import grpc", ["grpc"]),
        ("import grpc.aio as aio", ["grpc.aio"]),
        ("from google.protobuf import x", ["google.protobuf", "google.protobuf.x"]),
        ("from google import protobuf", ["google.protobuf"]),
        ("import os, redis.asyncio", ["redis.asyncio"]),
        ("from google.rpc import status_pb2", ["google.rpc", "google.rpc.status_pb2"]),
        ("def f():\n    import asyncpg\n", ["asyncpg"]),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\n", ["httpx"]),
        (
            "from logistics.api.errors import to_status",
            ["logistics.api.errors", "logistics.api.errors.to_status"],
        ),
        ("from logistics import store", ["logistics.store"]),
        ("from ..store import db", ["logistics.store", "logistics.store.db"]),
        (
            "from bengobox.logistics.v1 import fleet_pb2",
            ["bengobox.logistics.v1", "bengobox.logistics.v1.fleet_pb2"],
        ),
    ],
)
def test_scanner_catches_forbidden_imports(snippet: str, caught: list[str]) -> None:
    assert violations(snippet, DOMAIN_FORBIDDEN, "logistics.domain.fleet") == caught


@pytest.mark.parametrize(
    "snippet",
    [
        "import re, uuid",
        "from dataclasses import dataclass",
        "from logistics.domain.errors import InvalidArgument",
        "from .errors import InvalidArgument",
        "import grpcio_like_name",
        "import h3ish",
        "import collections.abc",
    ],
)
def test_scanner_allows_harmless_imports(snippet: str) -> None:
    assert violations(snippet, DOMAIN_FORBIDDEN, "logistics.domain.fleet") == []
