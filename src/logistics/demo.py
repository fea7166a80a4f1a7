"""``logistics dev --demo`` and ``logistics simulate``: the simulator's tokens, and the demo
run beside the development server with the links it prints (the console signed in as a
dispatcher of the demo tenant, a customer's tracking page)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from logistics.api.auth import mint_token
from logistics.config import Settings

if TYPE_CHECKING:
    from logistics.sim.runner import Simulation

logger = logging.getLogger(__name__)

ALL_SCOPES = ["logistics:read", "logistics:dispatch", "logistics:telemetry", "logistics:admin"]
DISPATCHER_SCOPES = ["logistics:read", "logistics:dispatch"]
RIDER_SCOPES = ["logistics:telemetry", "logistics:read"]


def minter(settings: Settings, secret: str, tenant: str) -> Callable[[str | None], str]:
    """Tokens for the simulator, as the platform's auth service would issue them: with a rider
    id a rider app's (telemetry and read), without one the ordering service's (every scope)."""

    def mint(rider_id: str | None) -> str:
        return mint_token(
            secret,
            tenant=tenant,
            scopes=ALL_SCOPES if rider_id is None else RIDER_SCOPES,
            subject=f"sim-rider-{rider_id}" if rider_id else "sim-ordering",
            rider_id=rider_id,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    return mint


def local_target(settings: Settings) -> str:
    """The gRPC listener as seen from this machine."""
    host = settings.bind_host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{settings.grpc_port}"


def console_link(settings: Settings, secret: str, tenant: str) -> str:
    token = mint_token(
        secret,
        tenant=tenant,
        scopes=DISPATCHER_SCOPES,
        subject="demo-dispatcher",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return f"http://127.0.0.1:{settings.http_port}/console/#token={token}"


def tracking_link(settings: Settings, secret: str, tenant: str, task: str) -> str:
    token = mint_token(
        secret,
        tenant=tenant,
        scopes=[],
        subject="demo-customer",
        task_id=task.rsplit("/", 1)[1],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    return f"http://127.0.0.1:{settings.http_port}/track/#token={token}"


async def run_demo(
    settings: Settings, secret: str, tenant: str, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    """Runs the simulator against this process's server until ``stop``; says when the first
    rider streams and prints a tracking link for the first order."""
    from logistics.sim.flags import simulation_config
    from logistics.sim.runner import Simulation

    started = time.monotonic()
    # One JSON line per call would bury the links and the demo's own lines: the simulator
    # makes dozens of calls a second. Warnings and errors still show.
    logging.getLogger("logistics.api.edge").setLevel(logging.WARNING)
    config = simulation_config(args, tenant, settings.osrm_url)
    simulation = Simulation(local_target(settings), minter(settings, secret, tenant), config)
    running = asyncio.create_task(simulation.run(stop))
    announce = asyncio.create_task(_announce(settings, secret, tenant, simulation, started))
    try:
        await running
    except Exception:
        logger.exception("the demo simulation stopped; the server goes on")
    finally:
        announce.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await announce


async def _announce(
    settings: Settings, secret: str, tenant: str, simulation: Simulation, started: float
) -> None:
    await simulation.streaming.wait()
    print(
        f"Demo: {len(simulation.riders)} simulated riders streaming "
        f"({time.monotonic() - started:.1f} s after the server started).",
        flush=True,
    )
    await simulation.ordered.wait()
    assert simulation.ordering is not None
    task = simulation.ordering.stats.tasks[0]
    print(
        f"Demo: first order {task}; its customer's tracking page:\n"
        f"  {tracking_link(settings, secret, tenant, task)}",
        flush=True,
    )
