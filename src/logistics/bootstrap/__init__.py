"""One place that builds the object graph for ``serve``, ``worker`` and ``dev``.

``build_serving_graph`` and ``build_worker_graph`` (``graph``) assemble the parts: ``core``
(stores and the use cases every process runs), ``serving`` (live views, presence, offers,
telemetry: a serving process only), ``handlers`` (the edge and the table of services both
listeners serve), ``jobs`` (timers, track upkeep, outbox relay, webhook deliveries), each from
the settings grouped by concern in ``policies``. A new capability's wiring goes in the part
whose processes run it; see docs/architecture.md, "Bootstrap".
"""

from __future__ import annotations

from logistics.bootstrap.core import Core, build_core
from logistics.bootstrap.graph import (
    ServingGraph,
    WorkerGraph,
    build_serving_graph,
    build_worker_graph,
)
from logistics.bootstrap.handlers import Handlers, build_handlers
from logistics.bootstrap.jobs import Jobs, build_jobs
from logistics.bootstrap.serving import Serving, build_serving

__all__ = [
    "Core",
    "Handlers",
    "Jobs",
    "Serving",
    "ServingGraph",
    "WorkerGraph",
    "build_core",
    "build_handlers",
    "build_jobs",
    "build_serving",
    "build_serving_graph",
    "build_worker_graph",
]
