"""A rider app's ping buffer: numbers each fix, keeps what the server has not acknowledged
(while offline too), and says what to send after a reconnect. Pure."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Numbered(Generic[T]):
    sequence: int
    value: T


class PingBuffer(Generic[T]):
    """Sequences go up by one per fix and never repeat. ``acked(n)`` drops everything up to
    ``n``; ``unsent()`` is what has not been sent on the current connection; ``reconnected()``
    makes every unacknowledged fix unsent again, so the app resends from the last ack + 1.

    Nothing is dropped: the server acknowledges the highest *contiguous* sequence, so a fix
    thrown away would hold every later ack back. ``resync`` covers an app that lost its
    counter (a reinstall, or this simulator run again): when the server already holds
    sequences beyond ours, the unacknowledged fixes are renumbered to follow them."""

    def __init__(self) -> None:
        self._pending: deque[Numbered[T]] = deque()
        self._next = 1
        self._sent_upto = 0
        self.acked_upto = 0

    @property
    def last_sequence(self) -> int:
        return self._next - 1

    def add(self, value: T) -> int:
        sequence = self._next
        self._next += 1
        self._pending.append(Numbered(sequence, value))
        return sequence

    def unsent(self, limit: int = 500) -> list[Numbered[T]]:
        """Up to ``limit`` fixes not yet sent on this connection, oldest first; marked sent."""
        out = [p for p in self._pending if p.sequence > self._sent_upto][:limit]
        if out:
            self._sent_upto = out[-1].sequence
        return out

    def acked(self, contiguous: int) -> int:
        """The server's ack: every sequence up to ``contiguous`` is handled. Returns how many
        fixes it acknowledged that were not acknowledged before."""
        if contiguous > self.last_sequence:
            self._resync(contiguous)
            return 0
        self.acked_upto = max(self.acked_upto, contiguous)
        done = 0
        while self._pending and self._pending[0].sequence <= self.acked_upto:
            self._pending.popleft()
            done += 1
        return done

    def _resync(self, contiguous: int) -> None:
        values = [p.value for p in self._pending]
        self._pending = deque(Numbered(contiguous + 1 + i, v) for i, v in enumerate(values))
        self._next = contiguous + 1 + len(values)
        self.acked_upto = self._sent_upto = contiguous

    def reconnected(self) -> None:
        self._sent_upto = self.acked_upto

    def __len__(self) -> int:
        return len(self._pending)
