"""Runs a solve in a child process, off the event loop: OR-Tools holds the GIL for the whole
search (measured: a 3 s solve in a thread froze the loop for 3 s), so a thread would stall
every other request.

The child is forked from a forkserver that has the routing package imported already, so a
solve starts in milliseconds. Progress comes back over a pipe; cancelling the awaiting task
kills the child at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from logistics.routing.model import Problem, Solution, SolveOptions
from logistics.routing.validate import validate

_context: Any = None


def _ctx() -> Any:
    global _context  # one forkserver per process, made on first use
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        # The main module too, so that each child need not import it again.
        _context.set_forkserver_preload(["__main__", "logistics.routing.solve"])
    return _context


def _child(problem: Problem, time_limit: float, engine: str, conn: Connection) -> None:
    from logistics.routing.solve import solve

    options = SolveOptions(
        time_limit=time_limit,
        engine=engine,
        on_progress=lambda cost: conn.send(("progress", cost)),
        should_stop=conn.poll,
    )
    try:
        conn.send(("done", solve(problem, options)))
    except BaseException:  # reported to the parent, which raises
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


async def solve_in_process(
    problem: Problem,
    time_limit: float,
    *,
    engine: str = "auto",
    on_progress: Callable[[float], None] | None = None,
) -> Solution:
    """``routing.solve`` in a child process. Validation errors are raised here, before any
    child starts; cancelling the caller kills the child."""
    # Checking, starting the forkserver and pickling a big problem take a while: off the loop.
    await asyncio.to_thread(validate, problem)
    loop = asyncio.get_running_loop()
    ours, theirs = _ctx().Pipe()
    process = _ctx().Process(target=_child, args=(problem, time_limit, engine, theirs), daemon=True)
    outcome: asyncio.Future[tuple[str, Any]] = loop.create_future()

    def readable() -> None:
        try:
            while ours.poll():
                kind, value = ours.recv()
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(value)
                elif not outcome.done():
                    outcome.set_result((kind, value))
        except (EOFError, OSError):
            if not outcome.done():
                outcome.set_result(("error", "the solver process ended without an answer"))

    await asyncio.to_thread(process.start)
    theirs.close()
    loop.add_reader(ours.fileno(), readable)
    try:
        kind, value = await outcome
    finally:
        loop.remove_reader(ours.fileno())
        if process.is_alive():  # cancelled (or answered and exiting: nothing is lost)
            process.kill()
        await asyncio.to_thread(process.join)
        ours.close()
    if kind == "error":
        raise RuntimeError(f"route solver failed: {value}")
    solution: Solution = value
    return solution
