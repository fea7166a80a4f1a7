"""Server streams written by pushing: a coroutine that sends each message (``run(send)``)
rather than an iterator that yields them, so that several sources (a request loop, a timer,
an inbox) can send on one stream without a queue and a task hop between them.

gRPC runs a push stream straight on the call: each ``send`` is one write, and the messages of
the rider stream's hot path go out from the task that made them. Connect iterates it instead:
``run`` then feeds a bounded queue that the transport reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

Send = Callable[[T], Awaitable[None]]

_END = object()


class PushStream(AsyncIterator[T], Generic[T]):
    def __init__(self, run: Callable[[Send[T]], Awaitable[None]], *, buffer: int = 64) -> None:
        self._run = run
        self._buffer = buffer
        self._iterator: AsyncGenerator[T, None] | None = None

    async def run(self, send: Send[T]) -> None:
        """Runs the stream, sending each message with ``send``; returns when it ends and
        raises what ended it, if anything did."""
        await self._run(send)

    def __aiter__(self) -> PushStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._iterator is None:
            self._iterator = self._iterate()
        return await anext(self._iterator)

    async def aclose(self) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()

    async def _iterate(self) -> AsyncGenerator[T, None]:
        queue: asyncio.Queue[object] = asyncio.Queue()
        room = asyncio.Semaphore(self._buffer)  # at most ``buffer`` messages wait to be read

        async def send(item: T) -> None:
            await room.acquire()
            queue.put_nowait(item)

        async def produce() -> None:
            try:
                await self._run(send)
            finally:
                queue.put_nowait(_END)

        producer = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not _END:
                room.release()
                yield item  # type: ignore[misc]
            await producer  # raises what ended the stream: a limit, bad input, a failure
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer
