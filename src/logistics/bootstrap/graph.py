"""The object graph of each process kind, from the settings and its opened connections.

``serve`` builds the core, the serving use cases and the handlers; ``dev`` adds the jobs;
``worker`` builds the same core and the jobs only. Each builder takes what it needs as
arguments, so the order below is the dependency order and nothing refers forward.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from logistics.bootstrap.core import Core, build_core
from logistics.bootstrap.handlers import Handlers, build_handlers
from logistics.bootstrap.jobs import Jobs, build_jobs
from logistics.bootstrap.serving import Serving, build_serving
from logistics.config import Settings
from logistics.connections import Connections, WorkerConnections
from logistics.events.rider_inbox import NatsRiderInbox

__all__ = ["ServingGraph", "WorkerGraph", "build_serving_graph", "build_worker_graph"]


@dataclass(frozen=True)
class ServingGraph:
    """Everything ``serve`` (and ``dev``) runs; ``jobs`` only when the process runs them."""

    core: Core
    serving: Serving
    handlers: Handlers
    jobs: Jobs | None

    async def aclose(self) -> None:
        """After the listeners stopped: closes what the graph opened, not the connections."""
        if self.jobs is not None:
            await self.jobs.aclose()
        await self.serving.aclose()
        await self.core.aclose()


@dataclass(frozen=True)
class WorkerGraph:
    core: Core
    jobs: Jobs

    async def aclose(self) -> None:
        await self.jobs.aclose()
        await self.core.aclose()


def build_serving_graph(
    settings: Settings,
    connections: Connections,
    registry: CollectorRegistry,
    *,
    with_jobs: bool = False,
) -> ServingGraph:
    """``with_jobs`` also builds the worker's jobs (``logistics dev``), their relay publishing
    over this process's NATS client and counting into ``registry``."""
    riders = NatsRiderInbox(connections.nats)
    core = build_core(settings, connections.db, connections.redis, registry, riders=riders)
    serving = build_serving(core, connections.nats, registry)
    handlers = build_handlers(core, serving, registry)
    jobs = build_jobs(core, nats=connections.nats, registry=registry) if with_jobs else None
    return ServingGraph(core, serving, handlers, jobs)


def build_worker_graph(settings: Settings, connections: WorkerConnections) -> WorkerGraph:
    # The worker serves no metrics: its components count into a registry of their own.
    core = build_core(settings, connections.db, connections.redis, CollectorRegistry())
    return WorkerGraph(core, build_jobs(core))
