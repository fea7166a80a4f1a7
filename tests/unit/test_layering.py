"""Imports point inward (STYLE.md rule 1, DESIGN.md "Layers"): the domain imports no
infrastructure; the use cases no transport, no client library and no adapter but the unit of
work (they get Protocols, STYLE.md rule 5); the
transport neither the repositories nor the live index; the adapters no use case; and Redis,
NATS and HTTP client libraries are imported only by their adapters and the composition root.

``broken_rules`` is the whole check for one module's source; the test over the tree and the
tests on planted violations both call it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from logistics.geo.live_index import LiveIndex

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
    "logistics.geo",
    "logistics.events",
    "logistics.blobs",
    "logistics.net",
    "logistics.outages",
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
    # Discovery's HTTP client and its exceptions: use cases take ``services.directory.Discovery``
    # and see its failures as domain errors, translated in ``logistics.platform_directory``.
    "logistics.discovery",
    "logistics.platform_directory",
    # Redis, NATS and PostgreSQL are reached through the adapters, as Protocols: their
    # failures arrive as domain errors (``Unavailable``), not as the libraries' exceptions.
    "redis",
    "nats",
    "asyncpg",
)
# Adapters a use case takes as a Protocol of its own (``services/*/ports.py``, or beside the use
# case), never by importing them: of these packages it may import only the modules below.
SERVICES_ADAPTERS = ("logistics.store", "logistics.geo", "logistics.events")
SERVICES_MAY_IMPORT = (
    # The unit of work is the use case's transaction and its repositories; a Protocol for it
    # would copy every repository's methods, so use cases take ``Store`` and ``UnitOfWork``.
    "logistics.store.unit_of_work",
    "logistics.store.snapshot",  # a pure function: the one JSON encoding of audit rows and events
    "logistics.store.task_view",  # pure: snapshot's public view of a task, made for bulk creates
    "logistics.geo.live_values",  # the values the live index takes and returns
    "logistics.geo.distance",  # the DistanceProvider Protocol, its values, the straight line
    "logistics.geo.areas",  # H3 arithmetic, no I/O
    "logistics.geo.eta_cells",  # H3 arithmetic, no I/O
    "logistics.geo.fences",  # polygon geometry, no I/O
)
# The transport converts and calls use cases; repositories and the live index are theirs.
API_FORBIDDEN = (
    "logistics.store",
    "logistics.geo",
    "redis",
    "nats",
    "asyncpg",
)
# Adapters serve the use cases; a use case or the transport imported by one is a cycle.
ADAPTER_FORBIDDEN = ("logistics.services", "logistics.api")
# The simulator is a client of the public contract (gRPC and the generated stubs) only, like
# a rider app or an ordering service: if it needs something, the API needs it.
SIM_FORBIDDEN = (
    *(
        f"logistics.{part}"
        for part in (
            "api",
            "services",
            "domain",
            "store",
            "geo",
            "events",
            "blobs",
            "net",
            "bootstrap",
            "app",
            "server",
            "connections",
            "config",
            "embedded",
            "routing",
            "outages",
        )
    ),
    "redis",
    "nats",
    "asyncpg",
)
LAYERS: dict[str, tuple[str, ...]] = {
    "logistics.domain": DOMAIN_FORBIDDEN,
    "logistics.services": SERVICES_FORBIDDEN,
    "logistics.api": API_FORBIDDEN,
    "logistics.geo": ADAPTER_FORBIDDEN,
    "logistics.events": ADAPTER_FORBIDDEN,
    "logistics.store": ADAPTER_FORBIDDEN,
    "logistics.blobs": ADAPTER_FORBIDDEN,
    "logistics.sim": SIM_FORBIDDEN,
}
# Where each client library may be imported at all: its adapters, the composition root that
# opens the clients and builds the graph (``connections``, ``bootstrap``, ``app``), and
# ``outages``, the one place that classifies the libraries' exceptions.
ROOT = ("logistics.connections", "logistics.bootstrap", "logistics.app", "logistics.outages")
HTTP_ADAPTERS = (
    "logistics.net",
    "logistics.blobs",
    "logistics.carriers",
    "logistics.discovery",
    "logistics.geo.osrm",
    "logistics.geo.route_geometry",  # road paths for route adherence, from OSRM
    "logistics.geo.geocoders",
    "logistics.sim.roads",  # the simulator's own OSRM client, for road paths
    "logistics.events.deliveries",
    "logistics.api.auth",  # the JWKS client
)
ONLY_IN: dict[str, tuple[str, ...]] = {
    "redis": ("logistics.geo", *ROOT),
    "nats": ("logistics.events", *ROOT),
    "httpx": HTTP_ADAPTERS,
    "httpcore": HTTP_ADAPTERS,
    "obstore": ("logistics.blobs",),  # S3 and other object stores
}


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


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def broken_rules(source: str, module: str) -> list[str]:
    """Every rule above that ``source``, the text of ``module``, breaks, one line each."""
    imported = imported_modules(source, module)
    broken = []
    for layer, forbidden in LAYERS.items():
        if _within(module, layer):
            broken.extend(
                f"{layer} imports {name}"
                for name in imported
                if any(_within(name, bad) for bad in forbidden)
            )
    if _within(module, "logistics.services"):
        broken.extend(
            f"logistics.services imports {name}, an adapter: take it as a Protocol"
            for name in imported
            if any(_within(name, adapters) for adapters in SERVICES_ADAPTERS)
            and not any(_within(name, ok) for ok in SERVICES_MAY_IMPORT)
        )
    for library, allowed in ONLY_IN.items():
        if not any(_within(module, place) for place in allowed):
            broken.extend(
                f"{library} imported outside its adapters: {name}"
                for name in imported
                if _within(name, library)
            )
    return sorted(broken)


def modules_under(package: str) -> list[tuple[str, Path]]:
    root = SRC / package.replace(".", "/")
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = [*parts[:-1], "__init__"]  # relative imports resolve against the package
        found.append((".".join(parts), path))
    return found


MODULES = modules_under("logistics")


def test_every_layer_has_modules_to_scan() -> None:
    scanned = {m for m, _ in MODULES}
    for layer in LAYERS:
        assert any(_within(m, layer) for m in scanned), layer
    assert {"logistics.domain.fleet", "logistics.services.fleet", "logistics.app"} <= scanned


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_module_keeps_the_layering_rules(module: str, path: Path) -> None:
    assert broken_rules(path.read_text(), module) == []


@pytest.mark.parametrize(
    ("module", "planted", "rule"),
    [
        ("logistics.domain.tasks", "import redis", "logistics.domain imports redis"),
        ("logistics.domain.tasks", "from logistics.geo import scripts", "logistics.domain"),
        (
            "logistics.services.dispatch.offers",
            "from nats.aio.msg import Msg",
            "logistics.services",
        ),
        (
            "logistics.services.telemetry.presence",
            "from redis.exceptions import RedisError",
            "logistics.services imports redis.exceptions",
        ),
        (
            "logistics.services.tasks.service",
            "import asyncpg",
            "logistics.services imports asyncpg",
        ),
        ("logistics.services.tasks.service", "import httpx", "logistics.services imports httpx"),
        (
            "logistics.services.directory",
            "from logistics.discovery import DiscoveryNotFound",
            "logistics.services imports logistics.discovery",
        ),
        (
            "logistics.services.directory",
            "from ..platform_directory import PlatformDirectory",
            "logistics.services imports logistics.platform_directory",
        ),
        (
            "logistics.services.dispatch.service",
            "from logistics.geo.live_index import LiveIndex",
            "logistics.services imports logistics.geo.live_index, an adapter",
        ),
        (
            "logistics.services.live.views",
            "from ...geo import matcher",
            "logistics.services imports logistics.geo.matcher, an adapter",
        ),
        (
            "logistics.services.telemetry.service",
            "from logistics.store.tracks import read_track",
            "logistics.services imports logistics.store.tracks, an adapter",
        ),
        (
            "logistics.services.routes.service",
            "from logistics.store import routes_repo",
            "logistics.services imports logistics.store, an adapter",
        ),
        (
            "logistics.services.timers",
            "from logistics.events.relay import Relay",
            "logistics.services imports logistics.events.relay, an adapter",
        ),
        (
            "logistics.services.webhooks",
            "from logistics.store.webhooks import WebhookRepository",
            "logistics.services imports logistics.store.webhooks, an adapter",
        ),
        (
            "logistics.services.bulk",
            "from logistics.store.bulk import StagedImport",
            "logistics.services imports logistics.store.bulk, an adapter",
        ),
        (
            "logistics.api.tasks",
            "from logistics.store.task_repo import TaskFilter",
            "logistics.api imports logistics.store.task_repo",
        ),
        (
            "logistics.api.live",
            "from ..geo.areas import box",
            "logistics.api imports logistics.geo",
        ),
        (
            "logistics.events.deliveries",
            "from logistics.services.clock import Clock",
            "logistics.events imports logistics.services",
        ),
        ("logistics.store.tracks", "from logistics.api import errors", "logistics.store imports"),
        ("logistics.events.relay", "import redis.asyncio", "redis imported outside its adapters"),
        ("logistics.geo.live_index", "import nats", "nats imported outside its adapters"),
        ("logistics.cli", "import redis", "redis imported outside its adapters"),
        ("logistics.store.db", "import httpx", "httpx imported outside its adapters"),
        ("logistics.api.document_files", "import obstore", "obstore imported outside"),
        (
            "logistics.sim.rider",
            "from logistics.services.tasks import TaskService",
            "logistics.sim imports logistics.services",
        ),
        ("logistics.sim.seed", "from logistics.domain import ids", "logistics.sim imports"),
        ("logistics.sim.ordering", "import httpx", "httpx imported outside its adapters"),
    ],
)
def test_a_planted_violation_is_caught(module: str, planted: str, rule: str) -> None:
    path = SRC / (module.replace(".", "/") + ".py")
    assert broken_rules(path.read_text(), module) == []  # the module as it is keeps the rules
    broken = broken_rules(f"{path.read_text()}\n{planted}\n", module)
    assert broken
    assert any(line.startswith(rule) for line in broken), broken


@pytest.mark.parametrize(
    ("module", "harmless"),
    [
        ("logistics.geo.live_index", "import redis.asyncio"),
        ("logistics.events.live_bus", "from nats.aio.msg import Msg"),
        ("logistics.app", "import redis.asyncio, nats"),
        ("logistics.bootstrap", "import redis.asyncio, nats"),
        ("logistics.outages", "import redis.exceptions, nats.errors, asyncpg"),
        ("logistics.store.db", "import asyncpg"),
        ("logistics.api.tasks", "from logistics.domain.task_records import TaskFilter"),
        ("logistics.api.live", "from logistics.services.live.view import view_polygon"),
        ("logistics.services.dispatch.offers", "from logistics.domain.offers import Offer"),
        ("logistics.services.tasks.sla", "from logistics.store.unit_of_work import UnitOfWork"),
        ("logistics.services.live.view", "from ...geo.areas import ViewArea"),
        ("logistics.geo.osrm", "import httpx"),
        ("logistics.geo.geocoders", "import httpx"),
        ("logistics.platform_directory", "from logistics.discovery import DiscoveryNotFound"),
        ("logistics.bootstrap.core", "from logistics.discovery import HttpDiscovery"),
    ],
)
def test_imports_the_rules_allow(module: str, harmless: str) -> None:
    assert broken_rules(harmless, module) == []


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


def test_the_live_index_hands_out_no_redis_client() -> None:
    """Raw Redis commands from outside geo/ went through ``index.redis``; an import scan
    cannot see an attribute, so this checks the attribute is gone."""
    index = LiveIndex(aioredis.Redis())
    public = {name: getattr(index, name) for name in dir(index) if not name.startswith("_")}
    assert not [name for name, value in public.items() if isinstance(value, aioredis.Redis)]
