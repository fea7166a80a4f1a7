"""The entry points of ``serve``, ``dev`` and ``worker``: open the connections, build the
graph (``bootstrap``), run until told to stop, then drain and close in order."""

from __future__ import annotations

import asyncio
import gc
import logging

from logistics.bootstrap import build_serving_graph, build_worker_graph
from logistics.config import Settings
from logistics.connections import Connections, WorkerConnections
from logistics.server import Server, serving_registry

__all__ = ["run_server", "run_worker", "settle_garbage_collector"]

logger = logging.getLogger(__name__)


def settle_garbage_collector() -> None:
    """Moves what start-up allocated (modules, generated descriptors, pools) out of the
    collector's sight and makes full collections rarer. A serving process allocates many
    short-lived objects per message; with the default thresholds the cyclic collector keeps
    rescanning the long-lived heap, a measurable share of each ping's CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


async def run_server(settings: Settings, stop: asyncio.Event, *, run_timers: bool = False) -> None:
    """Serves until ``stop`` is set, then drains and closes every connection.

    ``run_timers`` also does the worker's jobs in this process (``logistics dev``): due
    timers, track partitions and retention, the outbox relay and webhook deliveries; in
    production ``logistics worker`` does them.
    """
    connections = await Connections.open(settings)
    try:
        registry = serving_registry()
        graph = build_serving_graph(settings, connections, registry, with_jobs=run_timers)
        server = Server(settings, connections, graph.handlers, registry)
        await server.start()
        settle_garbage_collector()
        background = [
            asyncio.create_task(graph.serving.presence.run(stop)),
            asyncio.create_task(server.readiness.run(stop)),
        ]
        if graph.jobs is not None:
            background.append(asyncio.create_task(graph.jobs.run(stop)))
        await stop.wait()
        await asyncio.gather(*background)
        await server.drain()
        await graph.aclose()
        logger.info("stopped")
    finally:
        await connections.close()


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Background work until ``stop`` is set: due timers (document expiry, task SLAs, route
    templates), track maintenance, the outbox relay to NATS JetStream (NATS being down only
    delays it) and webhook deliveries, over the same use cases as the server."""
    connections = await WorkerConnections.open(settings)
    try:
        graph = build_worker_graph(settings, connections)
        try:
            logger.info("worker running")
            await graph.jobs.run(stop)
        finally:
            await graph.aclose()
    finally:
        await connections.close()
    logger.info("worker stopped")
