"""Several serving processes on one host: ``LOGISTICS_SERVE_PROCESSES`` > 1 makes ``logistics
serve`` a small supervisor of that many ``logistics serve --child`` processes, each a full
server (its own pools, presence sweep and live-view subscriptions) bound to the same gRPC and
HTTP ports with ``SO_REUSEPORT``, so the kernel spreads connections across them. They share
nothing in memory: what they share already lives in PostgreSQL, Redis and NATS, exactly as
between replicas on different hosts.

The supervisor forwards SIGTERM and SIGINT, waits for the children to drain, and exits with
the first failure's code if one of them dies on its own (the orchestrator restarts the pod).
The children die with it (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType

from logistics.embedded.signals import die_with_parent

logger = logging.getLogger(__name__)


def supervise(processes: int, *, poll_s: float = 0.2) -> int:
    command = [sys.executable, "-m", "logistics.cli", "serve", "--child"]
    children = [
        subprocess.Popen(command, preexec_fn=die_with_parent(signal.SIGTERM))
        for _ in range(processes)
    ]
    logger.info("serving processes started", extra={"pids": [c.pid for c in children]})
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    while any(child.poll() is None for child in children):
        for child in children:
            code = child.poll()
            if code is not None and code != 0 and not stopping:
                logger.error("a serving process exited", extra={"pid": child.pid, "code": code})
                status = code
                forward(signal.SIGTERM, None)
        time.sleep(poll_s)
    if not stopping:  # every child ended by itself
        status = status or max((c.returncode or 0) for c in children)
    return status
